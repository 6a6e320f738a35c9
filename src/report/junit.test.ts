import { describe, expect, test } from "vitest";
import type { JobResult, RunEvent } from "../run/events.js";
import { JUnitReport } from "./junit.js";

const queued = (job: string, workflow: string): RunEvent => ({
  type: "job-queued",
  job,
  name: job,
  workflow,
});
const end = (job: string, name: string, result: JobResult, ms: number, reason?: string): RunEvent => ({
  type: "job-end",
  job,
  name,
  result,
  durationMs: ms,
  reason,
  outputs: {},
});

describe("JUnitReport", () => {
  test("a suite per workflow, a case per leg, failures with their errors, skips with the reason", () => {
    const r = new JUnitReport();
    for (const e of [
      queued("ci.lint", "CI"),
      queued("ci.test", "CI"),
      queued("deploy.ship", "Deploy"),
      {
        type: "annotation",
        job: "ci.test.2",
        annotation: { level: "error", message: "exit <1> & \u0007bell", file: "a.yml", line: 3, col: 5 },
      },
      end("ci.lint", "lint", "success", 1500),
      end("ci.test.1", "test (a)", "success", 200),
      end("ci.test.2", "test (b)", "failure", 300),
      end("ci.test", "test", "failure", 320, "test (b) failed"),
      end("deploy.ship", "ship", "skipped", 0, 'needs "approval"'),
    ] as RunEvent[])
      r.on(e);
    expect(r.xml().split("\n")).toEqual([
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<testsuites name="slipway run" tests="4" failures="1" skipped="1">',
      '  <testsuite name="CI" tests="3" failures="1" skipped="0" time="2.000">',
      '    <testcase classname="CI" name="lint" time="1.500"/>',
      '    <testcase classname="CI" name="test (a)" time="0.200"/>',
      '    <testcase classname="CI" name="test (b)" time="0.300">',
      '      <failure message="a.yml:3:5: exit &lt;1&gt; &amp; \ufffdbell">a.yml:3:5: exit &lt;1&gt; &amp; \ufffdbell</failure>',
      "    </testcase>",
      "  </testsuite>",
      '  <testsuite name="Deploy" tests="1" failures="0" skipped="1" time="0.000">',
      '    <testcase classname="Deploy" name="ship" time="0.000">',
      '      <skipped message="needs &quot;approval&quot;"/>',
      "    </testcase>",
      "  </testsuite>",
      "</testsuites>",
      "",
    ]);
  });
});
