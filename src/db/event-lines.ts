import { stamp } from "../report/run-folder.js";
import type { Db, Statement } from "./db.js";

/**
 * A run's event lines in the database (run_event_lines), as its run folder's events.jsonl has
 * them: on PostgreSQL, so that a replica on another machine (another disk) streams and shows a
 * run another replica runs, and the lines outlive the machine that ran it.
 *
 * One row per recorder batch (up to 500 events), not one per event: a batch is then one short
 * literal for the database to parse and one row to store (compressed when long), which keeps a
 * run that prints 100,000 lines from paying for 100,000 rows and their index entries.
 */

export interface EventLine {
  seq: number;
  /** The event as JSON, exactly the events.jsonl line (masked at the gate), without its newline. */
  line: string;
}

/**
 * One statement adding `lines` (in seq order) of run `run` (its number) in `repo`. A batch
 * already there (sent again) is kept as it was: a seq is never written twice.
 */
export function addEventLines(repo: string, run: number, lines: readonly EventLine[]): Statement {
  let text = "";
  for (const l of lines) text += `${l.line}\n`;
  return {
    sql: `INSERT INTO run_event_lines (repo, run, first_seq, last_seq, lines) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (repo, run, last_seq) DO NOTHING`,
    params: [repo, run, lines[0]?.seq ?? 0, lines.at(-1)?.seq ?? 0, text],
  };
}

/** The lines of a batch's row, with their seqs (read from each line's end: see stamp). */
function* split(rows: { lines: string }[]): Generator<EventLine> {
  for (const r of rows)
    for (let at = 0; at < r.lines.length; ) {
      const end = r.lines.indexOf("\n", at);
      const line = r.lines.slice(at, end === -1 ? undefined : end);
      at = end === -1 ? r.lines.length : end + 1;
      const s = stamp(line);
      if (s) yield { seq: s.seq, line };
    }
}

/** Run `run`'s lines after seq `after`, in seq order, from up to `batches` batches. */
export async function eventLinesAfter(
  db: Db,
  run: number,
  after: number,
  batches = 20,
): Promise<EventLine[]> {
  const rows = await db.all<{ lines: string }>(
    "SELECT lines FROM run_event_lines WHERE repo = ? AND run = ? AND last_seq > ? ORDER BY last_seq LIMIT ?",
    [db.repo, run, after, batches],
  );
  return [...split(rows)].filter((l) => l.seq > after);
}

/**
 * The lines of run `run` that contain `needle` (a job's `"job":"<key>"`: the job page and raw
 * log read a job's lines from them), in seq order; read 50 batches at a time, so only the
 * lines kept are held, as the file's reader holds a megabyte at a time.
 */
export async function eventLinesWith(db: Db, run: number, needle: string): Promise<string[]> {
  const out: string[] = [];
  for (let after = 0; ; ) {
    const rows = await db.all<{ lines: string; last_seq: number }>(
      "SELECT lines, last_seq FROM run_event_lines WHERE repo = ? AND run = ? AND last_seq > ? ORDER BY last_seq LIMIT 50",
      [db.repo, run, after],
    );
    for (const l of split(rows)) if (l.line.includes(needle)) out.push(l.line);
    if (rows.length < 50) return out;
    after = Number(rows.at(-1)!.last_seq);
  }
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
