import { describe, expect, test } from "vitest";
import { nextAttempt } from "./attempts.js";
import { runByNumber } from "./reads.js";
import { backends, freshHistory, newRun } from "./test-helpers.js";
import { insertRun } from "./writes.js";

// A re-run is a new attempt of its run: recorded with the run, and the next one found from any attempt.
describe.each(backends())("$name", (b) => {
  test("attempts are recorded and read; the next attempt follows the chain to the first", async () => {
    const { db } = await freshHistory(b);
    await insertRun(db, newRun(1));
    await insertRun(db, newRun(2));
    expect(await nextAttempt(db, 1)).toEqual({ first: 1, runId: "run-1", attempt: 2 });
    await insertRun(db, newRun(3, { attempt: 2, attemptOf: 1 }));
    const first = await runByNumber(db, 1);
    expect([first?.attempt, first?.attemptOf]).toEqual([1, null]);
    const second = await runByNumber(db, 3);
    expect([second?.attempt, second?.attemptOf]).toEqual([2, 1]);
    // From the second attempt, or the first again: always one more than the last attempt.
    expect(await nextAttempt(db, 3)).toEqual({ first: 1, runId: "run-1", attempt: 3 });
    expect(await nextAttempt(db, 1)).toEqual({ first: 1, runId: "run-1", attempt: 3 });
    // Another run's attempts are its own.
    expect(await nextAttempt(db, 2)).toEqual({ first: 2, runId: "run-2", attempt: 2 });
    expect(await nextAttempt(db, 9)).toBe("no run 9 in the run history");
    await db.close();
  });
});
