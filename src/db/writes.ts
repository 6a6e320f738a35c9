import type { Annotation, JobResult, StepOutcome } from "../run/events.js";
import type { Db } from "./db.js";

/**
 * The typed write queries: plain functions over the query layer (db.ts), in the SQL both
 * back ends read alike. Each is one statement, so a batch is a handful of round trips.
 */

export interface NewRun {
  number: number;
  runId: string;
  workflows: string[];
  event: string;
  ref: string;
  sha: string;
  actor: string;
  startedAt: number;
  pid: number;
  /** The run folder, relative to the repository. */
  folder: string;
}

export async function insertRun(db: Db, r: NewRun): Promise<number> {
  const row = await db.get<{ id: number }>(
    `INSERT INTO runs (repo, number, run_id, workflows, event, ref, sha, actor, started_at, pid, folder)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      db.repo,
      r.number,
      r.runId,
      JSON.stringify(r.workflows),
      r.event,
      r.ref,
      r.sha,
      r.actor,
      r.startedAt,
      r.pid,
      r.folder,
    ],
  );
  return row!.id;
}

export async function endRun(db: Db, run: number, result: JobResult, endedAt: number): Promise<void> {
  await db.run("UPDATE runs SET result = ?, ended_at = ? WHERE id = ?", [result, endedAt, run]);
}

export async function setInterrupted(db: Db, run: number, signal: string): Promise<void> {
  await db.run("UPDATE runs SET interrupted = ? WHERE id = ?", [signal, run]);
}

/** A job or matrix leg by its key: 'build.2' is leg 2 of 'build' (job ids have no dots). */
export function splitKey(key: string): { job: string; leg: number | null } {
  const m = /^(.+)\.(\d+)$/.exec(key);
  return m && !m[1]!.slice(m[1]!.lastIndexOf("/") + 1).includes(".")
    ? { job: m[1]!, leg: Number(m[2]) }
    : { job: key, leg: null };
}

/** The job's row (made on first sight), its name and workflow kept up to date. */
export async function jobRow(
  db: Db,
  run: number,
  key: string,
  name: string,
  workflow?: string,
): Promise<number> {
  const { job, leg } = splitKey(key);
  const row = await db.get<{ id: number }>(
    `INSERT INTO jobs (run, key, job, leg, name, workflow) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run, key) DO UPDATE SET name = excluded.name, workflow = coalesce(excluded.workflow, jobs.workflow)
     RETURNING id`,
    [run, key, job, leg, name, workflow ?? null],
  );
  return row!.id;
}

export async function startJob(db: Db, job: number, at: number): Promise<void> {
  await db.run("UPDATE jobs SET started_at = ? WHERE id = ?", [at, job]);
}

export interface JobEnd {
  result: JobResult;
  reason?: string;
  outputs: Record<string, string>;
  endedAt: number;
  durationMs: number;
}

export async function endJob(db: Db, job: number, e: JobEnd): Promise<void> {
  await db.run(
    `UPDATE jobs SET result = ?, reason = ?, outputs = ?, ended_at = ?,
       started_at = coalesce(started_at, ?) WHERE id = ?`,
    [e.result, e.reason ?? null, JSON.stringify(e.outputs), e.endedAt, e.endedAt - e.durationMs, job],
  );
}

export async function startStep(db: Db, job: number, step: number, name: string, at: number): Promise<void> {
  await db.run(
    `INSERT INTO steps (job, number, name, started_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (job, number) DO UPDATE SET name = excluded.name, started_at = excluded.started_at`,
    [job, step, name, at],
  );
}

export interface StepEnd {
  name: string;
  outcome: StepOutcome;
  conclusion: StepOutcome;
  endedAt: number;
  durationMs: number;
}

export async function endStep(db: Db, job: number, step: number, e: StepEnd): Promise<void> {
  await db.run(
    `INSERT INTO steps (job, number, name, outcome, conclusion, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (job, number) DO UPDATE SET name = excluded.name, outcome = excluded.outcome,
       conclusion = excluded.conclusion, ended_at = excluded.ended_at,
       started_at = coalesce(steps.started_at, excluded.started_at)`,
    [job, step, e.name, e.outcome, e.conclusion, e.endedAt - e.durationMs, e.endedAt],
  );
}

export async function addAnnotation(
  db: Db,
  job: number,
  step: number | undefined,
  seq: number,
  a: Annotation,
): Promise<void> {
  await db.run(
    `INSERT INTO annotations (job, step, seq, level, message, title, file, line, col)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      job,
      step ?? null,
      seq,
      a.level,
      a.message,
      a.title ?? null,
      a.file ?? null,
      a.line ?? null,
      a.col ?? null,
    ],
  );
}

export async function addSummary(db: Db, job: number, step: number, markdown: string): Promise<void> {
  await db.run("INSERT INTO summaries (job, step, markdown) VALUES (?, ?, ?)", [job, step, markdown]);
}

/** Where a job's or step's lines are: seq and line ranges in one log file of the run folder. */
export interface LogSpan {
  file: string;
  firstSeq: number;
  lastSeq: number;
  firstLine: number;
  lastLine: number;
}

export async function insertLogSpan(
  db: Db,
  job: number,
  step: number | undefined,
  s: LogSpan,
): Promise<number> {
  const row = await db.get<{ id: number }>(
    `INSERT INTO log_index (job, step, file, first_seq, last_seq, first_line, last_line)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [job, step ?? null, s.file, s.firstSeq, s.lastSeq, s.firstLine, s.lastLine],
  );
  return row!.id;
}

export async function extendLogSpan(db: Db, id: number, lastSeq: number, lastLine: number): Promise<void> {
  await db.run("UPDATE log_index SET last_seq = ?, last_line = ? WHERE id = ?", [lastSeq, lastLine, id]);
}

export async function requestApproval(db: Db, job: number, environment: string, at: number): Promise<void> {
  await db.run("INSERT INTO approvals (job, environment, requested_at) VALUES (?, ?, ?)", [
    job,
    environment,
    at,
  ]);
}

/** The decision on the job's open request for `environment` (one is open at a time). */
export async function decideApproval(
  db: Db,
  job: number,
  environment: string,
  d: { approved: boolean; by: string; at: number },
): Promise<void> {
  await db.run(
    `UPDATE approvals SET decided_at = ?, approved = ?, decided_by = ?
     WHERE job = ? AND environment = ? AND decided_at IS NULL`,
    [d.at, d.approved ? 1 : 0, d.by, job, environment],
  );
}
