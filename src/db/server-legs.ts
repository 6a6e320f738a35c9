// The agents and the legs they run, in the history database, for replicas sharing PostgreSQL:
// an agent connected to any replica takes any run's leg, its events are rows the run's own
// replica reads back, and a replica's death loses nothing (src/server/legs-db.ts drives it).
// Every change is one conditional statement, so two replicas acting on a leg at the same
// moment cannot both win (a lease, an expiry, a result).
import type { Db } from "./db.js";

export interface AgentRow {
  id: string;
  token_hash: string;
  name: string;
  labels: string;
  platform: string;
  capacity: number;
  sandbox: number;
  last_seen: number;
  done: number;
  removed_at: number | null;
}

export interface LegRow {
  id: string;
  run: number;
  queued: number | null;
  assignment: string;
  runs_on: string;
  untrusted: number;
  state: "waiting" | "leased" | "done";
  attempt: number;
  lease: string | null;
  agent: string | null;
  expires: number | null;
  acked: number;
  cancel: number;
  result: string | null;
  enqueued_at: number;
  started_at: number | null;
}

const LEG = `id, run, queued, assignment, runs_on, untrusted, state, attempt, lease, agent, expires, acked,
  cancel, result, enqueued_at, started_at`;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

const legRow = (r: LegRow): LegRow => ({
  ...r,
  run: Number(r.run),
  queued: num(r.queued),
  untrusted: Number(r.untrusted),
  attempt: Number(r.attempt),
  expires: num(r.expires),
  acked: Number(r.acked),
  cancel: Number(r.cancel),
  enqueued_at: Number(r.enqueued_at),
  started_at: num(r.started_at),
});

const agentRow = (r: AgentRow): AgentRow => ({
  ...r,
  capacity: Number(r.capacity),
  sandbox: Number(r.sandbox),
  last_seen: Number(r.last_seen),
  done: Number(r.done),
  removed_at: num(r.removed_at),
});

/** A statement's guard: the leg's agent (server_legs.agent, or `agent` given) was not removed. */
const notRemoved = (agent = "server_legs.agent") =>
  `NOT EXISTS (SELECT 1 FROM server_agents ra WHERE ra.id = ${agent} AND ra.removed_at IS NOT NULL)`;

