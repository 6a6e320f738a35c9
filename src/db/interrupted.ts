import { hostname } from "node:os";
import type { Db } from "./db.js";

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
 * Their jobs and steps stay as far as they got. Only this repository's runs of this machine
 * are looked at: a pid is only this machine's (replicas on several machines share a repository
 * when SLIPWAY_HISTORY_REPO names it).
 */
export async function markInterrupted(db: Db, isAlive: (pid: number) => boolean = alive): Promise<number> {
  const open = await db.all<{ id: number; pid: number }>(
    "SELECT id, pid FROM runs WHERE ended_at IS NULL AND repo = ? AND (host IS NULL OR host = ?)",
    [db.repo, hostname()],
  );
  const lost = open.filter((r) => r.pid !== process.pid && !isAlive(r.pid));
  if (lost.length === 0) return 0;
  await db.transaction(async () => {
    for (const r of lost)
      await db.run(
        `UPDATE runs SET result = 'cancelled', interrupted = 'lost',
           ended_at = (SELECT CASE WHEN max(t) > runs.started_at THEN max(t) ELSE runs.started_at END
                       FROM (SELECT coalesce(ended_at, started_at) AS t FROM jobs WHERE run = runs.id) AS j)
         WHERE id = ? AND ended_at IS NULL`,
        [r.id],
      );
  });
  return lost.length;
}
