import type { DatabaseSync } from "node:sqlite";
import { logLine, safe } from "../report/run-folder.js";
import type { JobResult, StampedEvent } from "../run/events.js";
import { openHistory } from "./open.js";
import { transaction } from "./transaction.js";
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
 * transaction per batch. History is never worth a run: the first database error is reported
 * once through `warn`, and the recorder stops writing; the run goes on.
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
  /** The disk was full: the run's history is incomplete, as a run folder write failing is. */
  full?: string;

  private constructor(
    private readonly db: DatabaseSync,
    private readonly run: number,
    private readonly warn: (message: string) => void,
  ) {}

  /** Opens the history of `root` and records the run's start; undefined when that failed (warned). */
  static start(root: string, run: NewRun, warn: (message: string) => void): Recorder | undefined {
    let db: DatabaseSync | undefined;
    try {
      db = openHistory(root)!;
      const d = db;
      const id = transaction(d, () => insertRun(d, run));
      return new Recorder(d, id, warn);
    } catch (e) {
      db?.close();
      warn(`run history not recorded: ${(e as Error).message}`);
      return undefined;
    }
  }

  on(e: StampedEvent): void {
    if (this.broken) return;
    this.buffer.push(e);
    if (this.buffer.length >= BATCH_EVENTS) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), BATCH_MS).unref();
  }

  /** Writes what is buffered, in one transaction. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.broken || this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.guard(() =>
      transaction(this.db, () => {
        for (const e of batch) this.apply(e);
        // A span grows line by line; written once per batch, not once per line.
        for (const sp of this.dirty) extendLogSpan(this.db, sp.id, sp.lastSeq, sp.lastLine);
        this.dirty.clear();
      }),
    );
  }

  /** Writes the rest and closes the database; `interrupted`: the signal that stopped the run. */
  close(interrupted?: string, result?: JobResult): void {
    this.flush();
    this.guard(() =>
      transaction(this.db, () => {
        if (interrupted) setInterrupted(this.db, this.run, interrupted);
        if (result) endRun(this.db, this.run, result, Date.now());
      }),
    );
    this.broken = true;
    try {
      this.db.close();
    } catch {}
  }

  private guard(fn: () => void): void {
    if (this.broken) return;
    try {
      fn();
    } catch (e) {
      this.broken = true;
      if (isFull(e)) this.full = `${this.db.location() ?? "run history"}: ${(e as Error).message}`;
      this.warn(`run history not recorded from here on: ${(e as Error).message}`);
    }
  }

  private job(key: string, name = key, workflow?: string): number {
    let id = this.jobs.get(key);
    if (workflow !== undefined) this.workflows.set(key, workflow);
    if (id === undefined || workflow !== undefined) {
      // A matrix leg is never queued on its own: it is in its job's workflow.
      id = jobRow(this.db, this.run, key, name, workflow ?? this.workflows.get(splitKey(key).job));
      this.jobs.set(key, id);
    }
    return id;
  }

  private apply(e: StampedEvent): void {
    const db = this.db;
    switch (e.type) {
      case "run-start":
      case "group":
        break;
      case "job-queued":
        this.job(e.job, e.name, e.workflow);
        break;
      case "job-start":
        startJob(db, this.job(e.job, e.name), e.time);
        break;
      case "step-start":
        startStep(db, this.job(e.job), e.step, e.name, e.time);
        break;
      case "step-end":
        endStep(db, this.job(e.job), e.step, { ...e, endedAt: e.time });
        break;
      case "annotation":
        addAnnotation(db, this.job(e.job), e.step, e.seq, e.annotation);
        break;
      case "summary":
        addSummary(db, this.job(e.job), e.step, e.markdown);
        break;
      case "job-end":
        endJob(db, jobRow(db, this.run, e.job, e.name), { ...e, endedAt: e.time });
        break;
      case "run-end":
        endRun(db, this.run, e.result, e.time);
        break;
      case "approval-requested":
        requestApproval(db, this.job(e.job), e.environment, e.time);
        break;
      case "approval-decided":
        decideApproval(db, this.job(e.job), e.environment, { approved: e.approved, by: e.by, at: e.time });
        break;
      case "log":
        break;
    }
    if ("job" in e) this.index(e);
  }

  /** The log index: the event's line in its job's log file extends its step's span. */
  private index(e: StampedEvent & { job: string }): void {
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
        id: insertLogSpan(this.db, this.job(e.job), step, s),
        lastSeq: e.seq,
        lastLine: last,
      });
    }
  }
}
