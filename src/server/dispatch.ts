// The server's queue of legs for its agents. A run (a `slipway run` the server started) hands
// each leg it would run to the queue; agents whose labels satisfy the leg's runs-on lease it,
// run it and send its events back with sequence numbers (a resend is acknowledged, never
// kept twice); the run reads the events and the result. A lease not renewed in time is lost:
// the leg is queued again once, then failed with the reason. Agents and runs wait in long
// polls, woken when there is something for them, so idle agents cost the server nothing.
import { randomBytes } from "node:crypto";
import type { JobAssignment } from "../run/assignment.js";
import type { RunEvent } from "../run/events.js";
import type { LegResult } from "../run/job.js";
import { type AgentPlatform, satisfies } from "./labels.js";

export interface AgentInfo {
  id: string;
  name: string;
  labels: string[];
  platform: AgentPlatform;
  capacity: number;
  /** Can run jobs in the sandbox (needed for untrusted legs: fork pull requests). */
  sandbox: boolean;
  token: string;
  lastSeen: number;
  leases: Set<string>;
  /** Jobs it finished. */
  done: number;
  /** When an admin removed it (ms): its token is refused with 410, it is listed no more. */
  removed?: number;
}

export interface QueuedLeg {
  id: string;
  run: number;
  assignment: JobAssignment;
  /** Runs only in the sandbox, without secrets (a fork's pull request). */
  untrusted: boolean;
  state: "waiting" | "leased" | "done";
  attempt: number;
  lease?: { id: string; agent: string; expires: number; acked: number };
  /** Every event of the leg so far, all attempts, in the order received. */
  events: RunEvent[];
  result?: LegResult;
  cancelled: boolean;
  enqueuedAt: number;
  startedAt?: number;
}

export interface DispatchOptions {
  /** A lease not renewed for this long is lost (ms). */
  leaseMs: number;
  /** How many times a leg whose agent vanished is queued again. */
  retries: number;
  log: (t: string) => void;
  /** A leg started on an agent, `ms` after it was queued (for /metrics). */
  onStart?: (ms: number) => void;
  /** A leg ended (for /metrics). */
  onDone?: (result: string) => void;
}

type Waiter<T> = { resolve: (v: T) => void; timer: NodeJS.Timeout };

type Maybe<T> = T | Promise<T>;

/** A leg's next events for its run, `after` the cursor to ask from next, and its result once all are read. */
export interface NextEvents {
  events: RunEvent[];
  after: number;
  result?: LegResult;
  /** With the result: the leg's run and job key. */
  leg?: { run: number; key: string };
}

/**
 * The legs' queue as the agent API, the pages and /metrics use it: the Dispatcher here (one
 * server, in memory) or LegsDb (legs-db.ts: replicas sharing PostgreSQL). listAgents() and
 * queue() answer at once (a snapshot at most a second old in the database's case).
 */
export interface LegQueue {
  counts: { dispatched: number; requeued: number; lost: number; refusedLate: number };
  readonly startDelays: number[];
  close(): void;
  register(a: Omit<AgentInfo, "id" | "token" | "lastSeen" | "leases" | "done">): Maybe<AgentInfo>;
  agentByToken(token: string): Maybe<AgentInfo | undefined>;
  listAgents(): AgentInfo[];
  queue(): (QueuedLeg & { why: string })[];
  enqueue(run: number, assignment: JobAssignment, untrusted: boolean, queued?: number): Maybe<{ id: string }>;
  lease(agent: AgentInfo, waitMs: number): Promise<QueuedLeg | undefined>;
  events(
    agent: AgentInfo,
    leaseId: string,
    from: number,
    events: RunEvent[],
  ): Maybe<{ acked: number; cancel: boolean } | undefined>;
  heartbeat(agent: AgentInfo, leaseIds: string[]): Maybe<{ lost: string[]; cancel: string[] }>;
  complete(agent: AgentInfo, leaseId: string, result: LegResult): Maybe<boolean>;
  cancel(legId: string): Maybe<void>;
  /**
   * An admin removes agent `agentId`: its token is refused from now on (410), the legs it holds
   * are lost leases (queued again once, then failed, "agent NAME was removed"); what it sent
   * stays. Undefined when no such agent is registered (or it was removed already).
   */
  removeAgent(agentId: string): Maybe<{ agent: AgentInfo; released: number } | undefined>;
  next(legId: string, after: number, waitMs: number): Promise<NextEvents | undefined>;
}

const id = () => randomBytes(9).toString("base64url");

