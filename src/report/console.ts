import type { JobResult, RunEvent } from "../run/events.js";
import { addCases, type TestCounts } from "./test-tally.js";

export type Write = (text: string) => void;

const ICON: Record<string, string> = { success: "✓", failure: "✗", cancelled: "⊘", skipped: "-" };

export function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

interface JobRow {
  key: string;
  name: string;
  result?: JobResult;
  durationMs?: number;
  reason?: string;
  step?: string;
  tests?: TestCounts;
}

/** A job's tests for the summary table: '2 passed, 1 failed, 1 skipped'. */
export function testsText(t: TestCounts): string {
  return [
    `${t.passed} passed`,
    ...(t.failed ? [`${t.failed} failed`] : []),
    ...(t.skipped ? [`${t.skipped} skipped`] : []),
  ].join(", ");
}

/**
 * Plain lines, prefixed with the job and step: for pipes, files and CI. The live TTY
 * view draws from the same events.
 */
export class PlainReporter {
  protected jobs = new Map<string, JobRow>();
  protected order: string[] = [];
  /** Rows that hold others: matrix jobs (legs `job.N`) and reusable-workflow callers (`caller.callee`). */
  protected groups = new Set<string>();
  private stepNames = new Map<string, string>();

  constructor(protected readonly out: Write) {}

  protected row(key: string, name = key): JobRow {
    let r = this.jobs.get(key);
    if (!r) {
      r = { key, name };
      this.jobs.set(key, r);
      this.order.push(key);
      const parent = this.parentOf(key);
      if (parent !== undefined) this.groups.add(parent);
    }
    return r;
  }

  /** The nearest row whose key is a dotted prefix of this one. */
  protected parentOf(key: string): string | undefined {
    for (let dot = key.lastIndexOf("."); dot > 0; dot = key.lastIndexOf(".", dot - 1)) {
      const p = key.slice(0, dot);
      if (this.jobs.has(p)) return p;
    }
    return undefined;
  }

  on(e: RunEvent): void {
    switch (e.type) {
      case "job-queued":
        this.row(e.job, e.name);
        return;
      case "job-start":
        this.row(e.job).name = e.name;
        this.out(`[${e.name}] ⏵ job started`);
        return;
      case "step-start":
        this.stepNames.set(`${e.job}#${e.step}`, e.name);
        this.row(e.job).step = e.name;
        this.out(`[${this.row(e.job).name}] ⏵ ${e.name}`);
        return;
      case "log": {
        const tag = e.stream === "stderr" ? "!" : e.stream === "debug" ? "debug" : "|";
        this.out(`[${this.row(e.job).name}]   ${tag} ${e.text}`);
        return;
      }
      case "group":
        if (!e.end) this.out(`[${this.row(e.job).name}]   ▸ ${e.title ?? ""}`);
        return;
      case "annotation": {
        const a = e.annotation;
        const where = a.file ? ` ${a.file}${a.line ? `:${a.line}${a.col ? `:${a.col}` : ""}` : ""}` : "";
        this.out(
          `[${this.row(e.job).name}]   ${a.level}${where}: ${a.title ? `${a.title}: ` : ""}${a.message}`,
        );
        return;
      }
      case "step-end":
        if (e.outcome === "skipped") {
          this.out(`[${this.row(e.job).name}] - ${e.name} (skipped)`);
          return;
        }
        this.out(
          `[${this.row(e.job).name}] ${ICON[e.conclusion]} ${e.name} (${fmtMs(e.durationMs)})${e.outcome !== e.conclusion ? ` [${e.outcome}, continue-on-error]` : ""}`,
        );
        return;
      case "job-end": {
        const r = this.row(e.job, e.name);
        r.name = e.name;
        r.result = e.result;
        r.durationMs = e.durationMs;
        r.reason = e.reason;
        // A matrix job or a caller of a reusable workflow that succeeded says nothing its
        // legs and called jobs did not already say.
        if (this.groups.has(e.job) && e.result === "success") return;
        this.out(`[${e.name}] ${ICON[e.result]} job ${e.result}${e.reason ? `: ${e.reason}` : ""}`);
        return;
      }
      case "test-results": {
        const r = this.row(e.job);
        r.tests = addCases(r.tests ?? { passed: 0, failed: 0, skipped: 0 }, e.cases);
        return;
      }
      case "summary":
        this.out(`[${this.row(e.job).name}] step summary:\n${e.markdown.trimEnd()}`);
        return;
      default:
        return;
    }
  }

  /** Stops any drawing; the plain view has none. */
  finish(): void {}

  /** Holds drawing still while something else uses the terminal (a prompt). */
  pause(): void {}

  resume(): void {}

  /**
   * The final table. Matrix legs and the jobs of a called workflow go under the row of
   * their job, indented; a group is shown once what it holds is.
   */
  summary(result: JobResult, durationMs: number): string {
    const done = this.order.filter((k) => this.jobs.get(k)!.result !== undefined);
    const childrenOf = new Map<string | undefined, string[]>();
    for (const k of done) {
      const parent = this.parentOf(k);
      const key = parent !== undefined && this.jobs.get(parent)!.result !== undefined ? parent : undefined;
      childrenOf.set(key, [...(childrenOf.get(key) ?? []), k]);
    }
    const rows: { r: JobRow; indent: string }[] = [];
    const walk = (parent: string | undefined, indent: string) => {
      const kids = childrenOf.get(parent) ?? [];
      // Legs in matrix order; the rest in the order they were queued.
      if (parent !== undefined && kids.every((k) => isLeg(k))) kids.sort((a, b) => legNo(a) - legNo(b));
      for (const k of kids) {
        rows.push({ r: this.jobs.get(k)!, indent });
        walk(k, `${indent}  `);
      }
    };
    walk(undefined, "");
    const w = Math.max(4, ...rows.map(({ r, indent }) => indent.length + r.name.length));
    // A TESTS column only when a job read test reports.
    const tests = rows.some(({ r }) => r.tests);
    const tw = Math.max(5, ...rows.map(({ r }) => (r.tests ? testsText(r.tests).length : 0)));
    const testCol = (r: JobRow) => (tests ? `${(r.tests ? testsText(r.tests) : "").padEnd(tw)}  ` : "");
    const lines = ["", `${"JOB".padEnd(w)}  RESULT       ${tests ? `${"TESTS".padEnd(tw)}  ` : ""}TIME`];
    for (const { r, indent } of rows) {
      lines.push(
        `${(indent + r.name).padEnd(w)}  ${`${ICON[r.result!]} ${r.result}`.padEnd(12)} ${testCol(r)}${r.durationMs ? fmtMs(r.durationMs) : ""}${r.reason && (r.result !== "success" || r.reason.startsWith("reused ")) ? `${r.durationMs ? "  " : ""}(${r.reason})` : ""}`.trimEnd(),
      );
    }
    lines.push("", `Run ${result} in ${fmtMs(durationMs)}`);
    return lines.join("\n");
  }
}

const isLeg = (key: string) => /\.\d+$/.test(key);
const legNo = (key: string) => Number(key.slice(key.lastIndexOf(".") + 1));
