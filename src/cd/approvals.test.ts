import { describe, expect, test } from "vitest";
import { openHistory } from "../db/open.js";
import { enqueue } from "../db/server-queue.js";
import { backends } from "../db/test-helpers.js";
import { Approvals } from "../server/approvals.js";
import { parseCdConfig } from "./config.js";
import type { CdEvent } from "./events.js";
import { Users } from "./users.js";

// The approval service on a real database (SQLite, and PostgreSQL when one is given), with a
// clock the test moves: N-of-M, the timeout, deployments to one environment in order, and a
// request that survives its server (a new service, another connection; a re-queued run).

const CONFIG = `users:
  ann: { role: reviewer }
  bo: { role: reviewer }
  cy: { role: reviewer }
  root: { role: admin }
environments:
  production:
    reviewers: [ann, bo, cy]
    required-approvals: 2
`;

const DAY = 86_400_000;

describe.each(backends())("$name", (b) => {
  async function setup() {
    const { root, url } = await b.fresh();
    const db = (await openHistory(root, true, url))!;
    const config = parseCdConfig(CONFIG, "slipway-server.yml");
    const clock = { t: 1_000_000 };
    const heard: CdEvent[] = [];
    const make = (d = db) =>
      new Approvals({
        listener: (e) => heard.push(e),
        db: d,
        config,
        users: new Users(config),
        root,
        timeoutMs: 30 * DAY,
        log: () => {},
        now: () => clock.t,
      });
    return { db, root, url, clock, make, heard };
  }
  const ask = (run: number, queued?: number) => ({
    run,
    job: "deploy",
    name: "deploy",
    environment: "Production",
    ...(queued ? { queued } : {}),
    trigger: { event: "push", ref: "refs/heads/main", sha: "a".repeat(40), actor: "pat" },
  });
  const ann = { name: "ann", role: "reviewer" as const };
  const bo = { name: "bo", role: "reviewer" as const };

  test("2 of 3 reviewers; a listed reviewer's approval counts once; an admin bypasses", async () => {
    const { db, make, heard } = await setup();
    const a = make();
    try {
      expect(await a.ask(ask(1), 0)).toBeUndefined();
      const [p] = await a.pending();
      expect(p).toMatchObject({
        environment: "Production",
        waiting: "approval",
        rule: { required: 2, given: [] },
      });
      expect(await a.decide(p!.id, ann, true, "ok")).toMatchObject({ rule: { given: ["ann"] } });
      await expect(a.decide(p!.id, ann, true)).rejects.toMatchObject({ status: 409 });
      await expect(a.decide(p!.id, { name: "zed", role: "reviewer" }, true)).rejects.toMatchObject({
        status: 403,
      });
      expect(await a.decide(p!.id, bo, true)).toEqual({ approved: true, by: "ann, bo" });
      expect(await a.ask(ask(1), 0)).toEqual({ approved: true, by: "ann, bo" });
      expect(heard.map((e) => [e.type, "approved" in e ? e.approved : undefined])).toEqual([
        ["approval-needed", undefined],
        ["approval-decided", true],
      ]);
      await a.ask(ask(2), 0);
      const [q] = await a.pending();
      expect(await a.decide(q!.id, { name: "root", role: "admin" }, true)).toEqual({
        approved: true,
        by: "root (admin bypass)",
      });
    } finally {
      await db.close();
    }
  });

  test("a decision is told once when the reviewer's request and the run's wait settle it at once", async () => {
    const { db, make, heard } = await setup();
    const a = make();
    const other = make();
    try {
      expect(await a.ask(ask(1), 0)).toBeUndefined();
      const [p] = await a.pending();
      await a.decide(p!.id, ann, true);
      // The run waits (woken by the decision) while bo's approval settles it; a second
      // replica's run asks at the same moment.
      const waiting = a.ask(ask(1), 10_000);
      const [byRun, byReviewer, byReplica] = await Promise.all([
        waiting,
        a.decide(p!.id, bo, true),
        other.ask(ask(1), 0),
      ]);
      const approved = { approved: true, by: "ann, bo" };
      expect([byRun, byReviewer, byReplica]).toEqual([approved, approved, approved]);
      expect(heard.filter((e) => e.type === "approval-decided")).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  test("an unanswered request fails after the timeout", async () => {
    const { db, clock, make } = await setup();
    const a = make();
    try {
      expect(await a.ask(ask(1), 0)).toBeUndefined();
      clock.t += 30 * DAY - 1;
      expect(await a.ask(ask(1), 0)).toBeUndefined();
      clock.t += 1;
      const d = await a.ask(ask(1), 0);
      expect(d).toMatchObject({ approved: false });
      expect(d!.rejected).toMatch(/no decision within 30 days/);
    } finally {
      await db.close();
    }
  });

  test("deployments to one environment go in order: a later approved run waits for the earlier one", async () => {
    const { db, clock, make } = await setup();
    const a = make();
    try {
      await a.ask(ask(1), 0);
      clock.t += 1000;
      await a.ask(ask(2), 0);
      const [first, second] = await a.pending();
      expect([first!.run, second!.run]).toEqual([1, 2]);
      await a.decide(second!.id, ann, true);
      expect(await a.decide(second!.id, bo, true)).toMatchObject({ waiting: "earlier deployment" });
      expect(await a.ask(ask(2), 0)).toBeUndefined();
      // The earlier one is rejected: the later goes.
      await a.decide(first!.id, ann, false, "wrong build");
      expect(await a.ask(ask(1), 0)).toMatchObject({
        approved: false,
        rejected: "rejected by ann: wrong build",
      });
      expect(await a.ask(ask(2), 0)).toEqual({ approved: true, by: "ann, bo" });
    } finally {
      await db.close();
    }
  });

  test("a request outlives its server: another connection sees it; a run re-queued after its server died keeps its reviews", async () => {
    const { db, root, url, clock, make } = await setup();
    const other = (await openHistory(root, true, url))!;
    try {
      const q1 = await enqueue(db, JSON.stringify({ event: "push", ref: "refs/heads/main", actor: "pat" }));
      await make().ask(ask(1, q1), 0);
      const [p] = await make(other).pending();
      await make(other).decide(p!.id, ann, true);
      // The server died; the run runs again as a new queue row (attempt 2) and a new run number.
      const q2 = await enqueue(db, JSON.stringify({ event: "push", ref: "refs/heads/main", actor: "pat" }), {
        rerunOf: q1,
        attempt: 2,
      });
      clock.t += 5000;
      const a = make();
      expect(await a.ask(ask(2, q2), 0)).toBeUndefined();
      const pending = await a.pending();
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({ run: 2, rule: { given: ["ann"] }, requestedAt: 1_000_000 });
      expect(await a.decide(pending[0]!.id, bo, true)).toEqual({ approved: true, by: "ann, bo" });
    } finally {
      await other.close();
      await db.close();
    }
  });
});
