import { describe, expect, test } from "vitest";
import { openHistory } from "../db/open.js";
import { backends } from "../db/test-helpers.js";
import { rollbackRequest, rollbackTarget } from "./rollback.js";
import {
  closeIncident,
  type DeploymentRecord,
  deploymentById,
  deploymentsOf,
  incidentsOf,
  insertDeployment,
  latestPerEnvironment,
  openIncident,
  retireActive,
  updateDeployment,
} from "./store.js";

describe.each(backends())("$name", (b) => {
  test("deployments and incidents: written, replaced, rolled back, listed per environment", async () => {
    const { root, url } = await b.fresh();
    const db = (await openHistory(root, true, url))!;
    try {
      const base = {
        ref: "refs/heads/main",
        job: "deploy",
        jobId: "deploy",
        workflow: ".github/workflows/cd.yml",
        attempt: 1,
        approvedBy: ["ann"],
        kind: "deploy" as const,
        request: JSON.stringify({
          event: "workflow_dispatch",
          ref: "refs/heads/main",
          payload: { inputs: { v: "1" } },
          inputs: { v: "1" },
        }),
      };
      const ids: number[] = [];
      for (const [i, env] of [
        [1, "Production"],
        [2, "production"],
        [3, "staging"],
      ] as const) {
        const id = await insertDeployment(db, {
          ...base,
          environment: env,
          sha: String(i).repeat(40),
          run: i,
          startedAt: i * 1000,
          status: "in_progress",
        });
        await updateDeployment(db, id, { status: "active", finishedAt: i * 1000 + 500 });
        await retireActive(db, env, id, "inactive");
        ids.push(id);
      }
      const prod = await deploymentsOf(db, "PRODUCTION");
      expect(prod.map((d) => [d.id, d.status])).toEqual([
        [ids[1], "active"],
        [ids[0], "inactive"],
      ]);
      expect((await latestPerEnvironment(db)).map((d) => [d.environment, d.id])).toEqual([
        ["production", ids[1]],
        ["staging", ids[2]],
      ]);
      // Back to the first: its commit, job, workflow and inputs run again.
      const t = rollbackTarget(prod);
      expect(t).toMatchObject({ ok: true, target: { id: ids[0] } });
      const req = rollbackRequest((t as { target: DeploymentRecord }).target, "ann", 7);
      expect(req).toMatchObject({
        event: "workflow_dispatch",
        ref: "refs/heads/main",
        inputs: { v: "1" },
        sha: "1".repeat(40),
        pinSha: true,
        job: "deploy",
        workflow: ".github/workflows/cd.yml",
        actor: "ann",
        rollback: { of: ids[0], environment: "Production", by: "ann", incident: 7 },
      });
      expect(rollbackTarget(prod, 999)).toMatchObject({ ok: false, status: 404 });
      await updateDeployment(db, ids[1]!, { status: "failed", failedAt: 5 });
      expect(rollbackTarget(await deploymentsOf(db, "production"), ids[1])).toMatchObject({
        ok: false,
        status: 409,
      });
      expect((await deploymentById(db, ids[1]!))!.failedAt).toBe(5);
      const inc = await openIncident(db, {
        environment: "production",
        deployment: ids[1],
        reason: "health",
        at: 10,
      });
      await closeIncident(db, inc, 20);
      expect(await incidentsOf(db, "Production")).toEqual([
        {
          id: inc,
          repo: db.repo,
          environment: "production",
          deployment: ids[1],
          reason: "health",
          openedAt: 10,
          closedAt: 20,
        },
      ]);
    } finally {
      await db.close();
    }
  });
});

test("1,000 deployments: the environments page and an environment's page read and render within 200 ms", async () => {
  const { environmentPage, environmentsPage } = await import("./pages.js");
  const root = (await import("node:fs")).mkdtempSync(
    (await import("node:path")).join((await import("node:os")).tmpdir(), "slipway-cd-bench-"),
  );
  const db = (await openHistory(root, true))!;
  try {
    await db.transaction(async () => {
      for (let i = 1; i <= 1000; i++)
        await insertDeployment(db, {
          environment: ["production", "staging", "qa", "preview"][i % 4]!,
          sha: i.toString(16).padStart(40, "0"),
          ref: "refs/heads/main",
          run: i,
          job: "deploy",
          jobId: "deploy",
          workflow: ".github/workflows/cd.yml",
          attempt: 1,
          approvedBy: ["ann", "bo"],
          startedAt: i * 60_000,
          finishedAt: i * 60_000 + 30_000,
          status: "inactive",
          kind: "deploy",
        });
    });
    const times: number[] = [];
    // The first rounds warm the JIT and the page cache: not counted.
    for (let k = -3; k < 20; k++) {
      const t0 = performance.now();
      const latest = await latestPerEnvironment(db);
      const envs = [];
      for (const d of latest) envs.push({ name: d.environment, latest: d, current: d });
      environmentsPage(envs);
      const history = await deploymentsOf(db, "production", 200);
      environmentPage({ name: "production", current: history[0], history, incidents: [], secrets: [] });
      if (k >= 0) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const p95 = times[Math.floor(times.length * 0.95)]!;
    console.log(`cd pages with 1,000 deployments: p50 ${times[10]!.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);
    // The median is asserted (a loaded machine's spikes are not the code's); both are said.
    expect(times[10]!).toBeLessThan(200);
  } finally {
    await db.close();
  }
});
