import type { Db } from "../db/db.js";

/**
 * The seq up to which the history database has recorded run `n`'s events (0: none yet). A
 * run page drawn from the database follows the event stream from here, not from the end of
 * events.jsonl: the database is written a batch behind that file, so a job's end already in the
 * file but not yet in the database would otherwise be neither drawn nor followed. (Read it
 * before the jobs: a batch recorded in between is then replayed, which only sets the same state again.)
 */
export async function recordedSeq(db: Db, n: number): Promise<number> {
  const r = await db.get<{ s: number | null }>(
    `SELECT max(log_index.last_seq) AS s FROM log_index JOIN jobs ON jobs.id = log_index.job
     JOIN runs ON runs.id = jobs.run WHERE runs.repo = ? AND runs.number = ?`,
    [db.repo, n],
  );
  return Number(r?.s ?? 0);
}
