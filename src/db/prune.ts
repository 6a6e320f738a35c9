// Retention: runs that ended before a time are deleted from the history — their jobs, steps,
// logs index, test results and the rest go with them (ON DELETE CASCADE), their event lines
// (PostgreSQL) too — and their folders removed. The newest `keep` runs always stay, so run
// numbers (the next is one more than the newest folder's) never start again.
import { rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Db } from "./db.js";

export interface Pruned {
  number: number;
  endedAt: number;
  folder: string;
}

/** The runs `pruneRuns` would delete: ended before `before`, older than the newest `keep`. */
export async function prunable(db: Db, before: number, keep: number): Promise<Pruned[]> {
  const rows = await db.all<{ number: number; endedAt: number; folder: string }>(
    `SELECT number, ended_at AS "endedAt", folder FROM runs
     WHERE repo = ? AND ended_at IS NOT NULL AND ended_at < ?
       AND number < coalesce((SELECT min(number) FROM
             (SELECT number FROM runs WHERE repo = ? ORDER BY number DESC LIMIT ?) newest), 0)
     ORDER BY number`,
    [db.repo, before, db.repo, Math.max(1, keep)],
  );
  const out = rows.map((r) => ({ number: Number(r.number), endedAt: Number(r.endedAt), folder: r.folder }));
  // A first attempt stays while a later attempt of it does: a re-run takes its run_id from it.
  const going = new Set(out.map((r) => r.number));
  const firsts = await db.all<{ number: number; attemptOf: number }>(
    `SELECT number, attempt_of AS "attemptOf" FROM runs WHERE repo = ? AND attempt_of IS NOT NULL`,
    [db.repo],
  );
  const held = new Set(firsts.filter((r) => !going.has(Number(r.number))).map((r) => Number(r.attemptOf)));
  return out.filter((r) => !held.has(r.number));
}

/** Deletes them (rows, then folders under `root`/.slipway/runs only); answers what went. */
export async function pruneRuns(db: Db, root: string, before: number, keep: number): Promise<Pruned[]> {
  const gone = await prunable(db, before, keep);
  const runsDir = resolve(root, ".slipway", "runs");
  // A few hundred at a time: a statement's parameters are bounded.
  for (let i = 0; i < gone.length; i += 500) {
    const part = gone.slice(i, i + 500).map((r) => r.number);
    const marks = part.map(() => "?").join(", ");
    await db.run(`DELETE FROM run_event_lines WHERE repo = ? AND run IN (${marks})`, [db.repo, ...part]);
    await db.run(`DELETE FROM runs WHERE repo = ? AND number IN (${marks})`, [db.repo, ...part]);
  }
  for (const r of gone) {
    const dir = resolve(root, r.folder);
    // Only a run folder of this repository, never a path the row might name elsewhere.
    const rel = relative(runsDir, dir);
    if (rel && !rel.startsWith("..") && !rel.includes("/") && /^\d+$/.test(rel))
      rmSync(join(runsDir, rel), { recursive: true, force: true });
  }
  return gone;
}
