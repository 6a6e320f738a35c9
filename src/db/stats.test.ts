import { describe, expect, test } from "vitest";
import { percentile, stats, timing } from "./stats.js";
import { backends, freshHistory, newRun } from "./test-helpers.js";
import { addTestCases, endJob, endRun, endStep, insertRun, startJob, upsertJob } from "./writes.js";

test("percentiles are nearest-rank; the trend compares the newer half's median with the older half's", () => {
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  expect(percentile([7], 90)).toBe(7);
  expect(timing([10, 10, 20, 20])).toEqual({ runs: 4, p50: 10, p90: 20, trend: 1 });
  expect(timing([10, 20]).trend).toBeNull();
});

describe.each(backends())("$name", (b) => {
  test("stats: per workflow and job durations, failure rate, flaky jobs (failed then passed on one commit), slowest steps", async () => {
    const { db } = await freshHistory(b);
    // Runs 1-4: 'test' fails on commit b then passes on it (flaky); 'build' slows down.
    const plan = [
      { sha: "a", test: "success", build: 100 },
      { sha: "b", test: "failure", build: 100 },
      { sha: "b", test: "success", build: 300 },
      { sha: "c", test: "success", build: 300 },
    ];
    for (const [i, p] of plan.entries()) {
      const n = i + 1;
      const t = 1_000_000 * n;
      const run = await insertRun(db, newRun(n, { sha: p.sha.repeat(40), startedAt: t }));
      await db.batch([
        upsertJob(run, "build", "build", "ci"),
        startJob(run, "build", t),
        endStep(run, "build", 0, {
          name: "compile",
          outcome: "success",
          conclusion: "success",
          endedAt: t + p.build,
          durationMs: p.build,
        }),
        endJob(run, "build", { result: "success", outputs: {}, endedAt: t + p.build, durationMs: p.build }),
        upsertJob(run, "test", "test", "ci"),
        startJob(run, "test", t + p.build),
        endJob(run, "test", {
          result: p.test as "success",
          outputs: {},
          endedAt: t + p.build + 50,
          durationMs: 50,
        }),
        endRun(run, p.test as "success", t + p.build + 50),
      ]);
    }
    const s = await stats(db, 50);
    expect(s.runs).toEqual([1, 2, 3, 4]);
    // The workflow's time in a run: build, then test (150, 150, 350, 350 ms).
    expect(s.workflows).toEqual([
      { workflow: "ci", runs: 4, p50: 150, p90: 350, trend: expect.closeTo(4 / 3), failureRate: 0.25 },
    ]);
    expect(s.jobs).toEqual([
      expect.objectContaining({
        job: "build",
        p50: 100,
        p90: 300,
        trend: 2,
        failureRate: 0,
        flakyCommits: [],
      }),
      expect.objectContaining({ job: "test", p50: 50, failureRate: 0.25, flakyCommits: ["b".repeat(40)] }),
    ]);
    expect(s.slowestSteps).toEqual([
      expect.objectContaining({ job: "build", step: "compile", p50: 100, p90: 300 }),
    ]);
    // The last 2 runs only; and by workflow.
    expect((await stats(db, 2)).runs).toEqual([3, 4]);
    expect((await stats(db, 50, "other.yml")).jobs).toEqual([]);
    expect((await stats(db, 50, "ci.yml")).jobs).toHaveLength(2);
    expect((await stats(db, 50, "ci")).jobs).toHaveLength(2);
    await db.close();
  });

  test("stats: flaky tests (failed and passed on one commit, in either order) and the slowest tests", async () => {
    const { db } = await freshHistory(b);
    // 'flaky' passes then fails on commit a; 'steady' fails on a and passes on b (not flaky).
    const plan = [
      { sha: "a", flaky: "passed", steady: "failed", slow: 300 },
      { sha: "a", flaky: "failed", steady: "failed", slow: 500 },
      { sha: "b", flaky: "passed", steady: "passed", slow: 700 },
    ] as const;
    for (const [i, p] of plan.entries()) {
      const t = 1_000_000 * (i + 1);
      const run = await insertRun(db, newRun(i + 1, { sha: p.sha.repeat(40), startedAt: t }));
      await db.batch([
        upsertJob(run, "test", "test", "ci"),
        startJob(run, "test", t),
        ...addTestCases(run, "test", 1, "pytest", [
          { suite: "s", name: "flaky", durationMs: 5, outcome: p.flaky, message: "m" },
          { suite: "s", name: "steady", durationMs: 10, outcome: p.steady, file: "t.py", line: 3 },
          { suite: "s", name: "slow", durationMs: p.slow, outcome: "passed" },
          { suite: "s", name: "skipped", durationMs: 0, outcome: "skipped" },
        ]),
        endJob(run, "test", { result: "success", outputs: {}, endedAt: t + 900, durationMs: 900 }),
        endRun(run, "success", t + 900),
      ]);
    }
    const s = await stats(db, 50);
    expect(s.flakyTests).toEqual([
      { suite: "s", name: "flaky", commits: ["a".repeat(40)], failed: 1, passed: 2 },
    ]);
    expect(s.slowestTests.map((x) => [x.name, x.runs, x.p50, x.p90])).toEqual([
      ["slow", 3, 500, 700],
      ["steady", 3, 10, 10],
      ["flaky", 3, 5, 5],
    ]);
    await db.close();
  });
});
