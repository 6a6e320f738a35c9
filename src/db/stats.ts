import type { Db } from "./db.js";
import { ofWorkflow } from "./reads.js";

/** Durations and reliability over the last runs: what `slipway stats` shows. */

export interface Timing {
  runs: number;
  p50: number;
  p90: number;
  /** p50 of the newer half against the older half (0.1 = 10% slower); null below 4 samples. */
  trend: number | null;
}

export interface JobStats extends Timing {
  workflow: string;
  job: string;
  failureRate: number;
  /** Commits on which the job failed, then passed in a later run: flaky. */
  flakyCommits: string[];
}

export interface StepStats extends Timing {
  workflow: string;
  job: string;
  step: string;
}

export interface TestStats extends Timing {
  suite: string;
  name: string;
}

export interface FlakyTest {
  suite: string;
  name: string;
  /** Commits on which the test both failed and passed (in any order). */
  commits: string[];
  failed: number;
  passed: number;
}

export interface Stats {
  /** The runs looked at, oldest to newest. */
  runs: number[];
  workflows: (Timing & { workflow: string; failureRate: number })[];
  jobs: JobStats[];
  slowestSteps: StepStats[];
  /** Test cases (from the test-report actions) that failed and passed on the same commit. */
  flakyTests: FlakyTest[];
  slowestTests: TestStats[];
}

/** Nearest-rank percentile of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** `samples` in run order (oldest first). */
export function timing(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const half = Math.floor(samples.length / 2);
  const median = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const older = median(samples.slice(0, half));
  const trend = samples.length >= 4 && older > 0 ? median(samples.slice(half)) / older - 1 : null;
  return { runs: samples.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), trend };
}

interface JobSample {
  run: number;
  sha: string;
  workflow: string;
  name: string;
  result: string;
  startedAt: number | null;
  endedAt: number | null;
}

function group<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    m.set(k, [...(m.get(k) ?? []), x]);
  }
  return m;
}

/** The last ?1 finished runs of this repository (?3), of workflow ?2 when not NULL. */
const recent = (db: Db) => `SELECT id FROM runs WHERE ended_at IS NOT NULL AND repo = ?3
  AND ${ofWorkflow(db, 2)} ORDER BY started_at DESC LIMIT ?1`;

