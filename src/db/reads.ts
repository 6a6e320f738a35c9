import type { BenchmarkResult } from "../run/events.js";
import { BENCH_COLUMNS, type BenchRowRaw, benchRowResult } from "./bench-reads.js";
import { type Db, jsonStrings } from "./db.js";

/** The typed read queries behind `slipway history` (column names as the JSON output shows them). */

export interface RunRow {
  number: number;
  runId: string;
  workflows: string[];
  event: string;
  ref: string;
  sha: string;
  actor: string;
  result: string | null;
  startedAt: number;
  endedAt: number | null;
  interrupted: string | null;
  folder: string;
  /** The event's payload (event.json, masked); null for runs recorded before it was kept. */
  payload: unknown;
  /** Its attempt of its run (1, 2, ... as github.run_attempt) and the number of the run's first attempt (null: this is it). */
  attempt: number;
  attemptOf: number | null;
}

// Aliases are quoted: PostgreSQL folds unquoted names to lower case.
const RUN_COLUMNS = `number, run_id AS "runId", workflows, event, ref, sha, actor, result,
  started_at AS "startedAt", ended_at AS "endedAt", interrupted, folder, payload, attempt,
  attempt_of AS "attemptOf"`;

function runOf(row: Record<string, unknown>): RunRow {
  return {
    ...(row as unknown as RunRow),
    workflows: JSON.parse(row.workflows as string) as string[],
    payload: row.payload ? JSON.parse(row.payload as string) : null,
  };
}

export interface RunFilter {
  /** A workflow file, as recorded (.github/workflows/ci.yml) or by its base name (ci.yml), or a workflow's name. */
  workflow?: string;
  /** A branch name (main) or a full ref (refs/heads/main). */
  branch?: string;
  limit: number;
}

/**
 * The runs of workflow ?N (a file as recorded, its base name, or a workflow's name; all runs
 * when ?N is NULL). The CAST tells PostgreSQL the parameter's type.
 */
export function ofWorkflow(db: Db, n: number): string {
  return `(CAST(?${n} AS TEXT) IS NULL
    OR EXISTS (SELECT 1 FROM ${jsonStrings(db.dialect, "runs.workflows", "w")}
               WHERE w.value = ?${n} OR w.value LIKE '%/' || ?${n})
    OR EXISTS (SELECT 1 FROM jobs WHERE jobs.run = runs.id AND jobs.workflow = ?${n}))`;
}

/** Runs, newest first. */
export async function listRuns(db: Db, f: RunFilter): Promise<RunRow[]> {
  const ref =
    f.branch === undefined ? null : f.branch.startsWith("refs/") ? f.branch : `refs/heads/${f.branch}`;
  const rows = await db.all<Record<string, unknown>>(
    `SELECT ${RUN_COLUMNS} FROM runs
     WHERE repo = ?4 AND (CAST(?1 AS TEXT) IS NULL OR ref = ?1) AND ${ofWorkflow(db, 2)}
     ORDER BY started_at DESC, number DESC LIMIT ?3`,
    [ref, f.workflow ?? null, f.limit, db.repo],
  );
  return rows.map(runOf);
}

export interface RunPageFilter {
  branch?: string;
  event?: string;
  /** A result, or "running" for runs not ended. */
  result?: string;
  actor?: string;
  /** As RunFilter's workflow: a file as recorded, its base name, or a workflow's name. */
  workflow?: string;
  /** Keyset: only runs numbered below this one (the next page of the dashboard's list). */
  before?: number;
  limit: number;
}

/**
 * Runs by number, newest first, filtered as the dashboard filters them. Keyset on the number
 * (not OFFSET): a page deep in 10,000 runs costs what the first one does.
 */
export async function listRunsPage(db: Db, f: RunPageFilter): Promise<RunRow[]> {
  const ref =
    f.branch === undefined ? null : f.branch.startsWith("refs/") ? f.branch : `refs/heads/${f.branch}`;
  const result = f.result === "running" ? null : (f.result ?? null);
  const rows = await db.all<Record<string, unknown>>(
    `SELECT ${RUN_COLUMNS} FROM runs
     WHERE repo = ?1 AND (CAST(?2 AS TEXT) IS NULL OR ref = ?2)
       AND (CAST(?3 AS TEXT) IS NULL OR event = ?3)
       AND (CAST(?4 AS TEXT) IS NULL OR actor = ?4)
       AND (CAST(?5 AS TEXT) IS NULL OR result = ?5) AND (?6 = 0 OR result IS NULL)
       AND (CAST(?7 AS INTEGER) IS NULL OR number < ?7) AND ${ofWorkflow(db, 9)}
     ORDER BY number DESC LIMIT ?8`,
    [
      db.repo,
      ref,
      f.event ?? null,
      f.actor ?? null,
      result,
      f.result === "running" ? 1 : 0,
      f.before ?? null,
      f.limit,
      f.workflow ?? null,
    ],
  );
  return rows.map(runOf);
}

