import type { RunEvent } from "../run/events.js";

interface Case {
  key: string;
  name: string;
  result: string;
  seconds: number;
  reason?: string;
  errors: string[];
}

/**
 * `slipway run --junit FILE`: one test suite per workflow, one test case per job that ran
 * (matrix legs and called workflows' jobs, not the jobs that only group them), for CI
 * servers and dashboards that read JUnit XML. Built from the masked event stream.
 */
export class JUnitReport {
  private workflowOf = new Map<string, string>();
  private cases = new Map<string, Case>();
  private errors = new Map<string, string[]>();

  on(e: RunEvent): void {
    if (e.type === "job-queued") this.workflowOf.set(e.job, e.workflow);
    else if (e.type === "annotation" && e.annotation.level === "error") {
      const a = e.annotation;
      const at = a.file ? `${a.file}${a.line ? `:${a.line}${a.col ? `:${a.col}` : ""}` : ""}: ` : "";
      this.errors.set(e.job, [...(this.errors.get(e.job) ?? []), `${at}${a.message}`]);
    } else if (e.type === "job-end")
      this.cases.set(e.job, {
        key: e.job,
        name: e.name,
        result: e.result,
        seconds: e.durationMs / 1000,
        reason: e.reason,
        errors: this.errors.get(e.job) ?? [],
      });
  }

  xml(): string {
    const all = [...this.cases.values()];
    const leaves = all.filter((c) => !all.some((o) => o.key.startsWith(`${c.key}.`)));
    const suites = new Map<string, Case[]>();
    for (const c of leaves) {
      const wf = this.workflow(c.key);
      suites.set(wf, [...(suites.get(wf) ?? []), c]);
    }
    const count = (cs: Case[], r: string) => cs.filter((c) => c.result === r).length;
    const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
    out.push(
      `<testsuites name="slipway run" tests="${leaves.length}" failures="${count(leaves, "failure")}" skipped="${count(leaves, "skipped") + count(leaves, "cancelled")}">`,
    );
    for (const [wf, cs] of suites) {
      const time = cs.reduce((t, c) => t + c.seconds, 0);
      out.push(
        `  <testsuite name="${esc(wf)}" tests="${cs.length}" failures="${count(cs, "failure")}" skipped="${count(cs, "skipped") + count(cs, "cancelled")}" time="${time.toFixed(3)}">`,
      );
      for (const c of cs) {
        const open = `    <testcase classname="${esc(wf)}" name="${esc(c.name)}" time="${c.seconds.toFixed(3)}"`;
        if (c.result === "success") {
          out.push(`${open}/>`);
          continue;
        }
        out.push(`${open}>`);
        if (c.result === "failure") {
          const message = c.errors[0] ?? c.reason ?? "the job failed";
          out.push(
            `      <failure message="${esc(message)}">${esc([...c.errors, ...(c.reason ? [c.reason] : [])].join("\n"))}</failure>`,
          );
        } else out.push(`      <skipped message="${esc(c.reason ?? c.result)}"/>`);
        out.push("    </testcase>");
      }
      out.push("  </testsuite>");
    }
    out.push("</testsuites>", "");
    return out.join("\n");
  }

  /** A leg (`job.2`) or a called workflow's job (`call.inner`) belongs to its caller's workflow. */
  private workflow(key: string): string {
    for (let k = key; ; k = k.slice(0, k.lastIndexOf("."))) {
      const wf = this.workflowOf.get(k);
      if (wf !== undefined) return wf;
      if (!k.includes(".")) return "workflow";
    }
  }
}

// XML 1.0 allows neither most control characters nor unpaired surrogates, even escaped.
const INVALID =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function esc(s: string): string {
  return s
    .replace(INVALID, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
