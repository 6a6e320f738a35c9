import { describe, expect, test } from "vitest";
import type { RunEvent } from "../run/events.js";
import { LiveReporter } from "./live.js";

function live(rows = 24) {
  const screen: string[] = [];
  const printed: string[] = [];
  const term = { write: (t: string) => screen.push(t), columns: 60, rows };
  const r = new LiveReporter((t) => printed.push(t), term, false);
  return { r, screen, printed };
}

const queued = (job: string): RunEvent => ({ type: "job-queued", job, name: job, workflow: "ci" });

describe("LiveReporter", () => {
  test("shows running jobs with their step, queued ones, finished ones and a count line", () => {
    const { r } = live();
    for (const j of ["build", "test", "deploy"]) r.on(queued(j));
    r.on({ type: "job-start", job: "build", name: "build" });
    r.on({ type: "step-start", job: "build", step: 0, name: "Compile" });
    r.on({ type: "job-start", job: "test", name: "test" });
    r.on({
      type: "test-results",
      job: "test",
      step: 1,
      report: "unit",
      cases: [
        { suite: "s", name: "a", durationMs: 1, outcome: "passed" },
        { suite: "s", name: "b", durationMs: 1, outcome: "failed" },
      ],
    });
    r.on({ type: "job-end", job: "test", name: "test", result: "failure", durationMs: 1200, outputs: {} });
    const block = r.block();
    expect(block[0]).toMatch(/^ {2}\S build {2}Compile {2}\d+ms$/);
    expect(block.slice(1)).toEqual([
      "  · deploy  queued",
      "  ✗ test  failure 1.2s  (tests: 1 passed, 1 failed)",
      "  1 running, 1 queued, 1 failure",
    ]);
  });

  test("log lines print above the block, which is erased and drawn again", () => {
    const { r, screen, printed } = live();
    r.on(queued("a"));
    r.on({ type: "job-start", job: "a", name: "a" });
    const before = screen.length;
    r.on({ type: "log", job: "a", step: 0, stream: "stdout", text: "hello" });
    expect(printed.at(-1)).toBe("[a]   | hello");
    // Erase the 2-line block (job + count), then draw it again.
    expect(screen[before]).toBe("\x1b[2A\x1b[0J");
    expect(screen[before + 1]).toMatch(/^ {2}\S a {2}starting {2}\d+ms\n {2}1 running, 0 queued\n$/);
    r.finish();
    expect(screen.at(-1)).toBe("\x1b[2A\x1b[0J");
  });

  test("a run with more jobs than rows keeps the block within the screen", () => {
    const { r } = live(10);
    for (let i = 0; i < 50; i++) r.on(queued(`j${i}`));
    for (let i = 0; i < 3; i++) r.on({ type: "job-start", job: `j${i}`, name: `j${i}` });
    const block = r.block();
    expect(block).toHaveLength(8);
    expect(block.slice(0, 3).every((l) => /starting/.test(l))).toBe(true);
    expect(block.at(-1)).toBe("  3 running, 47 queued");
  });

  test("a reusable-workflow caller is not a queued row of its own: its called jobs show as 'caller / callee'", () => {
    const { r } = live();
    r.on(queued("call"));
    r.on({ type: "job-queued", job: "call.inner", name: "call / inner", workflow: "lib" });
    r.on({ type: "job-start", job: "call.inner", name: "call / inner" });
    const block = r.block();
    expect(block[0]).toMatch(/^ {2}\S call \/ inner {2}starting/);
    expect(block.slice(1)).toEqual(["  1 running, 0 queued"]);
  });
});
