import type { DatabaseSync } from "node:sqlite";
import type { Annotation, JobResult, StepOutcome } from "../run/events.js";
import { stmt } from "./statements.js";

/**
 * The typed write queries: plain functions over prepared statements. No ORM or query
 * builder: node:sqlite is synchronous and small, and these few statements read best as SQL.
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

export function insertRun(db: DatabaseSync, r: NewRun): number {
  const row = stmt(
    db,
    `INSERT INTO runs (number, run_id, workflows, event, ref, sha, actor, started_at, pid, folder)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  ).get(
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
  );
  return (row as { id: number }).id;
}

export function endRun(db: DatabaseSync, run: number, result: JobResult, endedAt: number): void {
  stmt(db, "UPDATE runs SET result = ?, ended_at = ? WHERE id = ?").run(result, endedAt, run);
}

export function setInterrupted(db: DatabaseSync, run: number, signal: string): void {
  stmt(db, "UPDATE runs SET interrupted = ? WHERE id = ?").run(signal, run);
}

/** A job or matrix leg by its key: 'build.2' is leg 2 of 'build' (job ids have no dots). */
export function splitKey(key: string): { job: string; leg: number | null } {
  const m = /^(.+)\.(\d+)$/.exec(key);
  return m && !m[1]!.slice(m[1]!.lastIndexOf("/") + 1).includes(".")
    ? { job: m[1]!, leg: Number(m[2]) }
    : { job: key, leg: null };
}

/** The job's row (made on first sight), its name and workflow kept up to date. */
export function jobRow(db: DatabaseSync, run: number, key: string, name: string, workflow?: string): number {
  const { job, leg } = splitKey(key);
  const row = stmt(
    db,
    `INSERT INTO jobs (run, key, job, leg, name, workflow) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run, key) DO UPDATE SET name = excluded.name, workflow = coalesce(excluded.workflow, workflow)
     RETURNING id`,
  ).get(run, key, job, leg, name, workflow ?? null);
  return (row as { id: number }).id;
}

export function startJob(db: DatabaseSync, job: number, at: number): void {
  stmt(db, "UPDATE jobs SET started_at = ? WHERE id = ?").run(at, job);
}

export interface JobEnd {
  result: JobResult;
  reason?: string;
  outputs: Record<string, string>;
  endedAt: number;
  durationMs: number;
}

export function endJob(db: DatabaseSync, job: number, e: JobEnd): void {
  stmt(
    db,
    `UPDATE jobs SET result = ?, reason = ?, outputs = ?, ended_at = ?,
       started_at = coalesce(started_at, ?) WHERE id = ?`,
  ).run(e.result, e.reason ?? null, JSON.stringify(e.outputs), e.endedAt, e.endedAt - e.durationMs, job);
}

export function startStep(db: DatabaseSync, job: number, step: number, name: string, at: number): void {
  stmt(
    db,
    `INSERT INTO steps (job, number, name, started_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (job, number) DO UPDATE SET name = excluded.name, started_at = excluded.started_at`,
  ).run(job, step, name, at);
}

export interface StepEnd {
  name: string;
  outcome: StepOutcome;
  conclusion: StepOutcome;
  endedAt: number;
  durationMs: number;
}

export function endStep(db: DatabaseSync, job: number, step: number, e: StepEnd): void {
  stmt(
    db,
    `INSERT INTO steps (job, number, name, outcome, conclusion, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (job, number) DO UPDATE SET name = excluded.name, outcome = excluded.outcome,
       conclusion = excluded.conclusion, ended_at = excluded.ended_at,
       started_at = coalesce(steps.started_at, excluded.started_at)`,
  ).run(job, step, e.name, e.outcome, e.conclusion, e.endedAt - e.durationMs, e.endedAt);
}

export function addAnnotation(
  db: DatabaseSync,
  job: number,
  step: number | undefined,
  seq: number,
  a: Annotation,
): void {
  stmt(
    db,
    `INSERT INTO annotations (job, step, seq, level, message, title, file, line, col)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    job,
    step ?? null,
    seq,
    a.level,
    a.message,
    a.title ?? null,
    a.file ?? null,
    a.line ?? null,
    a.col ?? null,
  );
}

export function addSummary(db: DatabaseSync, job: number, step: number, markdown: string): void {
  stmt(db, "INSERT INTO summaries (job, step, markdown) VALUES (?, ?, ?)").run(job, step, markdown);
}

/** Where a job's or step's lines are: seq and line ranges in one log file of the run folder. */
export interface LogSpan {
  file: string;
  firstSeq: number;
  lastSeq: number;
  firstLine: number;
  lastLine: number;
}

export function insertLogSpan(db: DatabaseSync, job: number, step: number | undefined, s: LogSpan): number {
  const row = stmt(
    db,
    `INSERT INTO log_index (job, step, file, first_seq, last_seq, first_line, last_line)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  ).get(job, step ?? null, s.file, s.firstSeq, s.lastSeq, s.firstLine, s.lastLine);
  return (row as { id: number }).id;
}

export function extendLogSpan(db: DatabaseSync, id: number, lastSeq: number, lastLine: number): void {
  stmt(db, "UPDATE log_index SET last_seq = ?, last_line = ? WHERE id = ?").run(lastSeq, lastLine, id);
}

export function requestApproval(db: DatabaseSync, job: number, environment: string, at: number): void {
  stmt(db, "INSERT INTO approvals (job, environment, requested_at) VALUES (?, ?, ?)").run(
    job,
    environment,
    at,
  );
}

/** The decision on the job's open request for `environment` (one is open at a time). */
export function decideApproval(
  db: DatabaseSync,
  job: number,
  environment: string,
  d: { approved: boolean; by: string; at: number },
): void {
  stmt(
    db,
    `UPDATE approvals SET decided_at = ?, approved = ?, decided_by = ?
     WHERE job = ? AND environment = ? AND decided_at IS NULL`,
  ).run(d.at, d.approved ? 1 : 0, d.by, job, environment);
}