export async function runByNumber(db: Db, n: number): Promise<RunRow | undefined> {
  const row = await db.get<Record<string, unknown>>(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE repo = ? AND number = ?`,
    [db.repo, n],
  );
  return row ? runOf(row) : undefined;
}

export async function latestRun(db: Db): Promise<RunRow | undefined> {
  const row = await db.get<Record<string, unknown>>(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE repo = ? ORDER BY number DESC LIMIT 1`,
    [db.repo],
  );
  return row ? runOf(row) : undefined;
}

export async function runNumbers(db: Db): Promise<number[]> {
  const rows = await db.all<{ number: number }>("SELECT number FROM runs WHERE repo = ? ORDER BY number", [
    db.repo,
  ]);
  return rows.map((r) => r.number);
}

export interface StepRow {
  number: number;
  name: string;
  outcome: string | null;
  conclusion: string | null;
  startedAt: number | null;
  endedAt: number | null;
}

export interface AnnotationRow {
  step: number | null;
  level: string;
  message: string;
  title: string | null;
  file: string | null;
  line: number | null;
  col: number | null;
}

export interface LogSpanRow {
  step: number | null;
  file: string;
  firstSeq: number;
  lastSeq: number;
  firstLine: number;
  lastLine: number;
}

export interface JobRow {
  key: string;
  job: string;
  leg: number | null;
  name: string;
  workflow: string | null;
  result: string | null;
  reason: string | null;
  outputs: Record<string, string>;
  startedAt: number | null;
  endedAt: number | null;
  steps: StepRow[];
  annotations: AnnotationRow[];
  summaries: { step: number; markdown: string }[];
  approvals: ApprovalRow[];
  logs: LogSpanRow[];
  /** Where it ran: the executor and the runner's name; null when it never started. */
  runner: { executor: string; name: string; labels?: string[] } | null;
  artifacts: { name: string; files: number; size: number; path: string; createdAt: number }[];
  caches: CacheRow[];
  tests: TestRow[];
  /** Results a benchmark step read (github-action-benchmark). */
  benchmarks: BenchRow[];
  /** Line coverage per file its codecov steps read (every step's files, in order). */
  coverage: CoverageRow[];
}

export interface BenchRow extends BenchmarkResult {
  step: number;
  suite: string;
  tool: string;
}

export interface CoverageRow {
  step: number;
  path: string;
  lines: number;
  hit: number;
}

export interface TestRow {
  step: number;
  report: string;
  suite: string;
  name: string;
  file: string | null;
  line: number | null;
  durationMs: number;
  outcome: "passed" | "failed" | "error" | "skipped";
  message: string | null;
}

export interface CacheRow {
  action: "restore" | "save";
  key: string;
  hit: boolean;
  matchedKey: string | null;
  size: number | null;
  at: number;
}

export interface ApprovalRow {
  environment: string;
  requestedAt: number;
  decidedAt: number | null;
  approved: boolean | null;
  by: string | null;
}