export class Dispatcher implements LegQueue {
  private readonly agents = new Map<string, AgentInfo>();
  /** Agents an admin removed: their tokens stay known, to be told so (410) rather than "register again". */
  private readonly removed = new Map<string, AgentInfo>();
  private readonly byToken = new Map<string, AgentInfo>();
  private readonly legs = new Map<string, QueuedLeg>();
  private readonly waiting: QueuedLeg[] = [];
  private readonly leases = new Map<string, QueuedLeg>();
  /** Agents in a lease long-poll. */
  private readonly idle = new Map<string, Waiter<QueuedLeg | undefined>>();
  /** Runs waiting for a leg's next events. */
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly timer: NodeJS.Timeout;
  /** Enqueue → lease start, ms, the last 10,000 (for the API and the bench). */
  readonly startDelays: number[] = [];
  counts = { dispatched: 0, requeued: 0, lost: 0, refusedLate: 0 };

  constructor(private readonly o: DispatchOptions) {
    this.timer = setInterval(() => this.expire(), Math.max(200, Math.min(1000, o.leaseMs / 4)));
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    for (const w of this.idle.values()) {
      clearTimeout(w.timer);
      w.resolve(undefined);
    }
    this.idle.clear();
  }

  register(a: Omit<AgentInfo, "id" | "token" | "lastSeen" | "leases" | "done">): AgentInfo {
    const agent: AgentInfo = {
      ...a,
      id: id(),
      token: id() + id(),
      lastSeen: Date.now(),
      leases: new Set(),
      done: 0,
    };
    this.agents.set(agent.id, agent);
    this.byToken.set(agent.token, agent);
    this.o.log(
      `agent ${agent.name} (${agent.id}) registered: labels ${agent.labels.join(", ")}, capacity ${agent.capacity}`,
    );
    return agent;
  }

  agentByToken(token: string): AgentInfo | undefined {
    const a = this.byToken.get(token);
    if (a) a.lastSeen = Date.now();
    return a;
  }

  listAgents(): AgentInfo[] {
    return [...this.agents.values()];
  }

  removeAgent(agentId: string): { agent: AgentInfo; released: number } | undefined {
    const agent = this.agents.get(agentId);
    if (!agent) return undefined;
    agent.removed = Date.now();
    this.agents.delete(agentId);
    this.removed.set(agentId, agent);
    const w = this.idle.get(agentId);
    if (w) {
      this.idle.delete(agentId);
      clearTimeout(w.timer);
      w.resolve(undefined);
    }
    const held = [...agent.leases];
    for (const leaseId of held) {
      const leg = this.leases.get(leaseId);
      if (leg?.lease) this.lose(leaseId, leg);
    }
    this.o.log(`agent ${agent.name} (${agent.id}) removed by an admin: ${held.length} job(s) released`);
    this.match();
    return { agent, released: held.length };
  }

  /** A run's leg, queued; the run reads its events with next(). */
  enqueue(run: number, assignment: JobAssignment, untrusted: boolean): QueuedLeg {
    const leg: QueuedLeg = {
      id: id(),
      run,
      assignment,
      untrusted,
      state: "waiting",
      attempt: 1,
      events: [],
      cancelled: false,
      enqueuedAt: Date.now(),
    };
    this.legs.set(leg.id, leg);
    this.waiting.push(leg);
    this.counts.dispatched++;
    this.match();
    return leg;
  }

  leg(legId: string): QueuedLeg | undefined {
    return this.legs.get(legId);
  }

  /** Legs not finished, oldest first, with why each waits. */
  queue(): (QueuedLeg & { why: string })[] {
    return [...this.legs.values()].filter((l) => l.state !== "done").map((l) => ({ ...l, why: this.why(l) }));
  }

  /** Why a waiting leg is not running yet, in the words the API and the page show. */
  why(leg: QueuedLeg): string {
    return whyWaits(leg, this.agents);
  }

