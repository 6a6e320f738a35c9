import type { Db, Param, Statement } from "./db.js";

/**
 * A run's event lines in the database (run_event_lines), as its run folder's events.jsonl has
 * them: on PostgreSQL, so that a replica on another machine (another disk) streams and shows a
 * run another replica runs, and the lines outlive the machine that ran it.
 */

export interface EventLine {
  seq: number;
  /** The event as JSON, exactly the events.jsonl line (masked at the gate), without its newline. */
  line: string;
}

/**
 * One statement adding `lines` of run `run` (its number) in `repo`. A line already there (a
 * batch sent again) is kept as it was: a seq is never written twice.
 */
export function addEventLines(repo: string, run: number, lines: readonly EventLine[]): Statement {
  const params: Param[] = [];
  for (const l of lines) params.push(repo, run, l.seq, l.line);
  return {
    sql: `INSERT INTO run_event_lines (repo, run, seq, line) VALUES ${lines.map(() => "(?, ?, ?, ?)").join(", ")}
          ON CONFLICT (repo, run, seq) DO NOTHING`,
    params,
  };
}

/** Up to `limit` lines of run `run` after seq `after`, in seq order. */
export async function eventLinesAfter(
  db: Db,
  run: number,
  after: number,
  limit = 2000,
): Promise<EventLine[]> {
  const rows = await db.all<EventLine>(
    "SELECT seq, line FROM run_event_lines WHERE repo = ? AND run = ? AND seq > ? ORDER BY seq LIMIT ?",
    [db.repo, run, after, limit],
  );
  return rows.map((r) => ({ seq: Number(r.seq), line: r.line }));
}

/**
 * Whether run `run` is known to the database and has ended (its row's end written): undefined
 * when there is no such run.
 */
export async function runEnded(db: Db, run: number): Promise<boolean | undefined> {
  const r = await db.get<{ ended_at: number | null }>(
    "SELECT ended_at FROM runs WHERE repo = ? AND number = ?",
    [db.repo, run],
  );
  return r ? r.ended_at !== null : undefined;
}

/**
 * The lines of run `run` that name job `key` (`"job":"<key>"`, as the job page's reader looks
 * for them), in seq order: a candidate set, each line still to be parsed and checked.
 */
export async function jobEventLines(db: Db, run: number, key: string): Promise<string[]> {
  const needle = `"job":${JSON.stringify(key)}`.replace(/[\\%_]/g, (c) => `\\${c}`);
  const rows = await db.all<{ line: string }>(
    "SELECT line FROM run_event_lines WHERE repo = ? AND run = ? AND line LIKE ? ESCAPE '\\' ORDER BY seq",
    [db.repo, run, `%${needle}%`],
  );
  return rows.map((r) => r.line);
}
