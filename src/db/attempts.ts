import type { Db } from "./db.js";

/**
 * A re-run is a new attempt of its run, as on GitHub: it keeps the run's github.run_id and
 * run_number (its first attempt's) and its github.run_attempt is one more than any attempt so far.
 */
export interface NextAttempt {
  /** Slipway's number of the run's first attempt: github.run_number. */
  first: number;
  /** The first attempt's run id: github.run_id. */
  runId: string;
  /** github.run_attempt of the new attempt. */
  attempt: number;
}

/** The identity of a new attempt of run `n`; a string: why there can be none (no run n). */
export async function nextAttempt(db: Db, n: number): Promise<NextAttempt | string> {
  const run = await db.get<{ attemptOf: number | null }>(
    `SELECT attempt_of AS "attemptOf" FROM runs WHERE repo = ? AND number = ?`,
    [db.repo, n],
  );
  if (!run) return `no run ${n} in the run history`;
  const first = run.attemptOf ?? n;
  const head = await db.get<{ runId: string; last: number }>(
    `SELECT run_id AS "runId",
       (SELECT max(attempt) FROM runs a WHERE a.repo = runs.repo
          AND (a.number = runs.number OR a.attempt_of = runs.number)) AS last
     FROM runs WHERE repo = ? AND number = ?`,
    [db.repo, first],
  );
  if (!head) return `run ${n} is an attempt of run ${first}, which is not in the run history`;
  return { first, runId: head.runId, attempt: Number(head.last) + 1 };
}
