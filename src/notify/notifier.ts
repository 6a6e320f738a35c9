// Sends notifications from an outbox, never in the caller's way: notify() only queues (a run's
// end waits neither for an endpoint nor for the outbox's database), a few deliveries go out at
// a time, each with a timeout, and a failed one is tried again later with exponential backoff
// and jitter (Retry-After when the endpoint says). The outbox is bounded: when an endpoint is
// down for long, the oldest waiting deliveries are dropped (and counted) rather than it
// growing. It is in memory (outbox.ts), or in the history database (outbox-db.ts: kept over a
// restart, shared by replicas, each claiming what it sends).
import { randomUUID } from "node:crypto";
import type { Target } from "./config.js";
import { environmentOf, type NotifyEvent } from "./events.js";
import { andThen, type Maybe, MemoryOutbox, type OutboxRow, type OutboxStore } from "./outbox.js";
import { body, headers } from "./payload.js";

export interface NotifierOptions {
  targets: Target[];
  log: (t: string) => void;
  /** Applied to every body sent (the server's masker: no secret leaves in a notification). */
  mask?: (t: string) => string;
  /** One attempt's limit (default 10 s). */
  timeoutMs?: number;
  /** Attempts per delivery, the first included (default 5). */
  attempts?: number;
  /** The first retry's delay (default 1 s), doubled each time up to maxBackoffMs (default 60 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Deliveries waiting at most (default 1000). */
  outbox?: number;
  /** Deliveries in flight at once to one target (default 2): a hanging one does not hold up the others. */
  concurrency?: number;
  random?: () => number;
  /** Where deliveries wait (default: in memory). */
  store?: OutboxStore;
  /** A shared store is looked at this often for rows due (default 1 s): retries, other replicas' rows. */
  pollMs?: number;
  /** How long a claim outlives the attempt's timeout (default 5 s): then another server may take the row. */
  claimMarginMs?: number;
}

interface Delivery extends OutboxRow {
  to: Target;
}

export interface DeadLetter {
  delivery: string;
  target: string;
  event: string;
  attempts: number;
  why: string;
  at: number;
}

/** Whether `t` wants `e`: its events, repositories and environments (empty lists: all). */
export function wants(t: Target, e: NotifyEvent): boolean {
  if (t.events.length && !t.events.includes(e.type)) return false;
  if (t.repositories.length && !t.repositories.includes(e.repository)) return false;
  if (t.environments.length) {
    const env = environmentOf(e);
    if (!env || !t.environments.includes(env)) return false;
  }
  return true;
}

export class Notifier {
  readonly counts = { queued: 0, delivered: 0, retried: 0, failed: 0, dropped: 0 };
  /** The last 100 deliveries given up on. */
  readonly dead: DeadLetter[] = [];
  private readonly store: OutboxStore;
  /** Rows waiting in the store when last looked. */
  private waiting = 0;
  /** Rows being added to the store. */
  private adding = 0;
  private inFlight = 0;
  /** What is under way (store calls, sends): close() lets it end before closing the store. */
  private readonly work = new Set<Promise<unknown>>();
  private readonly busy = new Map<string, number>();
  /** Aborts the requests in flight when the notifier closes (a hanging one must not hold the process). */
  private readonly stop = new AbortController();
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
  private closed = false;
  private idle: (() => void)[] = [];
  private lastError?: string;

  constructor(private readonly o: NotifierOptions) {
    this.store = o.store ?? new MemoryOutbox();
    // What an earlier server left (a restart) or another replica added.
    if (this.store.shared) this.pump();
  }

  get targets(): number {
    return this.o.targets.length;
  }

  /** What GET /api/notifications shows: the targets (no URL, no secret), the counts, the last failures. */
  status() {
    return {
      targets: this.o.targets.map((t) => ({
        name: t.name,
        format: t.format,
        signed: t.secret !== undefined,
        events: t.events,
        repositories: t.repositories,
        environments: t.environments,
      })),
      counts: { ...this.counts, waiting: this.waiting, inFlight: this.inFlight },
      failed: [...this.dead].reverse().map((d) => ({ ...d, at: new Date(d.at).toISOString() })),
    };
  }