/** Stats over the last `last` finished runs (of workflow `workflow`, a file or a name, when given). */
export async function stats(db: Db, last: number, workflow?: string, top = 10): Promise<Stats> {
  const params = [last, workflow ?? null, db.repo];
  const runs = (
    await db.all<{ number: number }>(
      `SELECT number FROM runs WHERE id IN (${recent(db)}) ORDER BY started_at`,
      params,
    )
  ).map((r) => r.number);
  const jobs = await db.all<JobSample>(
    `SELECT r.number AS run, r.sha, coalesce(j.workflow, '') AS workflow, j.name, j.result,
       j.started_at AS "startedAt", j.ended_at AS "endedAt"
     FROM jobs j JOIN runs r ON r.id = j.run
     WHERE r.id IN (${recent(db)}) AND j.result IN ('success', 'failure') ORDER BY r.started_at, j.id`,
    params,
  );
  // Jobs carry their workflow's name; a run, its workflow files. W names either.
  const byName = jobs.some((j) => j.workflow === workflow);
  const matches = (w: string) => !byName || w === workflow;
  const timed = (xs: JobSample[]) =>
    xs.filter((x) => x.startedAt !== null && x.endedAt !== null).map((x) => x.endedAt! - x.startedAt!);
  const failureRate = (xs: { result: string }[]) =>
    xs.filter((x) => x.result === "failure").length / xs.length;

  const perJob: JobStats[] = [];
  for (const xs of group(
    jobs.filter((j) => matches(j.workflow)),
    (j) => `${j.workflow}\0${j.name}`,
  ).values()) {
    const durations = timed(xs);
    if (durations.length === 0) continue;
    const flaky = new Set<string>();
    const failedOn = new Set<string>();
    for (const x of xs) {
      if (x.result === "failure") failedOn.add(x.sha);
      else if (failedOn.has(x.sha)) flaky.add(x.sha);
    }
    perJob.push({
      workflow: xs[0]!.workflow,
      job: xs[0]!.name,
      ...timing(durations),
      failureRate: failureRate(xs),
      flakyCommits: [...flaky],
    });
  }

  // A workflow's time in a run: from its first job's start to its last job's end.
  const perWorkflow = [];
  for (const xs of group(
    jobs.filter((j) => matches(j.workflow) && j.workflow),
    (j) => j.workflow,
  ).values()) {
    const byRun = [...group(xs, (x) => String(x.run)).values()];
    const spans = byRun.map((r) => {
      const t = r.filter((x) => x.startedAt !== null && x.endedAt !== null);
      return Math.max(...t.map((x) => x.endedAt!)) - Math.min(...t.map((x) => x.startedAt!));
    });
    const results = byRun.map((r) => ({
      result: r.some((x) => x.result === "failure") ? "failure" : "success",
    }));
    perWorkflow.push({
      workflow: xs[0]!.workflow,
      ...timing(spans.filter((s) => Number.isFinite(s))),
      failureRate: failureRate(results),
    });
  }

  const steps = await db.all<{ workflow: string; job: string; step: string; ms: number }>(
    `SELECT coalesce(j.workflow, '') AS workflow, j.name AS job, s.name AS step, s.ended_at - s.started_at AS ms
     FROM steps s JOIN jobs j ON j.id = s.job JOIN runs r ON r.id = j.run
     WHERE r.id IN (${recent(db)}) AND s.started_at IS NOT NULL AND s.ended_at IS NOT NULL
       AND s.conclusion IN ('success', 'failure')
     ORDER BY r.started_at, s.id`,
    params,
  );
  const slowestSteps = [
    ...group(
      steps.filter((s) => matches(s.workflow)),
      (s) => `${s.workflow}\0${s.job}\0${s.step}`,
    ).values(),
  ]
    .map((xs) => ({
      workflow: xs[0]!.workflow,
      job: xs[0]!.job,
      step: xs[0]!.step,
      ...timing(xs.map((x) => x.ms)),
    }))
    .sort((a, b) => b.p50 - a.p50)
    .slice(0, top);

  const { flakyTests, slowestTests } = await testStats(db, params, matches, top);
  return { runs, workflows: perWorkflow, jobs: perJob, slowestSteps, flakyTests, slowestTests };
}

/** Flaky and slowest test cases over the same runs. */
async function testStats(
  db: Db,
  params: (string | number | null)[],
  matches: (workflow: string) => boolean,
  top: number,
): Promise<{ flakyTests: FlakyTest[]; slowestTests: TestStats[] }> {
  const rows = await db.all<{
    sha: string;
    workflow: string;
    suite: string;
    name: string;
    outcome: string;
    ms: number;
  }>(
    `SELECT r.sha, coalesce(j.workflow, '') AS workflow, t.suite, t.name, t.outcome, t.duration_ms AS ms
     FROM test_cases t JOIN jobs j ON j.id = t.job JOIN runs r ON r.id = j.run
     WHERE r.id IN (${recent(db)}) ORDER BY r.started_at, t.id`,
    params,
  );
  const tests = [
    ...group(
      rows.filter((t) => matches(t.workflow)),
      (t) => `${t.suite}\0${t.name}`,
    ).values(),
  ];
  const flakyTests: FlakyTest[] = [];
  for (const xs of tests) {
    const bad = (o: string) => o === "failed" || o === "error";
    const failedOn = new Set(xs.filter((x) => bad(x.outcome)).map((x) => x.sha));
    const passedOn = new Set(xs.filter((x) => x.outcome === "passed").map((x) => x.sha));
    const commits = [...failedOn].filter((c) => passedOn.has(c));
    if (commits.length)
      flakyTests.push({
        suite: xs[0]!.suite,
        name: xs[0]!.name,
        commits,
        failed: xs.filter((x) => bad(x.outcome)).length,
        passed: xs.filter((x) => x.outcome === "passed").length,
      });
  }
  const slowestTests = tests
    .map((xs) => ({ xs: xs.filter((x) => x.outcome !== "skipped"), first: xs[0]! }))
    .filter(({ xs }) => xs.length > 0)
    .map(({ xs, first }) => ({
      suite: first.suite,
      name: first.name,
      ...timing(xs.map((x) => Number(x.ms))),
    }))
    .sort((a, b) => b.p50 - a.p50)
    .slice(0, top);
  return { flakyTests, slowestTests };
}
