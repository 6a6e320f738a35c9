import { describe, expect, test } from "vitest";
import { backends, freshHistory, newRun } from "../db/test-helpers.js";
import { endJob, endRun, insertRun, upsertJob } from "../db/writes.js";
import { runEvents } from "./run-outcomes.js";

describe.each(backends())("run events on $name", (b) => {
  test("failed on each failure; fixed on the first success after one, per workflow and branch", async () => {
    const { db } = await freshHistory(b);
    try {
      // [ref, CI's result, Lint's result]
      const plan: [string, string, string][] = [
        ["refs/heads/main", "success", "success"], // 1: nothing
        ["refs/heads/main", "failure", "success"], // 2: CI failed
        ["refs/heads/other", "success", "success"], // 3: nothing (another branch)
        ["refs/heads/main", "cancelled", "success"], // 4: nothing, and passed over
        ["refs/heads/main", "success", "failure"], // 5: CI fixed, Lint failed
        ["refs/heads/main", "success", "success"], // 6: Lint fixed
      ];
      for (const [i, [ref, ci, lint]] of plan.entries()) {
        const run = await insertRun(db, newRun(i + 1, { ref }));
        await db.batch([
          upsertJob(run, "build", "build", "CI"),
          endJob(run, "build", { result: ci as "success", outputs: {}, endedAt: 1, durationMs: 1 }),
          upsertJob(run, "lint", "lint", "Lint"),
          endJob(run, "lint", { result: lint as "success", outputs: {}, endedAt: 1, durationMs: 1 }),
          endRun(run, ci === "failure" || lint === "failure" ? "failure" : "success", 2),
        ]);
      }
      const events = async (n: number) =>
        (await runEvents(db, n, { repository: "o/r", url: `http://x/runs/${n}` })).map(
          (e) => `${e.type} ${e.workflow} ${e.branch}`,
        );
      expect(await events(1)).toEqual([]);
      expect(await events(2)).toEqual(["run.failed CI main"]);
      expect(await events(3)).toEqual([]);
      expect(await events(4)).toEqual([]);
      expect(await events(5)).toEqual(["run.fixed CI main", "run.failed Lint main"]);
      expect(await events(6)).toEqual(["run.fixed Lint main"]);
      expect((await runEvents(db, 2, { repository: "o/r" }))[0]).toEqual({
        type: "run.failed",
        repository: "o/r",
        workflow: "CI",
        branch: "main",
        run: 2,
        sha: "a".repeat(40),
        actor: "octocat",
      });
      expect(await runEvents(db, 99, { repository: "o/r" })).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
