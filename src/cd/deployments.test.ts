import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Db } from "../db/db.js";
import { openHistory } from "../db/open.js";
import { backends } from "../db/test-helpers.js";
import type { JobAssignment } from "../run/assignment.js";
import { Approvals } from "../server/approvals.js";
import { parseCdConfig } from "./config.js";
import { Deployments } from "./deployments.js";
import { EnvSecrets } from "./env-secrets.js";
import type { CdEvent } from "./events.js";
import { deploymentOfLeg } from "./store.js";
import { Users } from "./users.js";

// The deployments service tells its listener (notifications) what it wrote without reading it
// back: a read left in flight on the shared connection after the caller went on overlapped
// the caller's next statements (PostgreSQL's one connection is for one caller at a time).

/** `db` whose statements take `ms` each (a database over a network) and are counted while in flight. */
function slow(db: Db, ms: number): { db: Db; inFlight: () => number } {
  let n = 0;
  const wrap =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      n++;
      try {
        await new Promise((r) => setTimeout(r, ms));
        return await f(...a);
      } finally {
        n--;
      }
    };
  const out: Db = {
    dialect: db.dialect,
    where: db.where,
    repo: db.repo,
    all: wrap((sql, p) => db.all(sql, p)),
    get: wrap((sql, p) => db.get(sql, p)),
    run: wrap((sql, p) => db.run(sql, p)),
    batch: wrap((s) => db.batch(s)),
    exec: wrap((sql) => db.exec(sql)),
    transaction: (f) => db.transaction(f),
    close: () => db.close(),
  };
  return { db: out, inFlight: () => n };
}

describe.each(backends())("$name", (b) => {
  test("a deployment's start and end are told as written, with nothing left running on the connection", async () => {
    const { root, url } = await b.fresh();
    const real = (await openHistory(root, true, url))!;
    const { db, inFlight } = slow(real, 5);
    const config = parseCdConfig("environments:\n  staging: {}\n", "slipway-server.yml");
    const heard: CdEvent[] = [];
    const listener = (e: CdEvent) => heard.push(e);
    const log = () => {};
    const approvals = new Approvals({
      db,
      config,
      users: new Users(config),
      root,
      timeoutMs: 60_000,
      log,
    });
    const deployments = new Deployments({
      db,
      config,
      approvals,
      secrets: new EnvSecrets(root, randomBytes(32)),
      root,
      enqueue: () => Promise.reject(new Error("no queue here")),
      listener,
      log,
      now: () => 5000,
    });
    try {
      const sha = "b".repeat(40);
      const trigger = { event: "push", ref: "refs/heads/main", sha };
      // No rules: approved at once.
      expect(
        await approvals.ask({ run: 3, job: "deploy", name: "deploy", environment: "staging", trigger }, 0),
      ).toMatchObject({ approved: true });
      // A deployment job as the run hands it to the agents (only what deployments reads).
      const leg = {
        key: "deploy",
        jobId: "deploy",
        name: "deploy",
        workflow: { file: "cd.yml", name: "CD" },
        body: {},
        contexts: { github: { ref: "refs/heads/main", sha, run_attempt: "1" } },
        secretNames: [],
      } as unknown as JobAssignment;
      await deployments.legQueued(3, leg, false);
      expect(inFlight()).toBe(0);
      expect(heard).toEqual([
        {
          type: "deployment-started",
          deployment: expect.objectContaining({
            environment: "staging",
            sha,
            run: 3,
            job: "deploy",
            status: "in_progress",
            kind: "deploy",
            startedAt: 5000,
          }),
        },
      ]);
      await deployments.legDone(3, "deploy", { result: "success", outputs: {} });
      expect(inFlight()).toBe(0);
      const stored = (await deploymentOfLeg(real, 3, "deploy"))!;
      const { request, queued, jobId, workflow, ...asStored } = stored;
      expect(heard[1]).toEqual({ type: "deployment-finished", deployment: asStored });
      expect(asStored).toMatchObject({ status: "active", finishedAt: 5000 });
      // What was told of the start is the row as stored then.
      expect(heard[0]).toEqual({
        type: "deployment-started",
        deployment: { ...asStored, status: "in_progress", finishedAt: undefined },
      });
    } finally {
      await real.close();
    }
  });
});
