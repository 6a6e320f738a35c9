import { logLine, safe } from "../report/run-folder.js";
import type { JobResult, StampedEvent } from "../run/events.js";
import { type Db, errorMessage, type Statement } from "./db.js";
import { addEventLines } from "./event-lines.js";
import { openHistory } from "./open.js";
import {
  addAnnotation,
  addArtifact,
  addBenchmarks,
  addCache,
  addCoverage,
  addSummary,
  addTestCases,
  decideApproval,
  endJob,
  endRun,
  endStep,
  extendLogSpan,
  insertLogSpan,
  insertRun,
  type NewRun,
  type Runner,
  requestApproval,
  setInterrupted,
  setReuseKey,
  splitKey,
  startJob,
  startStep,
  upsertJob,
} from "./writes.js";

/** A batch is written after this long, or at this many events, whichever comes first. */
const BATCH_MS = 50;
const BATCH_EVENTS = 500;

/** SQLITE_FULL: the disk is full (the primary code is the low byte of an extended code). */
const isFull = (e: unknown) => ((e as { errcode?: number }).errcode ?? 0) % 256 === 13;

interface Span {
  job: string;
  firstSeq: number;
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
  /** Jobs that have a row (or will, once the batch that makes it is written). */
  private jobs = new Set<string>();
  /** The statements of the batch being made. */
  private out: Statement[] = [];
  private workflows = new Map<string, string>();
  /** Lines written so far to each job's log file, as the run folder writes them. */
  private lines = new Map<string, number>();
  private spans = new Map<string, Span>();
  private dirty = new Set<Span>();
  private broken = false;
  /** The batches written so far, one after another. */
  private writing: Promise<void> = Promise.resolve();
  /** Resolves once the database is open (or failed to open) and the run's row is written. */
  private opened: Promise<void> = Promise.resolve();
  /** The disk was full: the run's history is incomplete, as a run folder write failing is. */
  full?: string;

  private db?: Db;
  /** The run's row. */
  private run = 0;
  /** The run's number (its event lines are kept by number). */
  private number = 0;

  private constructor(
    private readonly warn: (message: string) => void,
    /** Where this run's jobs run (one executor on this machine). */
    private readonly runner?: Runner,
  ) {}

  /** Where a job runs: the agent that said so, else this process's executor. */
  private where(agent: Runner | undefined, labels: string[] | undefined): Runner | undefined {
    const r = agent ?? this.runner;
    return r && { ...r, ...(labels ? { labels } : {}) };
  }

  /**
   * Records a run in the history of `root` (the PostgreSQL database at `url` when given). The
   * database is opened and the run's row written in the background, before the first batch:
   * the run never waits for a server. When that fails, it is warned once and nothing is recorded.
   */
  static start(
    root: string,
    run: NewRun,
    warn: (message: string) => void,
    url?: string,
    runner?: Runner,
  ): Recorder {
    const r = new Recorder(warn, runner);
    r.number = run.number;
    r.opened = r.writing = (async () => {
      try {
        r.db = (await openHistory(root, true, url))!;
        r.run = await insertRun(r.db, run);
      } catch (e) {
        r.broken = true;
        await r.db?.close();
        warn(`run history not recorded: ${errorMessage(e)}`);
      }
    })();
    return r;
  }

  /**
   * The run's connection, for reads during the run (job reuse looks up earlier runs): one
   * connection per run, so nothing waits on another's migration. Undefined when recording failed.
   */
  async database(): Promise<Db | undefined> {
    await this.opened;
    return this.broken ? undefined : this.db;
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
    // Made once the run's row is known: after the batches before it.
    return this.queue(() => {
      // PostgreSQL: the lines of events.jsonl too, for replicas on other machines (event-lines.ts).
      if (this.db!.dialect === "postgres")
        this.out.push(
          addEventLines(
            this.db!.repo,
            this.number,
            batch.map((e) => ({ seq: e.seq, line: JSON.stringify(e) })),
          ),
        );
      for (const e of batch) this.apply(e);
      // A span grows line by line; written once per batch, not once per line.
      for (const sp of this.dirty)
        this.out.push(extendLogSpan(this.run, sp.job, sp.firstSeq, sp.lastSeq, sp.lastLine));
      this.dirty.clear();
      const statements = this.out;
      this.out = [];
      return this.db!.batch(statements);
    });
  }

