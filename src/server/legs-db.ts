// DESIGN: agents shared by replicas. With PostgreSQL, the legs' queue, the leases and the
// agents are rows (db/server-legs.ts), not one server's memory:
// - A run (a `slipway run` child) queues its legs with its own server, which inserts them and
//   sends NOTIFY slipway_legs: every replica wakes the agents long-polling it, which take a
//   leg with a conditional UPDATE (FOR UPDATE SKIP LOCKED), so an agent connected to replica A
//   runs a leg of a run coordinated by replica B.
// - An agent's events go to whichever replica it talks to, which stores them (a resend is kept
//   once: unique (leg, attempt, seq)) and sends NOTIFY slipway_leg with the leg's id; the run's
//   own replica, long-polling for them, wakes and reads them from the database. Events reach
//   the run through the database, not by forwarding between replicas: no replica needs to
//   know another's address, and none holds anything the others need.
// - Every replica expires leases: the first to settle a lost lease wins (a conditional
//   UPDATE); the leg is queued again once, then failed with the reason.
// - A replica that dies loses nothing: its agents' leases live on (the agents reconnect to
//   any replica, their tokens are rows); its runs are settled by another replica
//   (server-queue.ts), which cancels their legs here, and run again once.
// - The assignment's secret values are sealed (AES-256-GCM, the server's secret key, which the
//   replicas share) before they are written.
// - SQLite is one server: the same code works on it (tests), but `slipway serve` keeps the
//   legs in memory there (dispatch.ts); nothing would be shared.
// Cost: an idle agent costs a read when its long poll (25 s) begins, and nothing while it
// waits; each replica reads the queue once a second while agents wait there (the safety net
// for a missed notification) and its snapshot for the API and pages. NOTIFY is skipped while
// no other replica listens. One matcher per replica hands legs to its waiting agents, so they
// never race each other for a leg; replicas race only through SKIP LOCKED.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { Db } from "../db/db.js";
import {
  type AgentRow,
  addAgent,
  addEvents,
  addLeg,
  addServerLine,
  agentByHash,
  agentName,
  cancelLeg,
  completeLeg,
  countDone,
  dropLeg,
  dropStale,
  endLostLeg,
  expiredLegs,
  type LegRow,
  legByLease,
  legEventsAfter,
  listAgentRows,
  openLegs,
  otherListeners,
  releaseLease,
  removeAgentRow,
  renew,
  requeueLeg,
  seen,
  takeLeg,
  waitingLegs,
} from "../db/server-legs.js";
import type { JobAssignment } from "../run/assignment.js";
import type { RunEvent } from "../run/events.js";
import type { LegResult } from "../run/job.js";
import {
  type AgentInfo,
  type DispatchOptions,
  fits,
  type LegQueue,
  lostWhy,
  type NextEvents,
  type QueuedLeg,
  whyWaits,
} from "./dispatch.js";
import type { AgentPlatform } from "./labels.js";

export interface LegsDbOptions extends DispatchOptions {
  /** Connections to the database, used in turn (each change is one statement: any will do). */
  db: Db | Db[];
  /** PostgreSQL: the URL a LISTEN connection opens (wake-ups from other replicas). */
  listenUrl?: string;
  /** The server's secret key: the assignments' secret values are sealed with it. */
  key: Buffer;
}

const id = () => randomBytes(9).toString("base64url");
const hash = (t: string) => createHash("sha256").update(t).digest("hex");

type Wait = () => void;

export class LegsDb implements LegQueue {
  counts = { dispatched: 0, requeued: 0, lost: 0, refusedLate: 0 };
  readonly startDelays: number[] = [];
  private readonly dbs: Db[];
  private turn = 0;
  private readonly tokens = new Map<string, AgentInfo>();
  private agentsSnapshot = new Map<string, AgentInfo>();
  private legsSnapshot: (QueuedLeg & { why: string })[] = [];
  /** Agents in a lease long-poll here, handed legs by match() when one is queued (here or on a replica). */
  private readonly idle = new Map<
    string,
    { agent: AgentInfo; give: (l: QueuedLeg | undefined) => void; once: boolean }
  >();
  private matching?: Promise<void>;
  private matchAgain = false;
  /** Runs here waiting for a leg's events. */
  private readonly watchers = new Map<string, Set<Wait>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private listener?: { end(): Promise<void> };
  private listenerPid = 0;
  /** Other replicas listening (read each second): alone, no NOTIFY is sent. */
  private others = 1;
  private closed = false;

  constructor(private readonly o: LegsDbOptions) {
    this.dbs = Array.isArray(o.db) ? o.db : [o.db];
  }

