import { describe, expect, test } from "vitest";
import { enqueue, setRun } from "../db/server-queue.js";
import { backends, freshHistory, newRun } from "../db/test-helpers.js";
import { endJob, endRun, insertRun, startJob, upsertJob } from "../db/writes.js";
import { DAY } from "./dora.js";
import { PipelineHistory, pipelineTrends } from "./pipeline.js";

const NOW = Date.UTC(2026, 11, 5, 12);

describe.each(backends())("pipeline trends on $name", (b) => {
  test("durations, queue time, success rate, a daily series and flaky jobs over the window", async () => {
    const { db } = await freshHistory(b);
    try {
      // ci: build then test; test fails then passes on commit b (flaky); one run cancelled;
      // one run before the window. lint (another workflow) always passes.
      const plan = [
        { sha: "o", test: "success", ms: 900, at: NOW - 40 * DAY },
        { sha: "a", test: "success", ms: 100, at: NOW - 2 * DAY },
        { sha: "b", test: "failure", ms: 200, at: NOW - 2 * DAY + 60_000 },
        { sha: "b", test: "success", ms: 300, at: NOW - DAY },
        { sha: "c", test: "cancelled", ms: 400, at: NOW - 1000 },
      ];
      for (const [i, p] of plan.entries()) {
        const n = i + 1;
        const queued = await enqueue(db, "{}");
        await setRun(db, queued, n);
        await db.run("UPDATE server_queue SET created_at = ? WHERE id = ?", [p.at - n * 1000, queued]);
        const run = await insertRun(db, newRun(n, { sha: p.sha.repeat(40), startedAt: p.at }));
        await db.batch([
          upsertJob(run, "build", "build", "ci"),
          startJob(run, "build", p.at),
          endJob(run, "build", { result: "success", outputs: {}, endedAt: p.at + p.ms / 2, durationMs: 0 }),
          upsertJob(run, "test", "test", "ci"),
          startJob(run, "test", p.at + p.ms / 2),
          endJob(run, "test", {
            result: p.test as "success",
            outputs: {},
            endedAt: p.at + p.ms,
            durationMs: 0,
          }),
          upsertJob(run, "lint", "lint", "lint"),
          startJob(run, "lint", p.at),
          endJob(run, "lint", { result: "success", outputs: {}, endedAt: p.at + 10, durationMs: 0 }),
          endRun(run, p.test as "success", p.at + p.ms),
        ]);
      }
      const t = await pipelineTrends(db, 30, NOW);
      expect(t.runs).toBe(4);
      const ci = t.workflows.find((w) => w.workflow === "ci")!;
      expect(ci.runs).toBe(4);
      expect(ci.successRate).toBeCloseTo(2 / 3);
      expect(ci.duration).toEqual({ count: 4, medianMs: 200, p90Ms: 400 });
      // Waited 2, 3, 4, 5 s in the queue.
      expect(ci.queue).toEqual({ count: 4, medianMs: 3000, p90Ms: 5000 });
      expect(t.queue.count).toBe(4);
      expect(ci.daily).toHaveLength(30);
      expect(ci.daily.find((d) => d.day === "2026-12-03")).toEqual({
        day: "2026-12-03",
        runs: 2,
        failures: 1,
        p50Ms: 100,
      });
      expect(t.workflows.find((w) => w.workflow === "lint")!.successRate).toBe(1);
      expect(t.flaky).toEqual([
        {
          workflow: "ci",
          job: "test",
          sha: "b".repeat(40),
          ref: "refs/heads/main",
          runs: [3, 4],
          results: ["failure", "success"],
        },
      ]);
    } finally {
      await db.close();
    }
  });

  test("kept between refreshes: only runs after the last finished one are read, a running one when it ends", async () => {
    const { db } = await freshHistory(b);
    try {
      const add = async (n: number, end: boolean) => {
        const run = await insertRun(db, newRun(n, { startedAt: NOW - DAY + n * 1000 }));
        const st = [upsertJob(run, "build", "build", "ci"), startJob(run, "build", NOW - DAY + n * 1000)];
        if (end) st.push(...finish(run, n));
        await db.batch(st);
        return run;
      };
      const finish = (run: number, n: number) => [
        endJob(run, "build", {
          result: "success",
          outputs: {},
          endedAt: NOW - DAY + n * 1000 + 100,
          durationMs: 0,
        }),
        endRun(run, "success", NOW - DAY + n * 1000 + 100),
      ];
      const h = new PipelineHistory();
      await add(1, true);
      const open = await add(2, false);
      await add(3, true);
      await h.refresh(db);
      expect(h.trends(7, NOW).runs).toBe(2);
      await db.batch(finish(open, 2));
      await add(4, true);
      await h.refresh(db);
      expect(h.trends(7, NOW).runs).toBe(4);
      await add(5, true);
      // Two requests at once take each new run once.
      await Promise.all([h.refresh(db), h.refresh(db)]);
      expect(h.trends(7, NOW).runs).toBe(5);
      expect(h.trends(7, NOW).workflows[0]!.runs).toBe(5);
    } finally {
      await db.close();
    }
  });
});
