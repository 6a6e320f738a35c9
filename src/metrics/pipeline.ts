// Pipeline trends over a window of days, from the run history: per workflow its duration
// (p50/p90), the time runs waited in the server's queue, its success rate and a day-by-day
// series; and the flaky jobs: a job whose attempts on the same commit ended differently.
//
// A finished run does not change, so PipelineHistory keeps what it read and asks the
// database only for runs after the last finished one it has (a page with 10,000 runs stored
// reads the new runs, not all 40,000 jobs again).
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
  ref: string;
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

/** One workflow's part of one finished run. */
interface Part {
  run: number;
  sha: string;
  ref: string;
  at: number;
  workflow: string;
  result: "success" | "failure" | "cancelled";
  ms: number | null;
  /** Its jobs that succeeded or failed, for the flaky ones. */
  jobs: { name: string; result: string }[];
}

interface Row {
  id: number;
  run: number;
  sha: string;
  ref: string;
  at: number;
  ended: number | null;
  workflow: string;
  name: string;
  result: string | null;
  startedAt: number | null;
  endedAt: number | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export class PipelineHistory {
  private parts: Part[] = [];
  /** Runs with a larger id are read again (the first unfinished one stays above it). */
  private low = 0;
  /** Finished runs above `low` already read (a run still going keeps `low` below them). */
  private readonly taken = new Set<number>();
  /** Run number → when its trigger was queued on the server. */
  private readonly queued = new Map<number, number>();

  /** Refreshes one at a time: two at once would both take the same new runs. */
  private reading: Promise<void> = Promise.resolve();

  /** Reads the runs finished since the last refresh. */
  refresh(db: Db): Promise<void> {
    const next = this.reading.then(() => this.read(db));
    this.reading = next.catch(() => undefined);
    return next;
  }

  private async read(db: Db): Promise<void> {
    const rows = (
      await db.all<Row>(
        `SELECT r.id, r.number AS run, r.sha, r.ref, r.started_at AS at, r.ended_at AS ended,
           coalesce(j.workflow, '') AS workflow, j.name, j.result,
           j.started_at AS "startedAt", j.ended_at AS "endedAt"
         FROM runs r JOIN jobs j ON j.run = r.id
         WHERE r.repo = ?1 AND r.id > ?2 ORDER BY r.id, j.id`,
        [db.repo, this.low],
      )
    ).map((r) => ({
      ...r,
      id: Number(r.id),
      run: Number(r.run),
      at: Number(r.at),
      ended: num(r.ended),
      startedAt: num(r.startedAt),
      endedAt: num(r.endedAt),
    }));
    let firstOpen: number | undefined;
    let last = this.low;
    const fresh: Part[] = [];
    for (let i = 0; i < rows.length; ) {
      const id = rows[i]!.id;
      let k = i;
      while (k < rows.length && rows[k]!.id === id) k++;
      const jobs = rows.slice(i, k);
      i = k;
      last = Math.max(last, id);
      if (this.taken.has(id)) continue;
      if (jobs[0]!.ended === null) {
        firstOpen ??= id;
        continue;
      }
      this.taken.add(id);
      const byWorkflow = new Map<string, Row[]>();
      for (const j of jobs) byWorkflow.set(j.workflow, [...(byWorkflow.get(j.workflow) ?? []), j]);
      for (const [workflow, xs] of byWorkflow) fresh.push(part(workflow, xs));
    }
    this.low = firstOpen !== undefined ? firstOpen - 1 : last;
    for (const id of this.taken) if (id <= this.low) this.taken.delete(id);
    if (fresh.length) {
      const runs = fresh.map((p) => p.run);
      const waits = await db.all<{ run: number; created: number }>(
        `SELECT run, created_at AS created FROM server_queue
         WHERE repo = ? AND run BETWEEN ? AND ? ORDER BY id`,
        [db.repo, Math.min(...runs), Math.max(...runs)],
      );
      for (const w of waits) this.queued.set(Number(w.run), Number(w.created));
      this.parts.push(...fresh);
      this.parts.sort((a, b) => a.at - b.at || a.run - b.run);
    }
  }

  /** The trends over the `days` before `now`, from what was read. */
  trends(days: number, now: number): PipelineTrends {
    const from = now - days * DAY;
    const parts = this.parts.filter((p) => p.at > from && p.at <= now);
    const waited = (p: Part) => {
      const q = this.queued.get(p.run);
      return q === undefined ? undefined : Math.max(0, p.at - q);
    };
    const byWorkflow = new Map<string, Part[]>();
    for (const p of parts) {
      const xs = byWorkflow.get(p.workflow);
      if (xs) xs.push(p);
      else byWorkflow.set(p.workflow, [p]);
    }
    const workflows: WorkflowTrend[] = [...byWorkflow]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([workflow, runs]) => {
        const decided = runs.filter((r) => r.result !== "cancelled");
        // Day k of the series starts at first + k days (UTC midnights): an index, not a date per run.
        const first = Date.parse(dayOf(now - (days - 1) * DAY));
        const series = Array.from({ length: days }, (_, k) => ({
          day: dayOf(first + k * DAY),
          runs: 0,
          failures: 0,
          ms: [] as number[],
        }));
        for (const r of runs) {
          const d = series[Math.floor((r.at - first) / DAY)];
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
          queue: spread(runs.flatMap((r) => waited(r) ?? [])),
          daily: series.map((d) => ({
            day: d.day,
            runs: d.runs,
            failures: d.failures,
            p50Ms: spread(d.ms).medianMs,
          })),
        };
      });

    // Flaky: the same job on the same commit and ref, both failed and succeeded (a job that
    // fails on one branch only is not flaky). Only a commit a workflow ran twice can have one.
    const times = new Map<string, number>();
    for (const p of parts)
      times.set(
        `${p.workflow}\0${p.sha}\0${p.ref}`,
        (times.get(`${p.workflow}\0${p.sha}\0${p.ref}`) ?? 0) + 1,
      );
    const attempts = new Map<
      string,
      { workflow: string; job: string; sha: string; ref: string; runs: number[]; results: string[] }
    >();
    for (const p of parts)
      if ((times.get(`${p.workflow}\0${p.sha}\0${p.ref}`) ?? 0) > 1)
        for (const j of p.jobs) {
          const k = `${p.workflow}\0${j.name}\0${p.sha}\0${p.ref}`;
          const a = attempts.get(k);
          if (a) {
            a.runs.push(p.run);
            a.results.push(j.result);
          } else
            attempts.set(k, {
              workflow: p.workflow,
              job: j.name,
              sha: p.sha,
              ref: p.ref,
              runs: [p.run],
              results: [j.result],
            });
        }
    const flaky = [...attempts.values()].filter((a) => new Set(a.results).size > 1);

    const byRun = new Map(parts.map((p) => [p.run, p]));
    return {
      days,
      from,
      to: now,
      runs: byRun.size,
      queue: spread([...byRun.values()].flatMap((p) => waited(p) ?? [])),
      workflows,
      flaky,
    };
  }
}

function part(workflow: string, xs: Row[]): Part {
  const timed = xs.filter((x) => x.startedAt !== null && x.endedAt !== null);
  const result = xs.some((x) => x.result === "failure")
    ? "failure"
    : xs.some((x) => x.result === "cancelled")
      ? "cancelled"
      : "success";
  return {
    run: xs[0]!.run,
    sha: xs[0]!.sha,
    ref: xs[0]!.ref,
    at: xs[0]!.at,
    workflow,
    result,
    ms: timed.length
      ? Math.max(...timed.map((x) => x.endedAt!)) - Math.min(...timed.map((x) => x.startedAt!))
      : null,
    jobs: xs
      .filter((x) => x.result === "success" || x.result === "failure")
      .map((x) => ({ name: x.name, result: x.result! })),
  };
}

/** The trends over the `days` before `now`, read at once (no history kept). */
export async function pipelineTrends(db: Db, days: number, now = Date.now()): Promise<PipelineTrends> {
  const h = new PipelineHistory();
  await h.refresh(db);
  return h.trends(days, now);
}
