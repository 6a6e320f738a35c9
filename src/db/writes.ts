import { hostname } from "node:os";
import type { Annotation, FileCoverage, JobResult, StepOutcome, TestCase } from "../run/events.js";
import type { Db, Param, Statement } from "./db.js";

/**
 * The typed writes. Each but insertRun is a statement to give db.batch(): none needs an answer
 * from the database (a job is named by its run and key, not by an id read back), so a batch of
 * them is one transaction and, on PostgreSQL, one round trip.
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
  /** The event's payload as event.json has it, masked. */
  payload?: string;
  /** A re-run: its attempt (default 1) and the number of its run's first attempt. */
  attempt?: number;
  attemptOf?: number;
}

/** Where a job ran. */
export interface Runner {
  /** The executor: host or sandbox. */
  executor: string;
  /** The runner's name (runner.name: this machine). */
  name: string;
  /** The job's runs-on labels, as evaluated for its leg. */
  labels?: string[];
}

export async function insertRun(db: Db, r: NewRun): Promise<number> {
  const row = await db.get<{ id: number }>(
    `INSERT INTO runs (repo, number, run_id, workflows, event, ref, sha, actor, started_at, pid, host, folder, payload,
       attempt, attempt_of)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
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
      hostname(),
      r.folder,
      r.payload ?? null,
      r.attempt ?? 1,
      r.attemptOf ?? null,
    ],
  );
  return row!.id;
}

const st = (sql: string, ...params: Param[]): Statement => ({ sql, params });

/** The id of job `key` of run `run`, inside a statement (its two parameters: run, key). */
const JOB = "(SELECT id FROM jobs WHERE run = ? AND key = ?)";

export function endRun(run: number, result: JobResult, endedAt: number): Statement {
  return st("UPDATE runs SET result = ?, ended_at = ? WHERE id = ?", result, endedAt, run);
}

export function setInterrupted(run: number, signal: string): Statement {
  return st("UPDATE runs SET interrupted = ? WHERE id = ?", signal, run);
}

/** A job or matrix leg by its key: 'build.2' is leg 2 of 'build' (job ids have no dots). */
export function splitKey(key: string): { job: string; leg: number | null } {
  const m = /^(.+)\.(\d+)$/.exec(key);
  return m && !m[1]!.slice(m[1]!.lastIndexOf("/") + 1).includes(".")
    ? { job: m[1]!, leg: Number(m[2]) }
    : { job: key, leg: null };
}

/** The job's row (made on first sight), its name and workflow kept up to date. */
export function upsertJob(run: number, key: string, name: string, workflow?: string): Statement {
  const { job, leg } = splitKey(key);
  return st(
    `INSERT INTO jobs (run, key, job, leg, name, workflow) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run, key) DO UPDATE SET name = excluded.name, workflow = coalesce(excluded.workflow, jobs.workflow)`,
    run,
    key,
    job,
    leg,
    name,
    workflow ?? null,
  );
}

export function startJob(run: number, key: string, at: number, runner?: Runner): Statement {
  return st(
    "UPDATE jobs SET started_at = ?, runner = ? WHERE run = ? AND key = ?",
    at,
    runner ? JSON.stringify(runner) : null,
    run,
    key,
  );
}

export interface JobEnd {
  result: JobResult;
  reason?: string;
  outputs: Record<string, string>;
  endedAt: number;
  durationMs: number;
}

export function endJob(run: number, key: string, e: JobEnd): Statement {
  return st(
    `UPDATE jobs SET result = ?, reason = ?, outputs = ?, ended_at = ?,
       started_at = coalesce(started_at, ?) WHERE run = ? AND key = ?`,
    e.result,
    e.reason ?? null,
    JSON.stringify(e.outputs),
    e.endedAt,
    e.endedAt - e.durationMs,
    run,
    key,
  );
}

/** A leg's reuse key and its parts' hashes (JSON), to find it again and say what changed. */
export function setReuseKey(
  run: number,
  key: string,
  reuseKey: string,
  parts: Record<string, string>,
): Statement {
  return st(
    "UPDATE jobs SET reuse_key = ?, reuse_parts = ? WHERE run = ? AND key = ?",
    reuseKey,
    JSON.stringify(parts),
    run,
    key,
  );
}

export function startStep(run: number, key: string, step: number, name: string, at: number): Statement {
  return st(
    `INSERT INTO steps (job, number, name, started_at) VALUES (${JOB}, ?, ?, ?)
     ON CONFLICT (job, number) DO UPDATE SET name = excluded.name, started_at = excluded.started_at`,
    run,
    key,
    step,
    name,
    at,
  );
}

export interface StepEnd {
  name: string;
  outcome: StepOutcome;
  conclusion: StepOutcome;
  endedAt: number;
  durationMs: number;
}

export function endStep(run: number, key: string, step: number, e: StepEnd): Statement {
  return st(
    `INSERT INTO steps (job, number, name, outcome, conclusion, started_at, ended_at) VALUES (${JOB}, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (job, number) DO UPDATE SET name = excluded.name, outcome = excluded.outcome,
       conclusion = excluded.conclusion, ended_at = excluded.ended_at,
       started_at = coalesce(steps.started_at, excluded.started_at)`,
    run,
    key,
    step,
    e.name,
    e.outcome,
    e.conclusion,
    e.endedAt - e.durationMs,
    e.endedAt,
  );
}

export function addAnnotation(
  run: number,
  key: string,
  step: number | undefined,
  seq: number,
  a: Annotation,
): Statement {
  return st(
    `INSERT INTO annotations (job, step, seq, level, message, title, file, line, col)
     VALUES (${JOB}, ?, ?, ?, ?, ?, ?, ?, ?)`,
    run,
    key,
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

export function addSummary(run: number, key: string, step: number, markdown: string): Statement {
  return st(`INSERT INTO summaries (job, step, markdown) VALUES (${JOB}, ?, ?)`, run, key, step, markdown);
}

/** Where a job's or step's lines are: seq and line ranges in one log file of the run folder. */
export interface LogSpan {
  file: string;
  firstSeq: number;
  lastSeq: number;
  firstLine: number;
  lastLine: number;
}

export function insertLogSpan(run: number, key: string, step: number | undefined, s: LogSpan): Statement {
  return st(
    `INSERT INTO log_index (job, step, file, first_seq, last_seq, first_line, last_line)
     VALUES (${JOB}, ?, ?, ?, ?, ?, ?)`,
    run,
    key,
    step ?? null,
    s.file,
    s.firstSeq,
    s.lastSeq,
    s.firstLine,
    s.lastLine,
  );
}

/** The span that starts at `firstSeq` (a seq is the run's: one span starts there). */
export function extendLogSpan(
  run: number,
  key: string,
  firstSeq: number,
  lastSeq: number,
  lastLine: number,
): Statement {
  return st(
    `UPDATE log_index SET last_seq = ?, last_line = ? WHERE job = ${JOB} AND first_seq = ?`,
    lastSeq,
    lastLine,
    run,
    key,
    firstSeq,
  );
}

export function requestApproval(run: number, key: string, environment: string, at: number): Statement {
  return st(
    `INSERT INTO approvals (job, environment, requested_at) VALUES (${JOB}, ?, ?)`,
    run,
    key,
    environment,
    at,
  );
}

/** The decision on the job's open request for `environment` (one is open at a time). */
export function decideApproval(
  run: number,
  key: string,
  environment: string,
  d: { approved: boolean; by: string; at: number },
): Statement {
  return st(
    `UPDATE approvals SET decided_at = ?, approved = ?, decided_by = ?
     WHERE job = ${JOB} AND environment = ? AND decided_at IS NULL`,
    d.at,
    d.approved ? 1 : 0,
    d.by,
    run,
    key,
    environment,
  );
}

export interface ArtifactRow {
  name: string;
  files: number;
  /** Bytes. */
  size: number;
  /** Relative to the run folder. */
  path: string;
}

export function addArtifact(run: number, key: string, a: ArtifactRow, at: number): Statement {
  return st(
    `INSERT INTO artifacts (job, name, files, size, path, created_at) VALUES (${JOB}, ?, ?, ?, ?, ?)`,
    run,
    key,
    a.name,
    a.files,
    a.size,
    a.path,
    at,
  );
}

export interface CacheUse {
  action: "restore" | "save";
  key: string;
  hit: boolean;
  matchedKey?: string;
  size?: number;
}

export function addCache(run: number, key: string, c: CacheUse, at: number): Statement {
  return st(
    `INSERT INTO caches (job, action, key, hit, matched_key, size, at) VALUES (${JOB}, ?, ?, ?, ?, ?, ?)`,
    run,
    key,
    c.action,
    c.key,
    c.hit ? 1 : 0,
    c.matchedKey ?? null,
    c.size ?? null,
    at,
  );
}

/** Rows per INSERT: a report of thousands of cases is a few statements, not thousands. */
const CASES_PER_INSERT = 200;

/** The test cases step `step` of job `key` read from its reports. */
export function addTestCases(
  run: number,
  key: string,
  step: number,
  report: string,
  cases: readonly TestCase[],
): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < cases.length; i += CASES_PER_INSERT) {
    const chunk = cases.slice(i, i + CASES_PER_INSERT);
    const params: Param[] = [run, key];
    // The job's id once (?1, ?2), then nine parameters per row.
    const rows = chunk.map((c, n) => {
      const b = 3 + n * 9;
      params.push(
        step,
        report,
        c.suite,
        c.name,
        c.file ?? null,
        c.line ?? null,
        c.durationMs,
        c.outcome,
        c.message ?? null,
      );
      return `((SELECT id FROM jobs WHERE run = ?1 AND key = ?2), ${Array.from({ length: 9 }, (_, k) => `?${b + k}`).join(", ")})`;
    });
    out.push({
      sql: `INSERT INTO test_cases (job, step, report, suite, name, file, line, duration_ms, outcome, message) VALUES ${rows.join(", ")}`,
      params,
    });
  }
  return out;
}

/** One benchmark result as a benchmark step recorded it. */
export interface BenchRecord {
  name: string;
  value: number;
  unit: string;
  range?: string;
  extra?: string;
  biggerIsBetter: boolean;
}

/** The results step `step` of job `key` read for benchmark suite `suite`. */
export function addBenchmarks(
  run: number,
  key: string,
  step: number,
  suite: string,
  tool: string,
  results: readonly BenchRecord[],
): Statement[] {
  return results.map((r) =>
    st(
      `INSERT INTO benchmarks (job, step, suite, tool, name, value, unit, value_range, extra, bigger_is_better)
       VALUES (${JOB}, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      run,
      key,
      step,
      suite,
      tool,
      r.name,
      r.value,
      r.unit,
      r.range ?? null,
      r.extra ?? null,
      r.biggerIsBetter ? 1 : 0,
    ),
  );
}

/** Rows per INSERT for coverage: a report of thousands of files is a few statements. */
const FILES_PER_INSERT = 300;

/** The line coverage per file step `step` of job `key` read. */
export function addCoverage(
  run: number,
  key: string,
  step: number,
  files: readonly FileCoverage[],
): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < files.length; i += FILES_PER_INSERT) {
    const params: Param[] = [run, key];
    const rows = files.slice(i, i + FILES_PER_INSERT).map((f, n) => {
      const b = 3 + n * 4;
      params.push(step, f.path, f.lines, f.hit);
      return `((SELECT id FROM jobs WHERE run = ?1 AND key = ?2), ?${b}, ?${b + 1}, ?${b + 2}, ?${b + 3})`;
    });
    out.push({
      sql: `INSERT INTO coverage_files (job, step, path, lines, hit) VALUES ${rows.join(", ")}`,
      params,
    });
  }
  return out;
}
