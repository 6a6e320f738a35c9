import { describe, expect, test } from "vitest";
import type { RunEvent } from "../run/events.js";
import { PlainReporter } from "./console.js";

function report(events: RunEvent[]): { lines: string[]; summary: string } {
  const lines: string[] = [];
  const r = new PlainReporter((t) => lines.push(t));
  for (const e of events) r.on(e);
  return { lines, summary: r.summary("failure", 1500) };
}

const end = (
  job: string,
  name: string,
  result: "success" | "failure" | "skipped",
  ms: number,
  reason?: string,
) => ({ type: "job-end", job, name, result, durationMs: ms, reason, outputs: {} }) as RunEvent;

describe("PlainReporter", () => {
  test("prefixes lines with the job name and step", () => {
    const { lines } = report([
      { type: "job-queued", job: "a", name: "a", workflow: "ci" },
      { type: "job-start", job: "a", name: "build" },
      { type: "step-start", job: "a", step: 0, name: "Compile" },
      { type: "log", job: "a", step: 0, stream: "stdout", text: "ok" },
      { type: "log", job: "a", step: 0, stream: "stderr", text: "warn" },
    ]);
    expect(lines).toEqual([
      "[build] ⏵ job started",
      "[build] ⏵ Compile",
      "[build]   | ok",
      "[build]   ! warn",
    ]);
  });

  test("summary puts matrix legs under their job in leg order, jobs in queue order, with reasons for non-success", () => {
    const { summary } = report([
      { type: "job-queued", job: "test", name: "test", workflow: "ci" },
      { type: "job-queued", job: "lint", name: "lint", workflow: "ci" },
      end("lint", "lint", "skipped", 0, "if: false"),
      end("test.2", "test (b)", "failure", 2100),
      end("test.1", "test (a)", "success", 900),
      end("test", "test", "failure", 2200),
    ]);
    expect(summary.split("\n")).toEqual([
      "",
      "JOB         RESULT       TIME",
      "test        ✗ failure    2.2s",
      "  test (a)  ✓ success    900ms",
      "  test (b)  ✗ failure    2.1s",
      "lint        - skipped    (if: false)",
      "",
      "Run failure in 1.5s",
    ]);
  });

  test("a job that read test reports shows its tests in a TESTS column", () => {
    const c = (name: string, outcome: "passed" | "failed" | "error" | "skipped") => ({
      suite: "s",
      name,
      durationMs: 1,
      outcome,
    });
    const { summary } = report([
      { type: "job-queued", job: "unit", name: "unit", workflow: "ci" },
      { type: "job-queued", job: "lint", name: "lint", workflow: "ci" },
      {
        type: "test-results",
        job: "unit",
        step: 2,
        report: "pytest",
        cases: [c("a", "passed"), c("b", "passed"), c("c", "failed"), c("d", "error"), c("e", "skipped")],
      },
      end("unit", "unit", "failure", 2100),
      end("lint", "lint", "success", 900),
    ]);
    expect(summary.split("\n")).toEqual([
      "",
      "JOB   RESULT       TESTS                          TIME",
      "unit  ✗ failure    2 passed, 2 failed, 1 skipped  2.1s",
      "lint  ✓ success                                   900ms",
      "",
      "Run failure in 1.5s",
    ]);
  });
});
