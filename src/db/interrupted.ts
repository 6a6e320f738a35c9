import type { DatabaseSync } from "node:sqlite";
import { stmt } from "./statements.js";
import { transaction } from "./transaction.js";

/** Whether process `pid` still exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs that never ended and whose Slipway process is gone (kill -9, a crash, a power cut)
 * are marked: result cancelled, interrupted 'lost', ended at the last thing recorded of them.
 * Their jobs and steps stay as far as they got.
 */
export function markInterrupted(db: DatabaseSync, isAlive: (pid: number) => boolean = alive): number {
  const open = stmt(db, "SELECT id, pid FROM runs WHERE ended_at IS NULL").all() as {
    id: number;
    pid: number;
  }[];
  const lost = open.filter((r) => r.pid !== process.pid && !isAlive(r.pid));
  if (lost.length === 0) return 0;
  transaction(db, () => {
    for (const r of lost)
      stmt(
        db,
        `UPDATE runs SET result = 'cancelled', interrupted = 'lost',
           ended_at = max(started_at, coalesce((SELECT max(coalesce(ended_at, started_at)) FROM jobs WHERE run = runs.id), 0))
         WHERE id = ? AND ended_at IS NULL`,
      ).run(r.id);
  });
  return lost.length;
}