  /**
   * An agent asks for work: a leg now, or within `waitMs` when one comes; undefined when none.
   * The lease is the agent's until it stops renewing it.
   */
  lease(agent: AgentInfo, waitMs: number): Promise<QueuedLeg | undefined> {
    if (agent.removed) return Promise.resolve(undefined);
    const now = this.take(agent);
    if (now || waitMs <= 0) return Promise.resolve(now);
    this.idle.get(agent.id)?.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle.delete(agent.id);
        resolve(undefined);
      }, waitMs);
      this.idle.set(agent.id, { resolve, timer });
    });
  }

  /**
   * An agent's events for its lease, `from` the seq of the first: the highest seq kept, and
   * whether the run cancelled the leg; undefined when the lease is not the agent's.
   */
  events(
    agent: AgentInfo,
    leaseId: string,
    from: number,
    events: RunEvent[],
  ): { acked: number; cancel: boolean } | undefined {
    const leg = this.owned(agent, leaseId);
    if (!leg?.lease) return undefined;
    const l = leg.lease;
    const answer = () => ({ acked: l.acked, cancel: leg.cancelled });
    // Seqs up to acked are kept already (a resend after a lost answer): only the rest is new.
    const skip = Math.max(0, l.acked - from + 1);
    if (from > l.acked + 1) return answer(); // a gap: the agent resends from acked + 1
    const fresh = events.slice(skip);
    if (fresh.length) {
      leg.events.push(...fresh);
      l.acked += fresh.length;
      this.wake(leg.id);
    }
    l.expires = Date.now() + this.o.leaseMs;
    return answer();
  }

  /** Renews the agent's leases; answers which are lost and which the run cancelled. */
  heartbeat(agent: AgentInfo, leaseIds: string[]): { lost: string[]; cancel: string[] } {
    const lost: string[] = [];
    const cancel: string[] = [];
    for (const leaseId of leaseIds) {
      const leg = this.owned(agent, leaseId);
      if (!leg?.lease) {
        lost.push(leaseId);
        continue;
      }
      leg.lease.expires = Date.now() + this.o.leaseMs;
      if (leg.cancelled) cancel.push(leaseId);
    }
    return { lost, cancel };
  }

  /** The leg's result from the agent holding its lease; false when the lease is not its (late). */
  complete(agent: AgentInfo, leaseId: string, result: LegResult): boolean {
    const leg = this.owned(agent, leaseId);
    if (!leg) {
      this.counts.refusedLate++;
      return false;
    }
    this.leases.delete(leaseId);
    agent.leases.delete(leaseId);
    agent.done++;
    leg.lease = undefined;
    leg.state = "done";
    leg.result = result;
    this.o.onDone?.(result.result);
    this.wake(leg.id);
    this.match();
    return true;
  }

  /** The run cancels its leg: a waiting one ends now, a leased one is told to its agent. */
  cancel(legId: string): void {
    const leg = this.legs.get(legId);
    if (!leg || leg.state === "done") return;
    leg.cancelled = true;
    if (leg.state === "waiting") {
      this.waiting.splice(this.waiting.indexOf(leg), 1);
      this.finish(leg, { result: "cancelled", outputs: {}, reason: "cancelled before an agent took it" });
    }
  }

  /**
   * The leg's events after `after` (an index into its events) and, once all are read, its
   * result; waits up to `waitMs` when there is nothing new.
   */
  async next(legId: string, after: number, waitMs: number): Promise<NextEvents | undefined> {
    const leg = this.legs.get(legId);
    if (!leg) return undefined;
    if (leg.events.length <= after && leg.state !== "done" && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const set = this.watchers.get(legId) ?? new Set();
        this.watchers.set(legId, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        set.add(done);
      });
    }
    const events = leg.events.slice(after, after + 2000);
    const all = after + events.length >= leg.events.length;
    const out = {
      events,
      after: after + events.length,
      ...(all && leg.result ? { result: leg.result, leg: { run: leg.run, key: leg.assignment.key } } : {}),
    };
    // Read to the end: the run has it all; the leg is forgotten.
    if (all && leg.result) this.legs.delete(legId);
    return out;
  }

  private owned(agent: AgentInfo, leaseId: string): QueuedLeg | undefined {
    const leg = this.leases.get(leaseId);
    return leg?.lease?.agent === agent.id ? leg : undefined;
  }

  private fits(a: AgentInfo, leg: QueuedLeg, ignoreLoad = false): boolean {
    return fits(a, leg, ignoreLoad);
  }

  /** The oldest waiting leg this agent can run, leased to it. */
  private take(agent: AgentInfo): QueuedLeg | undefined {
    const i = this.waiting.findIndex((l) => this.fits(agent, l));
    if (i < 0) return undefined;
    const [leg] = this.waiting.splice(i, 1);
    const leaseId = id();
    leg!.state = "leased";
    leg!.lease = { id: leaseId, agent: agent.id, expires: Date.now() + this.o.leaseMs, acked: 0 };
    leg!.startedAt ??= Date.now();
    this.startDelays.push(Date.now() - leg!.enqueuedAt);
    this.o.onStart?.(Date.now() - leg!.enqueuedAt);
    if (this.startDelays.length > 10_000) this.startDelays.shift();
    this.leases.set(leaseId, leg!);
    agent.leases.add(leaseId);
    return leg;
  }

  /** Hands waiting legs to agents in a long poll. */
  private match(): void {
    for (const [agentId, w] of this.idle) {
      if (!this.waiting.length) return;
      const agent = this.agents.get(agentId);
      const leg = agent && this.take(agent);
      if (!leg) continue;
      this.idle.delete(agentId);
      clearTimeout(w.timer);
      w.resolve(leg);
    }
  }

  private wake(legId: string): void {
    for (const f of [...(this.watchers.get(legId) ?? [])]) f();
  }

  private finish(leg: QueuedLeg, result: LegResult): void {
    leg.state = "done";
    leg.result = result;
    this.o.onDone?.(result.result);
    this.wake(leg.id);
  }

  /** Leases not renewed in time: queued again (once), then failed with the reason. */
  private expire(): void {
    const now = Date.now();
    for (const [leaseId, leg] of this.leases)
      if (leg.lease && leg.lease.expires <= now) this.lose(leaseId, leg);
    this.match();
  }

  /** A lease lost (its agent stopped answering, or was removed): queued again (once), then failed. */
  private lose(leaseId: string, leg: QueuedLeg): void {
    const agentId = leg.lease!.agent;
    const agent = this.agents.get(agentId) ?? this.removed.get(agentId);
    this.leases.delete(leaseId);
    agent?.leases.delete(leaseId);
    leg.lease = undefined;
    this.counts.lost++;
    const why = lostWhy(agent?.name, agent?.removed !== undefined, this.o.leaseMs);
    if (leg.cancelled) {
      this.finish(leg, { result: "cancelled", outputs: {}, reason: `cancelled; ${why.short}` });
      return;
    }
    if (leg.attempt > this.o.retries) {
      const reason = `${why.long} and the job was already retried`;
      leg.events.push({ type: "log", job: leg.assignment.key, stream: "stderr", text: reason });
      this.finish(leg, { result: "failure", outputs: {}, reason });
      return;
    }
    leg.attempt++;
    leg.state = "waiting";
    this.counts.requeued++;
    leg.events.push({
      type: "log",
      job: leg.assignment.key,
      stream: "info",
      text: `${why.long}: attempt ${leg.attempt} on another agent`,
    });
    this.wake(leg.id);
    this.o.log(
      `leg ${leg.assignment.key} of run ${leg.run}: lease lost on ${agent?.name ?? "its agent"}, queued again`,
    );
    this.waiting.unshift(leg);
  }
}

