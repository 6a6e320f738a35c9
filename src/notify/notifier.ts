// Sends notifications from an outbox in memory, never in the caller's way: notify() only
// queues (a run's end does not wait for any endpoint), a few deliveries go out at a time, each
// with a timeout, and a failed one is tried again later with exponential backoff and jitter
// (Retry-After when the endpoint says). The outbox is bounded: when an endpoint is down for
// long, the oldest waiting deliveries are dropped (and counted) rather than memory growing.
import { randomUUID } from "node:crypto";
import type { Target } from "./config.js";
import { environmentOf, type NotifyEvent } from "./events.js";
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
}

interface Delivery {
  id: string;
  target: Target;
  event: NotifyEvent;
  text: string;
  attempt: number;
  dueAt: number;
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
  private readonly waiting: Delivery[] = [];
  private inFlight = 0;
  private readonly busy = new Map<Target, number>();
  /** Aborts the requests in flight when the notifier closes (a hanging one must not hold the process). */
  private readonly stop = new AbortController();
  private timer?: NodeJS.Timeout;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(private readonly o: NotifierOptions) {}

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
      counts: { ...this.counts, waiting: this.waiting.length, inFlight: this.inFlight },
      failed: [...this.dead].reverse().map((d) => ({ ...d, at: new Date(d.at).toISOString() })),
    };
  }

  /** Queues `event` for every target that wants it; returns how many. Never waits. */
  notify(event: NotifyEvent): number {
    if (this.closed) return 0;
    const mask = this.o.mask ?? ((t: string) => t);
    const now = Date.now();
    let n = 0;
    for (const target of this.o.targets) {
      if (!wants(target, event)) continue;
      const id = randomUUID();
      if (this.waiting.length >= (this.o.outbox ?? 1000)) {
        const old = this.waiting.shift()!;
        this.counts.dropped++;
        this.o.log(`notify: outbox full, dropped ${old.event.type} for ${old.target.name}`);
      }
      this.waiting.push({
        id,
        target,
        event,
        text: mask(body(target, event, id, now)),
        attempt: 0,
        dueAt: now,
      });
      this.counts.queued++;
      n++;
    }
    if (n) this.pump();
    return n;
  }

  /** Resolves when nothing waits or is in flight. */
  drained(): Promise<void> {
    if (!this.waiting.length && !this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops: what waits is dropped (the outbox is memory; a restart starts it empty), what is in flight aborted. */
  close(): void {
    this.closed = true;
    this.stop.abort();
    if (this.timer) clearTimeout(this.timer);
    this.waiting.length = 0;
    for (const r of this.idle.splice(0)) r();
  }

  private pump(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    const per = this.o.concurrency ?? 2;
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.waiting.length; i++) {
        const w = this.waiting[i]!;
        if (
          w.dueAt <= now &&
          (this.busy.get(w.target) ?? 0) < per &&
          (next < 0 || w.dueAt < this.waiting[next]!.dueAt)
        )
          next = i;
      }
      if (next < 0) break;
      const d = this.waiting.splice(next, 1)[0]!;
      this.inFlight++;
      this.busy.set(d.target, (this.busy.get(d.target) ?? 0) + 1);
      void this.send(d).finally(() => {
        this.inFlight--;
        this.busy.set(d.target, this.busy.get(d.target)! - 1);
        this.pump();
      });
    }
    if (this.waiting.length) {
      const soonest = Math.min(...this.waiting.map((d) => d.dueAt));
      this.timer = setTimeout(() => this.pump(), Math.max(0, soonest - now));
      this.timer.unref();
    } else if (!this.inFlight) for (const r of this.idle.splice(0)) r();
  }

  private async send(d: Delivery): Promise<void> {
    d.attempt++;
    const timeout = this.o.timeoutMs ?? 10_000;
    let why: string;
    let retryAfter: number | undefined;
    try {
      const r = await fetch(d.target.url, {
        method: "POST",
        headers: headers(d.target, d.event, d.id, d.text),
        body: d.text,
        signal: AbortSignal.any([AbortSignal.timeout(timeout), this.stop.signal]),
        redirect: "manual",
      });
      await r.arrayBuffer().catch(() => undefined);
      if (r.ok) {
        this.counts.delivered++;
        return;
      }
      why = `answered ${r.status}`;
      if (!(r.status === 408 || r.status === 429 || r.status >= 500)) return this.giveUp(d, why);
      const after = Number(r.headers.get("retry-after"));
      if (Number.isFinite(after) && after > 0) retryAfter = after * 1000;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      why =
        err.name === "TimeoutError"
          ? `no answer in ${timeout / 1000} s`
          : (err.cause?.code ?? err.cause?.message ?? err.message);
    }
    if (d.attempt >= (this.o.attempts ?? 5) || this.closed) return this.giveUp(d, why);
    this.counts.retried++;
    const max = this.o.maxBackoffMs ?? 60_000;
    const base = Math.min(max, (this.o.backoffMs ?? 1000) * 2 ** (d.attempt - 1));
    // Equal jitter: half the delay fixed, half random, so retries of many deliveries spread out.
    const delay =
      retryAfter !== undefined
        ? Math.min(retryAfter, max)
        : base / 2 + (this.o.random ?? Math.random)() * (base / 2);
    d.dueAt = Date.now() + delay;
    this.waiting.push(d);
  }

  private giveUp(d: Delivery, why: string): void {
    this.counts.failed++;
    this.dead.push({
      delivery: d.id,
      target: d.target.name,
      event: d.event.type,
      attempts: d.attempt,
      why,
      at: Date.now(),
    });
    if (this.dead.length > 100) this.dead.shift();
    const mask = this.o.mask ?? ((t: string) => t);
    this.o.log(
      mask(`notify: ${d.event.type} to ${d.target.name} failed after ${d.attempt} attempt(s): ${why}`),
    );
  }
}
