import { describe, expect, test } from "vitest";
import type { JobResult } from "../run/events.js";
import { benchBaseline, benchSeries } from "./bench-reads.js";
import { backends, freshHistory, newRun } from "./test-helpers.js";
import { addBenchmarks, endRun, insertRun, upsertJob } from "./writes.js";

describe.each(backends())("$name", (b) => {
  test("the baseline: the last successful run on the default branch that recorded the suite", async () => {
    const { db } = await freshHistory(b);
    const plan: { ref: string; result: JobResult | null; suite: string; value: number }[] = [
      { ref: "refs/heads/main", result: "success", suite: "S", value: 100 }, // 1: the baseline
      { ref: "refs/heads/main", result: "failure", suite: "S", value: 300 }, // 2: failed
      { ref: "refs/heads/topic", result: "success", suite: "S", value: 50 }, // 3: another branch
      { ref: "refs/heads/main", result: "success", suite: "Other", value: 7 }, // 4: another suite
      { ref: "refs/heads/main", result: null, suite: "S", value: 999 }, // 5: still running
    ];
    for (const [i, p] of plan.entries()) {
      const n = i + 1;
      const run = await insertRun(db, newRun(n, { ref: p.ref }));
      await db.batch([
        upsertJob(run, "bench", "bench", "ci"),
        ...addBenchmarks(run, "bench", 2, p.suite, "cargo", [
          { name: "fib", value: p.value, unit: "ns/iter", range: "± 1", biggerIsBetter: false },
        ]),
        ...(p.result ? [endRun(run, p.result, 1_000_000 + n * 1000 + 10)] : []),
      ]);
    }
    const base = await benchBaseline(db, "S", "refs/heads/main");
    expect(base).toEqual({
      run: 1,
      sha: "a".repeat(40),
      results: [{ name: "fib", value: 100, unit: "ns/iter", range: "± 1", biggerIsBetter: false }],
    });
    expect(await benchBaseline(db, "S", "refs/heads/topic")).toMatchObject({ run: 3 });
    expect(await benchBaseline(db, "None", "refs/heads/main")).toBeUndefined();

    // stats --bench: finished runs only (not run 5), oldest first; the change is newest against the one before.
    const series = await benchSeries(db, 10);
    expect(series.map((s) => [s.suite, s.points.map((p) => p.value), s.change, s.worse])).toEqual([
      ["S", [100, 300, 50], expect.closeTo(50 / 300 - 1), false],
      ["Other", [7], null, false],
    ]);
    expect((await benchSeries(db, 2)).map((s) => s.points.map((p) => p.run))).toEqual([[3], [4]]);
    await db.close();
  });
});