  /** Queues `event` for every target that wants it; returns how many. Never waits. */
  notify(event: NotifyEvent): number {
    if (this.closed) return 0;
    const mask = this.o.mask ?? ((t: string) => t);
    const now = Date.now();
    const rows: OutboxRow[] = [];
    for (const target of this.o.targets) {
      if (!wants(target, event)) continue;
      const id = randomUUID();
      rows.push({
        id,
        target: target.name,
        event,
        body: mask(body(target, event, id, now)),
        attempt: 0,
        dueAt: now,
        createdAt: now,
      });
    }
    if (!rows.length) return 0;
    this.counts.queued += rows.length;
    this.adding++;
    this.guard(
      this.settle(
        () => this.store.add(rows, this.o.outbox ?? 1000, now),
        (dropped) => {
          for (const old of dropped) {
            this.counts.dropped++;
            this.o.log(`notify: outbox full, dropped ${old.event.type} for ${old.target}`);
          }
        },
        () => {
          this.adding--;
          this.pump();
        },
      ),
    );
    return rows.length;
  }

  /** Resolves when nothing waits or is in flight. */
  drained(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * Stops: what is in flight is aborted. A memory outbox drops what waits (a restart starts
   * it empty); a database keeps it, the aborted attempts put back for the next server.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    if (this.timer) clearTimeout(this.timer);
    // A claim or an insert under way ends (what it claimed is put back), then the aborted sends.
    while (this.work.size) await Promise.allSettled([...this.work]);
    for (const r of this.idle.splice(0)) r();
    try {
      await this.store.close();
    } catch (e) {
      this.o.log(`notify: outbox: ${(e as Error).message}`);
    }
  }

  private isIdle(): boolean {
    return !this.waiting && !this.inFlight && !this.adding;
  }

  /** Runs `f` (a store call) then `ok` with its value, then `last` whatever happened; at once when the store answers at once. */
  private settle<T>(f: () => Maybe<T>, ok: (t: T) => void, last: () => void): Maybe<void> {
    let v: Maybe<T>;
    try {
      v = f();
    } catch (e) {
      last();
      throw e;
    }
    if (!(v instanceof Promise)) {
      try {
        ok(v);
      } finally {
        last();
      }
      return;
    }
    return v.then(ok).finally(last);
  }

  /** A store failure (the database away for a moment) is logged; the next look tries again. */
  private guard(v: Maybe<void>): void {
    if (!(v instanceof Promise)) return;
    const p: Promise<void> = v
      .then(
        () => {
          this.lastError = undefined;
        },
        (e: Error) => {
          // Once per cause, not every second while the database is away.
          if (e.message !== this.lastError) this.o.log(`notify: outbox: ${e.message}`);
          this.lastError = e.message;
        },
      )
      .finally(() => this.work.delete(p));
    this.work.add(p);
  }

  private pump(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.again = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    const timeout = this.o.timeoutMs ?? 10_000;
    const per = this.o.concurrency ?? 2;
    const byName = new Map(this.o.targets.map((t) => [t.name, t] as const));
    let soonest: number | undefined;
    const v = this.settle(
      () =>
        andThen(this.store.look(now), (seen) => {
          this.waiting = seen.waiting;
          soonest = seen.next;
          const room = new Map([...byName.keys()].map((k) => [k, per - (this.busy.get(k) ?? 0)] as const));
          if (seen.next === undefined || seen.next > now) return;
          return andThen(this.store.claim(room, now, now + timeout + (this.o.claimMarginMs ?? 5000)), (c) => {
            for (const s of c.strays) {
              this.counts.dropped++;
              this.o.log(
                `notify: ${s.event.type} for ${s.target} dropped: no such target in the configuration`,
              );
            }
            for (const r of c.rows) this.start({ ...r, to: byName.get(r.target)! });
            if (!c.rows.length && !c.strays.length) return;
            // Look again: what is left, and when it is due.
            return andThen(this.store.look(now), (again) => {
              this.waiting = again.waiting;
              soonest = again.next;
            });
          });
        }),
      () => {},
      () => {
        this.pumping = false;
        if (this.closed) return;
        if (this.again) return this.pump();
        const poll = this.store.shared ? (this.o.pollMs ?? 1000) : undefined;
        // A target at its concurrency waits for a send to end (which pumps), not for a timer.
        let wait = soonest !== undefined ? Math.max(0, soonest - Date.now()) : undefined;
        if (wait !== undefined && soonest! <= now) wait = poll;
        if (poll !== undefined) wait = Math.min(wait ?? poll, poll);
        if (wait !== undefined) {
          this.timer = setTimeout(() => this.pump(), wait);
          this.timer.unref();
        }
        if (this.isIdle()) for (const r of this.idle.splice(0)) r();
      },
    );
    this.guard(v);
  }

