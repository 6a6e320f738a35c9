// Pipeline trends over a window of days, from the run history: per workflow its duration
// (p50/p90), the time runs waited in the server's queue, its success rate and a day-by-day
// series; and the flaky jobs: a job whose attempts on the same commit ended differently.
import type { Db } from "../db/db.js";
import { DAY, dayOf, type Spread, spread } from "./dora.js";

export interface TrendDay {
  day: string;
  runs: number;
  failures: number;
  /** Median duration of that day's runs of the workflow, ms. */
  p50Ms: number | null;
}

export interface WorkflowTrend {
  workflow: string;
  runs: number;
  /** Successful runs / (successful + failed); cancelled ones are neither. Null without either. */
  successRate: number | null;
  /** From its first job's start to its last job's end. */
  duration: Spread;
  /** From the trigger queued on the server to the run's start (runs the server started). */
  queue: Spread;
  daily: TrendDay[];
}

export interface FlakyJob {
  workflow: string;
  job: string;
  sha: string;
  /** The runs that ran it on that commit, and how each ended, oldest first. */
  runs: number[];
  results: string[];
}

export interface PipelineTrends {
  days: number;
  from: number;
  to: number;
  runs: number;
  queue: Spread;
  workflows: WorkflowTrend[];
  flaky: FlakyJob[];
}

interface JobRow {
  run: number;
  sha: string;
  workflow: string;
  name: string;
  result: string | null;
  startedAt: number | null;
  endedAt: number | null;
  runStartedAt: number;
}

export async function pipelineTrends(db: Db, days: number, now = Date.now()): Promise<PipelineTrends> {
  const from = now - days * DAY;
  const jobs = (
    await db.all<JobRow>(
      `SELECT r.number AS run, r.sha, coalesce(j.workflow, '') AS workflow, j.name, j.result,
         j.started_at AS "startedAt", j.ended_at AS "endedAt", r.started_at AS "runStartedAt"
       FROM jobs j JOIN runs r ON r.id = j.run
       WHERE r.repo = ?1 AND r.started_at > ?2 AND r.started_at <= ?3 AND r.ended_at IS NOT NULL
       ORDER BY r.started_at, r.number, j.id`,
      [db.repo, from, now],
    )
  ).map((j) => ({
    ...j,
    run: Number(j.run),
    startedAt: j.startedAt === null ? null : Number(j.startedAt),
    endedAt: j.endedAt === null ? null : Number(j.endedAt),
    runStartedAt: Number(j.runStartedAt),
  }));
  const waits = await db.all<{ run: number; waited: number }>(
    `SELECT r.number AS run, r.started_at - q.created_at AS waited
     FROM server_queue q JOIN runs r ON r.repo = q.repo AND r.number = q.run
     WHERE q.repo = ?1 AND r.started_at > ?2 AND r.started_at <= ?3`,
    [db.repo, from, now],
  );
  const waited = new Map(waits.map((w) => [Number(w.run), Math.max(0, Number(w.waited))]));

  // One workflow's part of one run: its jobs.
  const parts = new Map<string, JobRow[]>();
  for (const j of jobs) {
    const k = `${j.workflow}\0${j.run}`;
    const xs = parts.get(k);
    if (xs) xs.push(j);
    else parts.set(k, [j]);
  }
  const byWorkflow = new Map<string, { run: number; at: number; result: string; ms: number | null }[]>();
  for (const xs of parts.values()) {
    const timed = xs.filter((x) => x.startedAt !== null && x.endedAt !== null);
    const result = xs.some((x) => x.result === "failure")
      ? "failure"
      : xs.some((x) => x.result === "cancelled")
        ? "cancelled"
        : "success";
    const ms = timed.length
      ? Math.max(...timed.map((x) => x.endedAt!)) - Math.min(...timed.map((x) => x.startedAt!))
      : null;
    const w = xs[0]!.workflow;
    const list = byWorkflow.get(w) ?? [];
    list.push({ run: xs[0]!.run, at: xs[0]!.runStartedAt, result, ms });
    byWorkflow.set(w, list);
  }

  const workflows: WorkflowTrend[] = [...byWorkflow]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([workflow, runs]) => {
      const decided = runs.filter((r) => r.result !== "cancelled");
      const days_ = new Map<string, { runs: number; failures: number; ms: number[] }>();
      for (let i = days - 1; i >= 0; i--) days_.set(dayOf(now - i * DAY), { runs: 0, failures: 0, ms: [] });
      for (const r of runs) {
        const d = days_.get(dayOf(r.at));
        if (!d) continue;
        d.runs++;
        if (r.result === "failure") d.failures++;
        if (r.ms !== null) d.ms.push(r.ms);
      }
      return {
        workflow,
        runs: runs.length,
        successRate: decided.length
          ? decided.filter((r) => r.result === "success").length / decided.length
          : null,
        duration: spread(runs.flatMap((r) => (r.ms === null ? [] : [r.ms]))),
        queue: spread(runs.flatMap((r) => (waited.has(r.run) ? [waited.get(r.run)!] : []))),
        daily: [...days_].map(([day, d]) => ({
          day,
          runs: d.runs,
          failures: d.failures,
          p50Ms: spread(d.ms).medianMs,
        })),
      };
    });

  // Flaky: the same job on the same commit, both failed and succeeded.
  const attempts = new Map<string, JobRow[]>();
  for (const j of jobs) {
    if (j.result !== "success" && j.result !== "failure") continue;
    const k = `${j.workflow}\0${j.name}\0${j.sha}`;
    const xs = attempts.get(k);
    if (xs) xs.push(j);
    else attempts.set(k, [j]);
  }
  const flaky: FlakyJob[] = [];
  for (const xs of attempts.values())
    if (new Set(xs.map((x) => x.result)).size > 1)
      flaky.push({
        workflow: xs[0]!.workflow,
        job: xs[0]!.name,
        sha: xs[0]!.sha,
        runs: xs.map((x) => x.run),
        results: xs.map((x) => x.result!),
      });

  return {
    days,
    from,
    to: now,
    runs: new Set(jobs.map((j) => j.run)).size,
    queue: spread([...waited.values()]),
    workflows,
    flaky,
  };
}
