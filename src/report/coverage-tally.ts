import type { FileCoverage, RunEvent } from "../run/events.js";

export interface CoverageTotal {
  lines: number;
  hit: number;
  /** hit / lines × 100, two decimals, rounded down as Codecov shows it. */
  percent: number;
}

/**
 * Line coverage per job from the event stream, for `slipway run --json`. A job whose codecov
 * steps read the same file twice counts it once (the later step's numbers).
 */
export class CoverageTally {
  private byJob = new Map<string, Map<string, FileCoverage>>();

  on(e: RunEvent): void {
    if (e.type !== "coverage") return;
    const files = this.byJob.get(e.job) ?? new Map<string, FileCoverage>();
    for (const f of e.files) files.set(f.path, f);
    this.byJob.set(e.job, files);
  }

  /** `{ coverage }` for a job that read coverage reports, else nothing: spread into the job's JSON. */
  of(job: string): { coverage?: CoverageTotal } {
    const files = this.byJob.get(job);
    if (!files) return {};
    let lines = 0;
    let hit = 0;
    for (const f of files.values()) {
      lines += f.lines;
      hit += f.hit;
    }
    const percent = lines ? Math.floor((hit / lines) * 10000 + 1e-6) / 100 : 100;
    return { coverage: { lines, hit, percent } };
  }
}