export async function addAgent(db: Db, a: Omit<AgentRow, "done" | "removed_at">): Promise<void> {
  await db.run(
    `INSERT INTO server_agents (id, repo, token_hash, name, labels, platform, capacity, sandbox, last_seen)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [a.id, db.repo, a.token_hash, a.name, a.labels, a.platform, a.capacity, a.sandbox, a.last_seen],
  );
}

export async function agentByHash(db: Db, hash: string): Promise<AgentRow | undefined> {
  const r = await db.get<AgentRow>("SELECT * FROM server_agents WHERE token_hash = ? AND repo = ?", [
    hash,
    db.repo,
  ]);
  return r && agentRow(r);
}

export async function agentName(db: Db, id: string): Promise<{ name: string; removed: boolean } | undefined> {
  const r = await db.get<{ name: string; removed_at: unknown }>(
    "SELECT name, removed_at FROM server_agents WHERE id = ?",
    [id],
  );
  return r && { name: r.name, removed: r.removed_at !== null && r.removed_at !== undefined };
}

/** The agent was seen now; when it was removed (ms; null: it was not). */
export async function seen(db: Db, id: string, at: number): Promise<number | null> {
  const r = await db.get<{ removed_at: unknown }>(
    "UPDATE server_agents SET last_seen = ? WHERE id = ? RETURNING removed_at",
    [at, id],
  );
  return num(r?.removed_at);
}

/**
 * An admin removes agent `id` (of this repository): its row stays, marked, so every replica
 * refuses its token; the leases it holds expire now (expire() settles them). Undefined when
 * there is no such agent, or it was removed already.
 */
export async function removeAgentRow(
  db: Db,
  id: string,
  at: number,
): Promise<{ agent: AgentRow; released: number } | undefined> {
  const r = await db.get<AgentRow>(
    "UPDATE server_agents SET removed_at = ? WHERE id = ? AND repo = ? AND removed_at IS NULL RETURNING *",
    [at, id, db.repo],
  );
  if (!r) return undefined;
  const legs = await db.all<{ id: string }>(
    "UPDATE server_legs SET expires = 0 WHERE agent = ? AND state = 'leased' RETURNING id",
    [id],
  );
  return { agent: agentRow(r), released: legs.length };
}

/** Agents seen since `since` (ms): one that stopped asking (gone, or registered again) is not listed. */
export async function listAgentRows(db: Db, since: number): Promise<AgentRow[]> {
  return (
    await db.all<AgentRow>(
      "SELECT * FROM server_agents WHERE repo = ? AND last_seen >= ? AND removed_at IS NULL ORDER BY name, id",
      [db.repo, since],
    )
  ).map(agentRow);
}

export async function addLeg(
  db: Db,
  l: Pick<LegRow, "id" | "run" | "queued" | "assignment" | "runs_on" | "untrusted" | "enqueued_at"> & {
    job: string;
  },
): Promise<void> {
  await db.run(
    `INSERT INTO server_legs (id, repo, run, queued, job, assignment, runs_on, untrusted, state, enqueued_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?)`,
    [l.id, db.repo, l.run, l.queued, l.job, l.assignment, l.runs_on, l.untrusted, l.enqueued_at],
  );
}

/** Legs not done, oldest first (without their assignments' bodies). */
export async function openLegs(db: Db, limit = 500): Promise<LegRow[]> {
  return (
    await db.all<LegRow>(
      `SELECT ${LEG} FROM server_legs WHERE repo = ? AND state <> 'done' ORDER BY enqueued_at, id LIMIT ?`,
      [db.repo, limit],
    )
  ).map(legRow);
}

export async function waitingLegs(
  db: Db,
  limit = 100,
): Promise<Pick<LegRow, "id" | "runs_on" | "untrusted">[]> {
  return (
    await db.all<Pick<LegRow, "id" | "runs_on" | "untrusted">>(
      `SELECT id, runs_on, untrusted FROM server_legs WHERE repo = ? AND state = 'waiting'
       ORDER BY enqueued_at, id LIMIT ?`,
      [db.repo, limit],
    )
  ).map((r) => ({ ...r, untrusted: Number(r.untrusted) }));
}

/** Leg `id` leased to `agent` if it still waits; undefined when another took it first. */
export async function takeLeg(
  db: Db,
  id: string,
  agent: { id: string; capacity: number },
  lease: string,
  expires: number,
): Promise<LegRow | undefined> {
  // PostgreSQL: a replica taking the same leg at once skips it rather than waiting for its lock.
  const lock = db.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
  const r = await db.get<LegRow>(
    `UPDATE server_legs SET state = 'leased', lease = ?1, agent = ?2, expires = ?3, acked = 0,
       started_at = coalesce(started_at, ?4)
     WHERE id = (SELECT id FROM server_legs WHERE id = ?5 AND state = 'waiting'${lock}) AND state = 'waiting'
       AND (SELECT count(*) FROM server_legs WHERE agent = ?2 AND state = 'leased') < ?6
       AND ${notRemoved("?2")}
     RETURNING ${LEG}`,
    [lease, agent.id, expires, Date.now(), id, agent.capacity],
  );
  return r && legRow(r);
}

export async function legByLease(db: Db, lease: string, agent: string): Promise<LegRow | undefined> {
  const r = await db.get<LegRow>(
    `SELECT ${LEG} FROM server_legs WHERE lease = ? AND agent = ? AND state = 'leased' AND ${notRemoved()}`,
    [lease, agent],
  );
  return r && legRow(r);
}

export async function legById(db: Db, id: string): Promise<LegRow | undefined> {
  const r = await db.get<LegRow>(`SELECT ${LEG} FROM server_legs WHERE id = ?`, [id]);
  return r && legRow(r);
}

/**
 * An agent's events for its lease, seqs `from`...: kept once (a resend is ignored by the
 * unique key), only while the lease is the agent's. The highest seq kept comes back.
 */
export async function addEvents(
  db: Db,
  leg: LegRow,
  from: number,
  events: string[],
  expires: number,
): Promise<number> {
  const acked = Math.max(leg.acked, from + events.length - 1);
  const values = events
    .map((_, i) => `(?${4 * i + 1}, ?${4 * i + 2}, ?${4 * i + 3}, ?${4 * i + 4})`)
    .join(", ");
  // One round trip, all or nothing: the events and the lease's new acked seq and expiry.
  await db.batch([
    ...(events.length
      ? [
          {
            sql: `INSERT INTO server_leg_events (leg, attempt, seq, event) VALUES ${values} ON CONFLICT DO NOTHING`,
            params: events.flatMap((e, i) => [leg.id, leg.attempt, from + i, e]),
          },
        ]
      : []),
    {
      sql: `UPDATE server_legs SET acked = CASE WHEN acked > ? THEN acked ELSE ? END, expires = ? WHERE id = ? AND lease = ?
        AND ${notRemoved()}`,
      params: [acked, acked, expires, leg.id, leg.lease],
    },
  ]);
  return acked;
}

/** The server's own line in a leg's log (a lease lost): at seq 0 of the attempt it starts. */
export async function addServerLine(db: Db, leg: string, attempt: number, event: string): Promise<void> {
  await db.run(
    "INSERT INTO server_leg_events (leg, attempt, seq, event) VALUES (?, ?, 0, ?) ON CONFLICT DO NOTHING",
    [leg, attempt, event],
  );
}

/** Renews `agent`'s leases; the ones it still holds, and whether each was cancelled. */
export async function renew(
  db: Db,
  agent: string,
  leases: string[],
  expires: number,
): Promise<{ lease: string; cancel: number }[]> {
  if (!leases.length) return [];
  const marks = leases.map((_, i) => `?${i + 3}`).join(", ");
  return (
    await db.all<{ lease: string; cancel: number }>(
      `UPDATE server_legs SET expires = ?1 WHERE agent = ?2 AND state = 'leased' AND lease IN (${marks})
       AND ${notRemoved()} RETURNING lease, cancel`,
      [expires, agent, ...leases],
    )
  ).map((r) => ({ lease: r.lease, cancel: Number(r.cancel) }));
}

/** The leg's result from the agent holding its lease; false when it does not (late). */
export async function completeLeg(
  db: Db,
  lease: string,
  agent: string,
  result: string,
): Promise<string | undefined> {
  const r = await db.get<{ id: string }>(
    `UPDATE server_legs SET state = 'done', result = ?, lease = NULL
     WHERE lease = ? AND agent = ? AND state = 'leased' AND ${notRemoved()} RETURNING id`,
    [result, lease, agent],
  );
  return r?.id;
}

export async function countDone(db: Db, agent: string): Promise<void> {
  await db.run("UPDATE server_agents SET done = done + 1 WHERE id = ?", [agent]);
}

/** Cancels a leg: a waiting one ends now (true), a leased one is told to its agent. */
export async function cancelLeg(db: Db, id: string, result: string): Promise<boolean> {
  await db.run("UPDATE server_legs SET cancel = 1 WHERE id = ? AND state <> 'done'", [id]);
  const r = await db.get<{ id: string }>(
    "UPDATE server_legs SET state = 'done', result = ? WHERE id = ? AND state = 'waiting' RETURNING id",
    [result, id],
  );
  return r !== undefined;
}

/** The legs of a run whose server died: waiting ones end, leased ones are told to stop. */
export async function cancelLegsOf(db: Db, queued: number, result: string): Promise<void> {
  await db.run("UPDATE server_legs SET cancel = 1 WHERE repo = ? AND queued = ? AND state <> 'done'", [
    db.repo,
    queued,
  ]);
  await db.run(
    "UPDATE server_legs SET state = 'done', result = ? WHERE repo = ? AND queued = ? AND state = 'waiting'",
    [result, db.repo, queued],
  );
}

export async function expiredLegs(db: Db, now: number): Promise<LegRow[]> {
  return (
    await db.all<LegRow>(
      `SELECT ${LEG} FROM server_legs WHERE repo = ? AND state = 'leased' AND expires < ?`,
      [db.repo, now],
    )
  ).map(legRow);
}

/** A lost lease: queued again (true) unless another replica settled it first, or it was renewed meanwhile. */
export async function requeueLeg(db: Db, leg: LegRow): Promise<boolean> {
  const r = await db.get<{ id: string }>(
    `UPDATE server_legs SET state = 'waiting', attempt = attempt + 1, lease = NULL, agent = NULL, expires = NULL
     WHERE id = ? AND lease = ? AND state = 'leased' AND expires < ? RETURNING id`,
    [leg.id, leg.lease, Date.now()],
  );
  return r !== undefined;
}

/** A lease given to an agent whose long poll had ended: the leg waits again, as it was. */
export async function releaseLease(db: Db, leg: LegRow): Promise<void> {
  await db.run(
    "UPDATE server_legs SET state = 'waiting', lease = NULL, agent = NULL, expires = NULL WHERE id = ? AND lease = ?",
    [leg.id, leg.lease],
  );
}

/** A lost lease ended with `result` (true) unless another replica settled it first. */
export async function endLostLeg(db: Db, leg: LegRow, result: string): Promise<boolean> {
  const r = await db.get<{ id: string }>(
    `UPDATE server_legs SET state = 'done', result = ?, lease = NULL
     WHERE id = ? AND lease = ? AND state = 'leased' AND expires < ? RETURNING id`,
    [result, leg.id, leg.lease, Date.now()],
  );
  return r !== undefined;
}

/**
 * The leg's state and result, and its events after the cursor `after` (an event id) in the
 * order they were kept, read in one statement (one snapshot: a leg done here has all its
 * events here); undefined when there is no such leg.
 */
export async function legEventsAfter(
  db: Db,
  leg: string,
  after: number,
  limit: number,
): Promise<
  | {
      run: number;
      job: string;
      state: LegRow["state"];
      result: string | null;
      events: { id: number; event: string }[];
    }
  | undefined
> {
  const rows = await db.all<{
    run: number;
    job: string;
    state: LegRow["state"];
    result: string | null;
    eid: number | null;
    event: string | null;
  }>(
    `SELECT l.run, l.job, l.state, l.result, e.id AS eid, e.event FROM server_legs l
     LEFT JOIN server_leg_events e ON e.leg = l.id AND e.id > ?
     WHERE l.id = ? ORDER BY e.id LIMIT ?`,
    [after, leg, limit],
  );
  if (!rows.length) return undefined;
  return {
    run: Number(rows[0]!.run),
    job: rows[0]!.job,
    state: rows[0]!.state,
    result: rows[0]!.result,
    events: rows.filter((r) => r.eid !== null).map((r) => ({ id: Number(r.eid), event: r.event! })),
  };
}

/** The run has read the leg to its end: forgotten. */
export async function dropLeg(db: Db, id: string): Promise<void> {
  await db.batch([
    { sql: "DELETE FROM server_leg_events WHERE leg = ?", params: [id] },
    { sql: "DELETE FROM server_legs WHERE id = ?", params: [id] },
  ]);
}

/** Legs done long ago that no run read (their run's server died): forgotten. */
export async function dropStale(db: Db, before: number): Promise<void> {
  await db.run(
    "DELETE FROM server_leg_events WHERE leg IN (SELECT id FROM server_legs WHERE repo = ? AND state = 'done' AND enqueued_at < ?)",
    [db.repo, before],
  );
  await db.run("DELETE FROM server_legs WHERE repo = ? AND state = 'done' AND enqueued_at < ?", [
    db.repo,
    before,
  ]);
}

/** PostgreSQL: the LISTEN connections of other replicas (pid: this replica's own). */
export async function otherListeners(db: Db, pid: number): Promise<number> {
  const r = await db.get<{ n: number }>(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'slipway-listen' AND pid <> ? AND datname = current_database()",
    [pid],
  );
  return Number(r?.n ?? 0);
}