  /** The next connection: a PostgreSQL connection runs one query at a time. */
  private get db(): Db {
    return this.dbs[this.turn++ % this.dbs.length]!;
  }

  async start(): Promise<void> {
    if (this.o.listenUrl) {
      const pg = (await import("pg")).default;
      const client = new pg.Client({
        connectionString: this.o.listenUrl,
        application_name: "slipway-listen",
      });
      client.on("error", (e) => this.o.log(`legs: LISTEN connection: ${e.message}`));
      client.on("notification", (n) => {
        if (n.channel === "slipway_legs") this.wakeAgents();
        else if (n.channel === "slipway_leg" && n.payload) this.wake(n.payload);
        else if (n.channel === "slipway_agent_removed" && n.payload) this.removedHere(n.payload, Date.now());
      });
      await client.connect();
      await client.query("LISTEN slipway_legs");
      await client.query("LISTEN slipway_leg");
      await client.query("LISTEN slipway_agent_removed");
      this.listenerPid = Number((await client.query("SELECT pg_backend_pid() AS pid")).rows[0].pid);
      this.listener = client;
    }
    await this.snapshot();
    const every = (ms: number, f: () => Promise<void>) => {
      const t = setInterval(() => void f().catch((e: Error) => this.o.log(`legs: ${e.message}`)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(1000, () => this.snapshot());
    // NOTIFY is how replicas hear each other at once; this is the safety net (a notification
    // sent before a replica listened, a LISTEN connection that broke): one read a second.
    every(1000, async () => this.match());
    every(Math.max(200, Math.min(1000, this.o.leaseMs / 4)), () => this.expire());
    every(60_000, () => dropStale(this.db, Date.now() - 24 * 3600_000));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const w of [...this.idle.values()]) w.give(undefined);
    void this.listener?.end().catch(() => {});
    for (const db of this.dbs) void db.close();
  }

  async register(a: Omit<AgentInfo, "id" | "token" | "lastSeen" | "leases" | "done">): Promise<AgentInfo> {
    const agent: AgentInfo = {
      ...a,
      id: id(),
      token: id() + id(),
      lastSeen: Date.now(),
      leases: new Set(),
      done: 0,
    };
    await addAgent(this.db, {
      id: agent.id,
      token_hash: hash(agent.token),
      name: agent.name,
      labels: JSON.stringify(agent.labels),
      platform: JSON.stringify(agent.platform),
      capacity: agent.capacity,
      sandbox: agent.sandbox ? 1 : 0,
      last_seen: agent.lastSeen,
    });
    this.tokens.set(agent.token, agent);
    this.o.log(
      `agent ${agent.name} (${agent.id}) registered: labels ${agent.labels.join(", ")}, capacity ${agent.capacity}`,
    );
    return agent;
  }

  /** Any replica knows every agent: a token unknown here is looked up in the database. */
  async agentByToken(token: string): Promise<AgentInfo | undefined> {
    let a = this.tokens.get(token);
    if (!a) {
      const r = await agentByHash(this.db, hash(token));
      if (!r) return undefined;
      a = { ...agentInfo(r), token };
      this.tokens.set(token, a);
    }
    const now = Date.now();
    // Last seen, written at most every 5 s per agent; the same statement says whether another
    // replica removed it (a safety net for a missed notification).
    if (!a.removed && now - (this.written.get(a.id) ?? 0) > 5000) {
      this.written.set(a.id, now);
      const removed = await seen(this.db, a.id, now);
      if (removed !== null) this.removedHere(a.id, removed);
    }
    a.lastSeen = now;
    return a;
  }

  /** When each agent's last_seen was last written (ms). */
  private readonly written = new Map<string, number>();

  async removeAgent(agentId: string): Promise<{ agent: AgentInfo; released: number } | undefined> {
    const now = Date.now();
    const removed = await removeAgentRow(this.db, agentId, now);
    if (!removed) return undefined;
    const { agent: row, released } = removed;
    this.removedHere(agentId, now);
    this.o.log(`agent ${row.name} (${row.id}) removed by an admin`);
    // Its leases expired in the same statement: settled now, as lost leases (any replica that
    // gets there first writes the same reason: the agent's row says it was removed).
    await this.expire();
    await this.notify("slipway_agent_removed", agentId);
    return { agent: { ...agentInfo(row), removed: now }, released };
  }

  /** Agent `agentId` was removed (here or on a replica): its token refused, its long poll ended. */
  private removedHere(agentId: string, at: number): void {
    for (const a of this.tokens.values()) if (a.id === agentId) a.removed ??= at;
    this.agentsSnapshot.delete(agentId);
    this.written.delete(agentId);
    this.idle.get(agentId)?.give(undefined);
  }

  listAgents(): AgentInfo[] {
    return [...this.agentsSnapshot.values()];
  }

  queue(): (QueuedLeg & { why: string })[] {
    return this.legsSnapshot;
  }

  async enqueue(
    run: number,
    assignment: JobAssignment,
    untrusted: boolean,
    queued?: number,
  ): Promise<{ id: string }> {
    const legId = id();
    await addLeg(this.db, {
      id: legId,
      run,
      queued: queued ?? null,
      job: assignment.key,
      assignment: this.seal(legId, assignment),
      runs_on: JSON.stringify(assignment.runsOn),
      untrusted: untrusted ? 1 : 0,
      enqueued_at: Date.now(),
    });
    this.counts.dispatched++;
    await this.notify("slipway_legs");
    return { id: legId };
  }

  async lease(agent: AgentInfo, waitMs: number): Promise<QueuedLeg | undefined> {
    if (this.closed || agent.removed) return undefined;
    this.idle.get(agent.id)?.give(undefined);
    return new Promise((resolve) => {
      const give = (l: QueuedLeg | undefined) => {
        clearTimeout(timer);
        if (this.idle.get(agent.id)?.give === give) this.idle.delete(agent.id);
        resolve(l);
      };
      // waitMs 0: answered by the next pass of match(), not by the clock.
      const timer = waitMs > 0 ? setTimeout(() => give(undefined), waitMs) : undefined;
      this.idle.set(agent.id, { agent, give, once: waitMs <= 0 });
      this.match();
    });
  }

  /**
   * Hands waiting legs to the agents asking here, oldest leg first: one pass at a time, one
   * read of the queue per pass (not one per agent), so a wake-up costs the same with 1 or
   * 100 idle agents, and the agents of one replica never race each other for a leg.
   */
  private match(): void {
    if (this.matching) {
      this.matchAgain = true;
      return;
    }
    this.matching = (async () => {
      do {
        this.matchAgain = false;
        if (!this.idle.size) break;
        const asked = [...this.idle.values()];
        const legs = await waitingLegs(this.db);
        for (const c of legs) {
          const leg = {
            untrusted: c.untrusted === 1,
            assignment: { runsOn: JSON.parse(c.runs_on) as string[] },
          };
          const w = [...this.idle.values()].find((x) => fits({ ...x.agent, leases: new Set() }, leg));
          if (!w) continue;
          const row = await takeLeg(this.db, c.id, w.agent, id(), Date.now() + this.o.leaseMs);
          if (!row) continue; // taken by an agent of another replica (or this agent is full)
          if (this.idle.get(w.agent.id) !== w) {
            // Its long poll ended meanwhile: the leg waits again.
            await this.unlease(row);
            continue;
          }
          w.give(this.started(row));
        }
        // Those that asked without waiting have their answer: nothing for them now.
        for (const w of asked) if (w.once && this.idle.get(w.agent.id) === w) w.give(undefined);
      } while (this.matchAgain && !this.closed);
    })()
      .catch((e: Error) => this.o.log(`legs: ${e.message}`))
      .finally(() => {
        this.matching = undefined;
      });
  }

  async events(
    agent: AgentInfo,
    leaseId: string,
    from: number,
    events: RunEvent[],
  ): Promise<{ acked: number; cancel: boolean } | undefined> {
    const leg = await legByLease(this.db, leaseId, agent.id);
    if (!leg) return undefined;
    const answer = (acked: number) => ({ acked, cancel: leg.cancel === 1 });
    if (from > leg.acked + 1) return answer(leg.acked); // a gap: the agent resends from acked + 1
    const skip = Math.max(0, leg.acked - from + 1);
    const fresh = events.slice(skip).map((e) => JSON.stringify(e));
    const acked = await addEvents(this.db, leg, from + skip, fresh, Date.now() + this.o.leaseMs);
    if (fresh.length) await this.notify("slipway_leg", leg.id);
    return answer(acked);
  }

  async heartbeat(agent: AgentInfo, leaseIds: string[]): Promise<{ lost: string[]; cancel: string[] }> {
    const held = await renew(this.db, agent.id, leaseIds, Date.now() + this.o.leaseMs);
    const mine = new Set(held.map((h) => h.lease));
    return {
      lost: leaseIds.filter((l) => !mine.has(l)),
      cancel: held.filter((h) => h.cancel === 1).map((h) => h.lease),
    };
  }

  async complete(agent: AgentInfo, leaseId: string, result: LegResult): Promise<boolean> {
    const legId = await completeLeg(this.db, leaseId, agent.id, JSON.stringify(result));
    if (!legId) {
      this.counts.refusedLate++;
      return false;
    }
    void countDone(this.db, agent.id).catch((e: Error) => this.o.log(`legs: ${e.message}`));
    this.o.onDone?.(result.result);
    await this.notify("slipway_leg", legId);
    // The agent has room again.
    this.wakeAgents();
    return true;
  }

  async cancel(legId: string): Promise<void> {
    const result: LegResult = {
      result: "cancelled",
      outputs: {},
      reason: "cancelled before an agent took it",
    };
    if (await cancelLeg(this.db, legId, JSON.stringify(result))) {
      this.o.onDone?.("cancelled");
      await this.notify("slipway_leg", legId);
    }
  }

  async next(legId: string, after: number, waitMs: number): Promise<NextEvents | undefined> {
    const end = Date.now() + waitMs;
    // Watching before reading: a wake-up between the read and the wait is not lost.
    const set = this.watchers.get(legId) ?? new Set();
    this.watchers.set(legId, set);
    let woken = false;
    let wake = () => {};
    const watch = () => {
      woken = true;
      wake();
    };
    set.add(watch);
    try {
      for (;;) {
        woken = false;
        const leg = await legEventsAfter(this.db, legId, after, 2000);
        if (!leg) return undefined;
        const rows = leg.events;
        const cursor = rows.at(-1)?.id ?? after;
        const events = rows.map((r) => JSON.parse(r.event) as RunEvent);
        const all = rows.length < 2000;
        if (events.length || leg.state === "done" || this.closed || Date.now() >= end) {
          if (all && leg.state === "done" && leg.result) {
            // Read to its end: forgotten (not waited for: the run has what it needs).
            void dropLeg(this.db, legId).catch((e: Error) => this.o.log(`legs: ${e.message}`));
            return {
              events,
              after: cursor,
              result: JSON.parse(leg.result) as LegResult,
              leg: { run: leg.run, key: leg.job },
            };
          }
          return { events, after: cursor };
        }
        if (woken) continue;
        // At most a second: a notification missed is made up for by reading again.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.max(0, Math.min(1000, end - Date.now())));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = () => {};
      }
    } finally {
      set.delete(watch);
      if (!set.size) this.watchers.delete(legId);
    }
  }

  private started(row: LegRow): QueuedLeg {
    const delay = Date.now() - row.enqueued_at;
    this.startDelays.push(delay);
    if (this.startDelays.length > 10_000) this.startDelays.shift();
    this.o.onStart?.(delay);
    return this.queuedLeg(row, true);
  }

  private async unlease(row: LegRow): Promise<void> {
    await releaseLease(this.db, row);
  }

  /** Leases not renewed in time: queued again (once), then failed with the reason. */
  private async expire(): Promise<void> {
    const now = Date.now();
    for (const leg of await expiredLegs(this.db, now)) {
      const agent = leg.agent ? await agentName(this.db, leg.agent) : undefined;
      const who = agent?.name ?? "its agent";
      const why = lostWhy(agent?.name, agent?.removed === true, this.o.leaseMs);
      const key = (JSON.parse(leg.assignment) as { key: string }).key;
      const line = (text: string, stream: "info" | "stderr") =>
        JSON.stringify({ type: "log", job: key, stream, text } satisfies RunEvent);
      const end = async (result: LegResult) => {
        if (!(await endLostLeg(this.db, leg, JSON.stringify(result)))) return;
        this.counts.lost++;
        if (result.result === "failure")
          await addServerLine(this.db, leg.id, leg.attempt + 1, line(result.reason!, "stderr"));
        this.o.onDone?.(result.result);
        await this.notify("slipway_leg", leg.id);
      };
      if (leg.cancel) {
        await end({ result: "cancelled", outputs: {}, reason: `cancelled; ${why.short}` });
        continue;
      }
      if (leg.attempt > this.o.retries) {
        const reason = `${why.long} and the job was already retried`;
        await end({ result: "failure", outputs: {}, reason });
        continue;
      }
      if (!(await requeueLeg(this.db, leg))) continue; // another replica settled it
      this.counts.lost++;
      this.counts.requeued++;
      const text = `${why.long}: attempt ${leg.attempt + 1} on another agent`;
      await addServerLine(this.db, leg.id, leg.attempt + 1, line(text, "info"));
      this.o.log(`leg ${key} of run ${leg.run}: lease lost on ${who}, queued again`);
      await this.notify("slipway_leg", leg.id);
      await this.notify("slipway_legs");
    }
  }

  /** What the API and the pages show, read once a second. */
  private async snapshot(): Promise<void> {
    // An agent asks at least every 25 s (its long poll) and is written seen every 5 s.
    const [agents, legs] = await Promise.all([
      listAgentRows(this.db, Date.now() - 90_000),
      openLegs(this.db),
    ]);
    if (this.o.listenUrl) this.others = await otherListeners(this.db, this.listenerPid);
    const map = new Map(agents.map((r) => [r.id, agentInfo(r)]));
    for (const l of legs)
      if (l.state === "leased" && l.agent && l.lease) map.get(l.agent)?.leases.add(l.lease);
    this.agentsSnapshot = map;
    this.legsSnapshot = legs.map((r) => {
      const leg = this.queuedLeg(r, false);
      return { ...leg, why: whyWaits(leg, map) };
    });
  }

  private queuedLeg(r: LegRow, withSecrets: boolean): QueuedLeg {
    return {
      id: r.id,
      run: r.run,
      assignment: this.unseal(r.id, r.assignment, withSecrets),
      untrusted: r.untrusted === 1,
      state: r.state,
      attempt: r.attempt,
      ...(r.lease && r.agent
        ? { lease: { id: r.lease, agent: r.agent, expires: r.expires ?? 0, acked: r.acked } }
        : {}),
      events: [],
      ...(r.result ? { result: JSON.parse(r.result) as LegResult } : {}),
      cancelled: r.cancel === 1,
      enqueuedAt: r.enqueued_at,
      ...(r.started_at ? { startedAt: r.started_at } : {}),
    };
  }

  /** The assignment as JSON with its secret values sealed (bound to the leg's id). */
  private seal(legId: string, a: JobAssignment): string {
    const { secrets, ...rest } = a;
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.o.key, iv);
    c.setAAD(Buffer.from(legId));
    const data = Buffer.concat([c.update(JSON.stringify(secrets ?? {}), "utf8"), c.final()]);
    const sealed = [iv, c.getAuthTag(), data].map((b) => b.toString("base64")).join(".");
    return JSON.stringify({ ...rest, sealedSecrets: sealed });
  }

  private unseal(legId: string, json: string, withSecrets: boolean): JobAssignment {
    const { sealedSecrets, ...a } = JSON.parse(json) as JobAssignment & { sealedSecrets: string };
    if (!withSecrets) return a;
    const [iv, tag, data] = sealedSecrets.split(".").map((s) => Buffer.from(s, "base64")) as [
      Buffer,
      Buffer,
      Buffer,
    ];
    const d = createDecipheriv("aes-256-gcm", this.o.key, iv);
    d.setAAD(Buffer.from(legId));
    d.setAuthTag(tag);
    const secrets = JSON.parse(
      Buffer.concat([d.update(data), d.final()]).toString("utf8"),
    ) as JobAssignment["secrets"];
    return { ...a, secrets };
  }

  private notes = new Set<string>();

  /**
   * Here at once; the other replicas through NOTIFY (this one hears it too: a wake-up more),
   * the notifications of one moment sent together in one statement, each once.
   */
  private async notify(
    channel: "slipway_legs" | "slipway_leg" | "slipway_agent_removed",
    payload = "",
  ): Promise<void> {
    if (channel === "slipway_legs") this.wakeAgents();
    else if (channel === "slipway_leg") this.wake(payload);
    if (!this.o.listenUrl || this.others === 0) return;
    const first = this.notes.size === 0;
    this.notes.add(`${channel} ${payload}`);
    if (!first) return;
    await new Promise((r) => setImmediate(r));
    const all = [...this.notes].map((n) => n.split(" ") as [string, string]);
    this.notes = new Set();
    await this.db.run(
      `SELECT ${all.map((_, i) => `pg_notify(?${2 * i + 1}, ?${2 * i + 2})`).join(", ")}`,
      all.flat(),
    );
  }

  private wakeAgents(): void {
    this.match();
  }

  private wake(legId: string): void {
    for (const w of [...(this.watchers.get(legId) ?? [])]) w();
  }
}

function agentInfo(r: AgentRow): AgentInfo {
  return {
    id: r.id,
    name: r.name,
    labels: JSON.parse(r.labels) as string[],
    platform: JSON.parse(r.platform) as AgentPlatform,
    capacity: r.capacity,
    sandbox: r.sandbox === 1,
    token: "",
    lastSeen: r.last_seen,
    leases: new Set(),
    done: r.done,
    ...(r.removed_at !== null ? { removed: r.removed_at } : {}),
  };
}
