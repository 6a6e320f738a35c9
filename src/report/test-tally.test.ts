import { expect, test } from "vitest";
import { TestTally } from "./test-tally.js";

test("tests per job: errors count as failed; a job without reports has no tests field", () => {
  const t = new TestTally();
  const c = (outcome: "passed" | "failed" | "error" | "skipped") => ({
    suite: "s",
    name: "n",
    durationMs: 0,
    outcome,
  });
  t.on({ type: "test-results", job: "a", step: 1, report: "r", cases: [c("passed"), c("error")] });
  t.on({ type: "test-results", job: "a", step: 2, report: "r2", cases: [c("failed"), c("skipped")] });
  t.on({ type: "log", job: "b", stream: "info", text: "x" });
  expect(t.of("a")).toEqual({ tests: { passed: 1, failed: 2, skipped: 1 } });
  expect(t.of("b")).toEqual({});
});