  private start(d: Delivery): void {
    if (this.closed) {
      // Claimed as the notifier closed: back for the next server, untried.
      this.guard(this.store.retry(d.id, d.attempt, d.dueAt));
      return;
    }
    this.inFlight++;
    this.busy.set(d.target, (this.busy.get(d.target) ?? 0) + 1);
    const p = this.send(d)
      .catch((e: Error) => this.o.log(`notify: outbox: ${e.message}`))
      .finally(() => {
        this.inFlight--;
        this.busy.set(d.target, this.busy.get(d.target)! - 1);
        this.work.delete(p);
        this.pump();
      });
    this.work.add(p);
  }

  private async send(d: Delivery): Promise<void> {
    d.attempt++;
    const timeout = this.o.timeoutMs ?? 10_000;
    let why: string;
    let retryAfter: number | undefined;
    try {
      const r = await fetch(d.to.url, {
        method: "POST",
        headers: headers(d.to, d.event, d.id, d.body),
        body: d.body,
        signal: AbortSignal.any([AbortSignal.timeout(timeout), this.stop.signal]),
        redirect: "manual",
      });
      await r.arrayBuffer().catch(() => undefined);
      if (r.ok) {
        this.counts.delivered++;
        return await this.store.remove(d.id);
      }
      why = `answered ${r.status}`;
      if (!(r.status === 408 || r.status === 429 || r.status >= 500)) return await this.giveUp(d, why);
      const after = Number(r.headers.get("retry-after"));
      if (Number.isFinite(after) && after > 0) retryAfter = after * 1000;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      why =
        err.name === "TimeoutError"
          ? `no answer in ${timeout / 1000} s`
          : (err.cause?.code ?? err.cause?.message ?? err.message);
    }
    if (this.closed) {
      // Stopping: a durable outbox keeps it for the next server (at once); memory forgets it.
      if (this.store.shared) return await this.store.retry(d.id, d.attempt, Date.now());
      return await this.giveUp(d, why);
    }
    if (d.attempt >= (this.o.attempts ?? 5)) return await this.giveUp(d, why);
    const max = this.o.maxBackoffMs ?? 60_000;
    const base = Math.min(max, (this.o.backoffMs ?? 1000) * 2 ** (d.attempt - 1));
    // Equal jitter: half the delay fixed, half random, so retries of many deliveries spread out.
    const delay =
      retryAfter !== undefined
        ? Math.min(retryAfter, max)
        : base / 2 + (this.o.random ?? Math.random)() * (base / 2);
    await this.store.retry(d.id, d.attempt, Date.now() + delay);
    this.counts.retried++;
  }

  private async giveUp(d: Delivery, why: string): Promise<void> {
    this.counts.failed++;
    this.dead.push({
      delivery: d.id,
      target: d.target,
      event: d.event.type,
      attempts: d.attempt,
      why,
      at: Date.now(),
    });
    if (this.dead.length > 100) this.dead.shift();
    const mask = this.o.mask ?? ((t: string) => t);
    this.o.log(mask(`notify: ${d.event.type} to ${d.target} failed after ${d.attempt} attempt(s): ${why}`));
    await this.store.remove(d.id);
  }
}