/** Why a lease was lost, in the words a run's log and result show (both back ends). */
export function lostWhy(
  name: string | undefined,
  removed: boolean,
  leaseMs: number,
): { short: string; long: string } {
  const who = name ?? "its agent";
  if (removed) return { short: `agent ${who} was removed`, long: `agent ${who} was removed` };
  return {
    short: `${who} stopped answering`,
    long: `${who} stopped answering (no heartbeat for ${leaseMs / 1000} s)`,
  };
}

/** Whether agent `a` may run `leg` (and has room for it, unless `ignoreLoad`). */
export function fits(
  a: AgentInfo,
  leg: Pick<QueuedLeg, "untrusted"> & { assignment: Pick<JobAssignment, "runsOn"> },
  ignoreLoad = false,
): boolean {
  if (!ignoreLoad && a.leases.size >= a.capacity) return false;
  if (leg.untrusted && !a.sandbox) return false;
  return satisfies(a.labels, a.platform, leg.assignment.runsOn);
}

/** Why a leg is not running yet (or where it runs), in the words the API and the page show. */
export function whyWaits(leg: QueuedLeg, agents: Map<string, AgentInfo>): string {
  if (leg.state === "leased") return `running on ${agents.get(leg.lease!.agent)?.name ?? "an agent"}`;
  if (leg.state === "done") return leg.result?.result ?? "done";
  const able = [...agents.values()].filter((a) => fits(a, leg, true));
  const labels = leg.assignment.runsOn.join(", ") || "(none)";
  if (!able.length)
    return leg.untrusted
      ? `no agent with labels ${labels} can run it in the sandbox (a fork's pull request)`
      : `no agent with labels ${labels}`;
  return `all ${able.length} agent(s) with labels ${labels} are busy`;
}
