import type { BenchmarkResult, RunEvent } from "../run/events.js";

export interface JobBenchmark extends BenchmarkResult {
  suite: string;
  tool: string;
}

/** Benchmark results per job from the event stream, for `slipway run --json`. */
export class BenchTally {
  private byJob = new Map<string, JobBenchmark[]>();

  on(e: RunEvent): void {
    if (e.type !== "benchmark") return;
    const list = this.byJob.get(e.job) ?? [];
    for (const r of e.results) list.push({ suite: e.suite, tool: e.tool, ...r });
    this.byJob.set(e.job, list);
  }

  /** `{ benchmarks }` for a job that recorded some, else nothing: spread into the job's JSON. */
  of(job: string): { benchmarks?: JobBenchmark[] } {
    const b = this.byJob.get(job);
    return b ? { benchmarks: [...b] } : {};
  }
}
