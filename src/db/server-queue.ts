// The server's run queue in the history database: a trigger is a row before anything runs, so
// a server killed with runs waiting loses none, and several servers (replicas on one
// PostgreSQL) share the queue: each claims the next row atomically, renews a heartbeat while it
// runs it, and a row whose server stopped beating is settled by another.
import type { Db } from "./db.js";
import { releaseGroups } from "./server-groups.js";
import { cancelLegsOf } from "./server-legs.js";

export type QueueState = "queued" | "running" | "done" | "cancelled";

export interface QueueRow {
  id: number;
  request: string;
  state: QueueState;
  owner: string | null;
  cancel: number;
  attempt: number;
  rerun_of: number | null;
  run: number | null;
  exit_code: number | null;
  message: string | null;
  created_at: number;
  /** JSON {job: why}: its jobs waiting for a concurrency group (the run says). */
  jobs_waiting: string | null;
}

const COLUMNS =
  "id, request, state, owner, cancel, attempt, rerun_of, run, exit_code, message, created_at, jobs_waiting";

const row = (r: QueueRow): QueueRow => ({
  ...r,
  id: Number(r.id),
  cancel: Number(r.cancel),
  attempt: Number(r.attempt),
  rerun_of: r.rerun_of === null ? null : Number(r.rerun_of),
  run: r.run === null ? null : Number(r.run),
  exit_code: r.exit_code === null ? null : Number(r.exit_code),
  created_at: Number(r.created_at),
});

export async function enqueue(
  db: Db,
  request: string,
  o: { rerunOf?: number; attempt?: number } = {},
): Promise<number> {
  const r = await db.get<{ id: number }>(
    `INSERT INTO server_queue (repo, request, state, attempt, rerun_of, created_at)
     VALUES (?, ?, 'queued', ?, ?, ?) RETURNING id`,
    [db.repo, request, o.attempt ?? 1, o.rerunOf ?? null, Date.now()],
  );
  return Number(r!.id);
}

/** The oldest queued row, now running under `owner`; undefined when none waits. */
export async function claim(db: Db, owner: string): Promise<QueueRow | undefined> {
  // PostgreSQL: replicas claiming at once skip each other's locked row; SQLite has one writer.
  const lock = db.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
  const r = await db.get<QueueRow>(
    `UPDATE server_queue SET state = 'running', owner = ?1, heartbeat = ?2
     WHERE id = (SELECT id FROM server_queue WHERE repo = ?3 AND state = 'queued' ORDER BY id LIMIT 1${lock})
       AND state = 'queued'
     RETURNING ${COLUMNS}`,
    [owner, Date.now(), db.repo],
  );
  return r && row(r);
}

export async function setRun(db: Db, id: number, run: number): Promise<void> {
  await db.run("UPDATE server_queue SET run = ? WHERE id = ?", [run, id]);
}

/** Which of a running row's jobs wait for a concurrency group, and why (none: null). */
export async function setJobsWaiting(
  db: Db,
  id: number,
  waits: Record<string, string> | null,
): Promise<void> {
  await db.run("UPDATE server_queue SET jobs_waiting = ? WHERE id = ?", [
    waits && Object.keys(waits).length ? JSON.stringify(waits) : null,
    id,
  ]);
}

export async function finish(
  db: Db,
  id: number,
  f: { state: "done" | "cancelled"; run?: number; exitCode?: number; message?: string[] },
): Promise<void> {
  await db.run(
    "UPDATE server_queue SET state = ?, run = coalesce(?, run), exit_code = ?, message = coalesce(?, message), jobs_waiting = NULL WHERE id = ?",
    [f.state, f.run ?? null, f.exitCode ?? null, f.message?.length ? JSON.stringify(f.message) : null, id],
  );
}

/** Renews `owner`'s rows; answers those whose cancel was asked for (by any replica). */
export async function beat(db: Db, owner: string): Promise<number[]> {
  await db.run("UPDATE server_queue SET heartbeat = ? WHERE owner = ? AND state = 'running'", [
    Date.now(),
    owner,
  ]);
  const asked = await db.all<{ id: number }>(
    "SELECT id FROM server_queue WHERE owner = ? AND state = 'running' AND cancel = 1",
    [owner],
  );
  return asked.map((r) => Number(r.id));
}

/**
 * Rows running on a server that stopped beating before `staleBefore` (or whose owner `gone`
 * says is dead): cancelled with the reason, and returned so that they can run again.
 */
export async function settleOrphans(
  db: Db,
  staleBefore: number,
  gone: (owner: string) => boolean,
): Promise<QueueRow[]> {
  const rows = (
    await db.all<QueueRow & { heartbeat: number }>(
      `SELECT ${COLUMNS}, heartbeat FROM server_queue WHERE repo = ? AND state = 'running'`,
      [db.repo],
    )
  ).filter((r) => Number(r.heartbeat) < staleBefore || (r.owner !== null && gone(r.owner)));
  const out: QueueRow[] = [];
  for (const r of rows) {
    const why = `the server running it (${r.owner}) stopped`;
    // Only one settler wins a row (another replica may look at the same moment).
    const won = await db.get<{ id: number }>(
      "UPDATE server_queue SET state = 'cancelled', message = ? WHERE id = ? AND state = 'running' AND owner = ? RETURNING id",
      [JSON.stringify([why]), r.id, r.owner],
    );
    if (won) {
      await releaseGroups(db, r.id);
      // Its legs on agents stop; the run runs again from the start.
      await cancelLegsOf(
        db,
        r.id,
        JSON.stringify({ result: "cancelled", outputs: {}, reason: `cancelled: ${why}` }),
      );
      out.push(row(r));
    }
  }
  return out;
}

/**
 * A queued row cancelled before it runs; a running one marked for its owner to cancel (with
 * `why` as its message when given: a newer run in its concurrency group).
 */
export async function requestCancel(
  db: Db,
  id: number,
  why?: string,
): Promise<"cancelled" | "asked" | "ended" | "none"> {
  const dropped = await db.get<{ id: number }>(
    "UPDATE server_queue SET state = 'cancelled', message = ? WHERE id = ? AND repo = ? AND state = 'queued' RETURNING id",
    [JSON.stringify([why ?? "cancelled before it started"]), id, db.repo],
  );
  if (dropped) return "cancelled";
  const asked = await db.get<{ id: number }>(
    "UPDATE server_queue SET cancel = 1, message = coalesce(?, message) WHERE id = ? AND repo = ? AND state = 'running' RETURNING id",
    [why ? JSON.stringify([why]) : null, id, db.repo],
  );
  if (asked) return "asked";
  return (await getQueued(db, id)) ? "ended" : "none";
}

export async function getQueued(db: Db, id: number): Promise<QueueRow | undefined> {
  const r = await db.get<QueueRow>(`SELECT ${COLUMNS} FROM server_queue WHERE id = ? AND repo = ?`, [
    id,
    db.repo,
  ]);
  return r && row(r);
}

/** The newest rows, oldest first. */
export async function listQueued(db: Db, limit = 200): Promise<QueueRow[]> {
  const rows = await db.all<QueueRow>(
    `SELECT ${COLUMNS} FROM server_queue WHERE repo = ? ORDER BY id DESC LIMIT ?`,
    [db.repo, limit],
  );
  return rows.map(row).reverse();
}
