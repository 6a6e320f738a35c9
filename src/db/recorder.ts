import { logLine, safe } from "../report/run-folder.js";
import type { JobResult, StampedEvent } from "../run/events.js";
import { type Db, errorMessage } from "./db.js";
import { openHistory } from "./open.js";
import {
  addAnnotation,
  addSummary,
  decideApproval,
  endJob,
  endRun,
  endStep,
  extendLogSpan,
  insertLogSpan,
  insertRun,
  jobRow,
  type NewRun,
  requestApproval,
  setInterrupted,
  splitKey,
  startJob,
  startStep,
} from "./writes.js";

/** A batch is written after this long, or at this many events, whichever comes first. */
const BATCH_MS = 50;
const BATCH_EVENTS = 500;

/** SQLITE_FULL: the disk is full (the primary code is the low byte of an extended code). */
const isFull = (e: unknown) => ((e as { errcode?: number }).errcode ?? 0) % 256 === 13;

interface Span {
  id: number;
  lastSeq: number;
  lastLine: number;
}

/**
 * Writes a run's event stream to the run history: one more consumer of the stream, past the
 * gate (so nothing unmasked reaches the database). Events are buffered and written in one
 * transaction per batch, one batch after another (a PostgreSQL batch is on the network while
 * the run goes on). History is never worth a run: the first database error is reported once
 * through `warn`, and the recorder stops writing; the run goes on.
 */
export class Recorder {
  private buffer: StampedEvent[] = [];
  private timer?: NodeJS.Timeout;
  private jobs = new Map<string, number>();
  private workflows = new Map<string, string>();
  /** Lines written so far to each job's log file, as the run folder writes them. */
  private lines = new Map<string, number>();
  private spans = new Map<string, Span>();
  private dirty = new Set<Span>();
  private broken = false;
  /** The batches written so far, one after another. */
  private writing: Promise<void> = Promise.resolve();
  /** The disk was full: the run's history is incomplete, as a run folder write failing is. */
  full?: string;

  private constructor(
    private readonly db: Db,
    private readonly run: number,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * Opens the history of `root` (the PostgreSQL database at `url` when given) and records the
   * run's start; undefined when that failed (warned).
   */
  static async start(
    root: string,
    run: NewRun,
    warn: (message: string) => void,
    url?: string,
  ): Promise<Recorder | undefined> {
    let db: Db | undefined;
    try {
      db = (await openHistory(root, true, url))!;
      const d = db;
      const id = await d.transaction(() => insertRun(d, run));
      return new Recorder(d, id, warn);
    } catch (e) {
      await db?.close();
      warn(`run history not recorded: ${errorMessage(e)}`);
      return undefined;
    }
  }

  on(e: StampedEvent): void {
    if (this.broken) return;
    this.buffer.push(e);
    if (this.buffer.length >= BATCH_EVENTS) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), BATCH_MS).unref();
  }

  /** Events waiting for the next batch. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Writes what is buffered, in one transaction, after the batches before it; resolves when written. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.broken || this.buffer.length === 0) return this.writing;
    const batch = this.buffer;
    this.buffer = [];
    return this.queue(() =>
      this.db.transaction(async () => {
        for (const e of batch) await this.apply(e);
        // A span grows line by line; written once per batch, not once per line.
        for (const sp of this.dirty) await extendLogSpan(this.db, sp.id, sp.lastSeq, sp.lastLine);
        this.dirty.clear();
      }),
    );
  }

  /** Writes the rest and closes the database; `interrupted`: the signal that stopped the run. */
  async close(interrupted?: string, result?: JobResult): Promise<void> {
    await this.flush();
    await this.queue(() =>
      this.db.transaction(async () => {
        if (interrupted) await setInterrupted(this.db, this.run, interrupted);
        if (result) await endRun(this.db, this.run, result, Date.now());
      }),
    );
    this.broken = true;
    await this.db.close().catch(() => {});
  }

  /** `write` after what is being written; its error is warned once, and nothing more is written. */
  private queue(write: () => Promise<void>): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.broken) return;
      try {
        await write();
      } catch (e) {
        this.broken = true;
        if (isFull(e)) this.full = `${this.db.where}: ${errorMessage(e)}`;
        this.warn(`run history not recorded from here on: ${errorMessage(e)}`);
      }
    });
    return this.writing;
  }

  private async job(key: string, name = key, workflow?: string): Promise<number> {
    let id = this.jobs.get(key);
    if (workflow !== undefined) this.workflows.set(key, workflow);
    if (id === undefined || workflow !== undefined) {
      // A matrix leg is never queued on its own: it is in its job's workflow.
      id = await jobRow(this.db, this.run, key, name, workflow ?? this.workflows.get(splitKey(key).job));
      this.jobs.set(key, id);
    }
    return id;
  }

  private async apply(e: StampedEvent): Promise<void> {
    const db = this.db;
    switch (e.type) {
      case "run-start":
      case "group":
        break;
      case "job-queued":
        await this.job(e.job, e.name, e.workflow);
        break;
      case "job-start":
        await startJob(db, await this.job(e.job, e.name), e.time);
        break;
      case "step-start":
        await startStep(db, await this.job(e.job), e.step, e.name, e.time);
        break;
      case "step-end":
        await endStep(db, await this.job(e.job), e.step, { ...e, endedAt: e.time });
        break;
      case "annotation":
        await addAnnotation(db, await this.job(e.job), e.step, e.seq, e.annotation);
        break;
      case "summary":
        await addSummary(db, await this.job(e.job), e.step, e.markdown);
        break;
      case "job-end":
        await endJob(db, await jobRow(db, this.run, e.job, e.name), { ...e, endedAt: e.time });
        break;
      case "run-end":
        await endRun(db, this.run, e.result, e.time);
        break;
      case "approval-requested":
        await requestApproval(db, await this.job(e.job), e.environment, e.time);
        break;
      case "approval-decided":
        await decideApproval(db, await this.job(e.job), e.environment, {
          approved: e.approved,
          by: e.by,
          at: e.time,
        });
        break;
      case "log":
        break;
    }
    if ("job" in e) await this.index(e);
  }

  /** The log index: the event's line in its job's log file extends its step's span. */
  private async index(e: StampedEvent & { job: string }): Promise<void> {
    const line = logLine(e);
    if (line === undefined) return;
    const step = "step" in e ? e.step : undefined;
    const first = (this.lines.get(e.job) ?? 0) + 1;
    let last = first;
    for (let i = line.indexOf("\n"); i !== -1; i = line.indexOf("\n", i + 1)) last++;
    this.lines.set(e.job, last);
    const key = `${e.job}\0${step ?? ""}`;
    const span = this.spans.get(key);
    if (span) {
      span.lastSeq = e.seq;
      span.lastLine = last;
      this.dirty.add(span);
    } else {
      const file = `logs/${safe(e.job)}.log`;
      const s = { file, firstSeq: e.seq, lastSeq: e.seq, firstLine: first, lastLine: last };
      this.spans.set(key, {
        id: await insertLogSpan(this.db, await this.job(e.job), step, s),
        lastSeq: e.seq,
        lastLine: last,
      });
    }
  }
}
