// Where the notifier keeps its deliveries between attempts: in memory (one process; what waits
// is lost when it stops), or in the history database (outbox-db.ts: kept over a restart and
// shared by replicas). The notifier runs the same engine over either.
import type { NotifyEvent } from "./events.js";

export interface OutboxRow {
  /** The delivery id (the X-Slipway-Delivery header, the same on every attempt). */
  id: string;
  /** The target's name in slipway-server.yml. */
  target: string;
  event: NotifyEvent;
  /** The body as it is sent, masked (the signature is computed from it at each attempt). */
  body: string;
  /** Attempts made so far. */
  attempt: number;
  dueAt: number;
  createdAt: number;
}

/** A value now (in memory) or later (a database). */
export type Maybe<T> = T | Promise<T>;

export interface OutboxStore {
  /** Whether other processes add or release rows too: then the notifier looks again every second. */
  readonly shared: boolean;
  /**
   * Adds `rows`. When more than `max` then wait (not being sent), the oldest waiting ones are
   * removed and returned (the outbox is bounded).
   */
  add(rows: OutboxRow[], max: number, now: number): Maybe<OutboxRow[]>;
  /**
   * Claims, for each target of `room`, up to its number of rows due by `now` that nobody is
   * sending, until `until` (a claim left by a sender that died expires then). Rows due whose
   * target is not in `room` (removed from the config) are removed and returned as `strays`.
   */
  claim(
    room: Map<string, number>,
    now: number,
    until: number,
  ): Maybe<{ rows: OutboxRow[]; strays: OutboxRow[] }>;
  /** Delivered, or given up on. */
  remove(id: string): Maybe<void>;
  /** Back for another attempt at `dueAt`; `attempt`: attempts made. */
  retry(id: string, attempt: number, dueAt: number): Maybe<void>;
  /** How many rows wait (nobody sending them), and when the soonest is due. */
  look(now: number): Maybe<{ waiting: number; next?: number }>;
  /** The notifier stops: a memory outbox forgets what waits; a database keeps it. */
  close(): Maybe<void>;
}

/** (Not named `then`: a module exporting `then` is a thenable to import().) Calls `f` with `v` at once when it is a value, else when it settles. */
export function andThen<T, R>(v: Maybe<T>, f: (t: T) => Maybe<R>): Maybe<R> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** The outbox in memory: one process, answers at once. */
export class MemoryOutbox implements OutboxStore {
  readonly shared = false;
  private readonly waiting: OutboxRow[] = [];
  private readonly sending = new Map<string, OutboxRow>();

  add(rows: OutboxRow[], max: number): OutboxRow[] {
    const dropped: OutboxRow[] = [];
    for (const r of rows) {
      if (this.waiting.length >= max) {
        let oldest = 0;
        for (let i = 1; i < this.waiting.length; i++)
          if (this.waiting[i]!.createdAt < this.waiting[oldest]!.createdAt) oldest = i;
        dropped.push(this.waiting.splice(oldest, 1)[0]!);
      }
      this.waiting.push({ ...r });
    }
    return dropped;
  }

  claim(room: Map<string, number>, now: number): { rows: OutboxRow[]; strays: OutboxRow[] } {
    const rows: OutboxRow[] = [];
    const strays: OutboxRow[] = [];
    const left = new Map(room);
    // Soonest due first.
    const due = this.waiting.filter((w) => w.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt);
    for (const w of due) {
      const n = left.get(w.target);
      if (n === undefined) strays.push(w);
      else if (n > 0) {
        left.set(w.target, n - 1);
        rows.push(w);
        this.sending.set(w.id, w);
      } else continue;
      this.waiting.splice(this.waiting.indexOf(w), 1);
    }
    return { rows: rows.map((r) => ({ ...r })), strays };
  }

  remove(id: string): void {
    this.sending.delete(id);
  }

  retry(id: string, attempt: number, dueAt: number): void {
    const r = this.sending.get(id);
    if (!r) return;
    this.sending.delete(id);
    this.waiting.push({ ...r, attempt, dueAt });
  }

  look(): { waiting: number; next?: number } {
    if (!this.waiting.length) return { waiting: 0 };
    return { waiting: this.waiting.length, next: Math.min(...this.waiting.map((w) => w.dueAt)) };
  }

  close(): void {
    this.waiting.length = 0;
    this.sending.clear();
  }
}