  /** Writes the rest and closes the database; `interrupted`: the signal that stopped the run. */
  async close(interrupted?: string, result?: JobResult): Promise<void> {
    await this.flush();
    await this.queue(() =>
      this.db!.batch([
        ...(interrupted ? [setInterrupted(this.run, interrupted)] : []),
        ...(result ? [endRun(this.run, result, Date.now())] : []),
      ]),
    );
    this.broken = true;
    await this.db?.close().catch(() => {});
  }

  /** `write` after what is being written; its error is warned once, and nothing more is written. */
  private queue(write: () => Promise<void>): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.broken) return;
      try {
        await write();
      } catch (e) {
        this.broken = true;
        if (isFull(e)) this.full = `${this.db!.where}: ${errorMessage(e)}`;
        this.warn(`run history not recorded from here on: ${errorMessage(e)}`);
      }
    });
    return this.writing;
  }

  /** Job `key`, its row made on first sight (a job-queued event names its workflow). */
  private job(key: string, name = key, workflow?: string): string {
    if (workflow !== undefined) this.workflows.set(key, workflow);
    if (!this.jobs.has(key) || workflow !== undefined) {
      // A matrix leg is never queued on its own: it is in its job's workflow.
      this.out.push(upsertJob(this.run, key, name, workflow ?? this.workflows.get(splitKey(key).job)));
      this.jobs.add(key);
    }
    return key;
  }

  private apply(e: StampedEvent): void {
    const run = this.run;
    const out = this.out;
    switch (e.type) {
      case "run-start":
      case "group":
      case "log":
        break;
      case "job-queued":
        this.job(e.job, e.name, e.workflow);
        break;
      case "job-start":
        out.push(
          startJob(
            run,
            this.job(e.job, e.name),
            e.time,
            // A server's agent says who it is; else this process's executor ran it.
            e.reused ? undefined : this.where(e.runner, e.labels),
          ),
        );
        break;
      case "job-key":
        out.push(setReuseKey(run, this.job(e.job), e.key, e.parts));
        break;
      case "step-start":
        out.push(startStep(run, this.job(e.job), e.step, e.name, e.time));
        break;
      case "step-end":
        out.push(endStep(run, this.job(e.job), e.step, { ...e, endedAt: e.time }));
        break;
      case "annotation":
        out.push(addAnnotation(run, this.job(e.job), e.step, e.seq, e.annotation));
        break;
      case "summary":
        out.push(addSummary(run, this.job(e.job), e.step, e.markdown));
        break;
      case "job-end":
        // Its name as it ended (a leg's name has its matrix values).
        this.jobs.delete(e.job);
        out.push(endJob(run, this.job(e.job, e.name), { ...e, endedAt: e.time }));
        break;
      case "artifact":
        out.push(addArtifact(run, this.job(e.job), e, e.time));
        break;
      case "cache":
        out.push(addCache(run, this.job(e.job), e, e.time));
        break;
      case "test-results":
        out.push(...addTestCases(run, this.job(e.job), e.step, e.report, e.cases));
        break;
      case "benchmark":
        out.push(...addBenchmarks(run, this.job(e.job), e.step, e.suite, e.tool, e.results));
        break;
      case "coverage":
        out.push(...addCoverage(run, this.job(e.job), e.step, e.files));
        break;
      case "run-end":
        out.push(endRun(run, e.result, e.time));
        break;
      case "approval-requested":
        out.push(requestApproval(run, this.job(e.job), e.environment, e.time));
        break;
      case "approval-decided":
        out.push(
          decideApproval(run, this.job(e.job), e.environment, { approved: e.approved, by: e.by, at: e.time }),
        );
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
      this.out.push(insertLogSpan(this.run, this.job(e.job), step, s));
      this.spans.set(key, { job: e.job, firstSeq: e.seq, lastSeq: e.seq, lastLine: last });
    }
  }
}
