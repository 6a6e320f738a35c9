import type { RunEvent, TestCase } from "../run/events.js";

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Adds `cases` to `t`: an error counts as failed, as the test-report actions count it. */
export function addCases(t: TestCounts, cases: readonly TestCase[]): TestCounts {
  for (const c of cases)
    if (c.outcome === "passed") t.passed++;
    else if (c.outcome === "skipped") t.skipped++;
    else t.failed++;
  return t;
}

/** Tests per job from the event stream, for `slipway run --json` (a job without reports has none). */
export class TestTally {
  private byJob = new Map<string, TestCounts>();

  on(e: RunEvent): void {
    if (e.type !== "test-results") return;
    const t = this.byJob.get(e.job) ?? { passed: 0, failed: 0, skipped: 0 };
    this.byJob.set(e.job, addCases(t, e.cases));
  }

  /** `{ tests }` for a job that read test reports, else nothing: spread into the job's JSON. */
  of(job: string): { tests?: TestCounts } {
    const t = this.byJob.get(job);
    return t ? { tests: { ...t } } : {};
  }
}