/** A run's jobs and legs in the order they were first seen, each with its steps, annotations and log spans. */
export async function jobsOfRun(db: Db, runNumber: number): Promise<JobRow[]> {
  const jobs = await db.all<Record<string, unknown>>(
    `SELECT jobs.id, key, job, leg, name, workflow, jobs.result, reason, outputs, runner,
       jobs.started_at AS "startedAt", jobs.ended_at AS "endedAt"
     FROM jobs JOIN runs ON runs.id = jobs.run WHERE runs.repo = ? AND runs.number = ? ORDER BY jobs.id`,
    [db.repo, runNumber],
  );
  const out = new Map<number, JobRow>();
  for (const j of jobs) {
    const { id, outputs, runner, ...rest } = j as Record<string, unknown>;
    out.set(id as number, {
      ...(rest as unknown as JobRow),
      outputs: outputs ? (JSON.parse(outputs as string) as Record<string, string>) : {},
      runner: runner ? (JSON.parse(runner as string) as JobRow["runner"]) : null,
      artifacts: [],
      caches: [],
      tests: [],
      benchmarks: [],
      coverage: [],
      steps: [],
      annotations: [],
      summaries: [],
      approvals: [],
      logs: [],
    });
  }
  const each = async (sql: string, add: (j: JobRow, row: Record<string, unknown>) => void) => {
    for (const row of await db.all<Record<string, unknown>>(sql, [db.repo, runNumber])) {
      const { job, ...rest } = row as Record<string, unknown>;
      const j = out.get(job as number);
      if (j) add(j, rest);
    }
  };
  const inRun =
    "job IN (SELECT jobs.id FROM jobs JOIN runs ON runs.id = jobs.run WHERE runs.repo = ? AND runs.number = ?)";
  await each(
    `SELECT job, number, name, outcome, conclusion, started_at AS "startedAt", ended_at AS "endedAt"
     FROM steps WHERE ${inRun} ORDER BY job, number`,
    (j, r) => j.steps.push(r as unknown as StepRow),
  );
  await each(
    `SELECT job, step, level, message, title, file, line, col FROM annotations WHERE ${inRun} ORDER BY seq`,
    (j, r) => j.annotations.push(r as unknown as AnnotationRow),
  );
  await each(`SELECT job, step, markdown FROM summaries WHERE ${inRun} ORDER BY id`, (j, r) =>
    j.summaries.push(r as { step: number; markdown: string }),
  );
  await each(
    `SELECT job, environment, requested_at AS "requestedAt", decided_at AS "decidedAt", approved,
       decided_by AS "by" FROM approvals WHERE ${inRun} ORDER BY id`,
    (j, r) =>
      j.approvals.push({
        ...(r as unknown as ApprovalRow),
        approved: r.approved === null ? null : r.approved === 1,
      }),
  );
  await each(
    `SELECT job, step, file, first_seq AS "firstSeq", last_seq AS "lastSeq", first_line AS "firstLine",
       last_line AS "lastLine" FROM log_index WHERE ${inRun} ORDER BY first_seq`,
    (j, r) => j.logs.push(r as unknown as LogSpanRow),
  );
  await each(
    `SELECT job, name, files, size, path, created_at AS "createdAt" FROM artifacts WHERE ${inRun} ORDER BY id`,
    (j, r) => j.artifacts.push(r as unknown as JobRow["artifacts"][number]),
  );
  await each(
    `SELECT job, action, key, hit, matched_key AS "matchedKey", size, at FROM caches WHERE ${inRun} ORDER BY id`,
    (j, r) => j.caches.push({ ...(r as unknown as CacheRow), hit: r.hit === 1 }),
  );
  await each(
    `SELECT job, step, report, suite, name, file, line, duration_ms AS "durationMs", outcome, message
     FROM test_cases WHERE ${inRun} ORDER BY id`,
    (j, r) => j.tests.push({ ...(r as unknown as TestRow), durationMs: Number(r.durationMs) }),
  );
  await each(
    `SELECT job, step, suite, tool, ${BENCH_COLUMNS} FROM benchmarks b WHERE ${inRun} ORDER BY id`,
    (j, r) =>
      j.benchmarks.push({
        step: r.step as number,
        suite: r.suite as string,
        tool: r.tool as string,
        ...benchRowResult(r as unknown as BenchRowRaw),
      }),
  );
  await each(`SELECT job, step, path, lines, hit FROM coverage_files WHERE ${inRun} ORDER BY id`, (j, r) =>
    j.coverage.push(r as unknown as CoverageRow),
  );
  return [...out.values()];
}

/**
 * The coverage job `key` recorded in the newest run on `ref` other than run `except` (the run
 * asking): the base a codecov step compares with. Undefined when there is none.
 */
export async function lastCoverage(
  db: Db,
  ref: string,
  key: string,
  except: number,
): Promise<{ run: number; sha: string; files: CoverageRow[] } | undefined> {
  const run = await db.get<{ id: number; number: number; sha: string }>(
    `SELECT runs.id, runs.number, runs.sha FROM runs
     WHERE runs.repo = ?1 AND runs.ref = ?2 AND runs.number <> ?4
       AND EXISTS (SELECT 1 FROM jobs JOIN coverage_files ON coverage_files.job = jobs.id
                   WHERE jobs.run = runs.id AND jobs.key = ?3)
     ORDER BY runs.number DESC LIMIT 1`,
    [db.repo, ref, key, except],
  );
  if (!run) return undefined;
  const files = await db.all<CoverageRow>(
    `SELECT step, path, lines, hit FROM coverage_files
     WHERE job = (SELECT id FROM jobs WHERE run = ?1 AND key = ?2) ORDER BY id`,
    [run.id, key],
  );
  return { run: run.number, sha: run.sha, files };
}
