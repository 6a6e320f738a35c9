import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Step } from "@actions/workflow-parser/model/workflow-template";
import { describe, expect, test } from "vitest";
import { evaluate } from "../expr/evaluate.js";
import { loadAction } from "../run/actions/action-file.js";
import { loadWithPackageParser, loadWorkflowText } from "./load.js";

const WORKFLOW = `on: [push, schedule]
jobs:
  strip:
    runs-on: ubuntu-latest
    if: |-
        \${{ github.event_name == 'schedule' }}
    steps:
      - run: echo a
        if: >-
          \${{ github.event_name == 'schedule' }}
      - run: echo b
        if: |
          \${{ github.event_name == 'schedule' }}
      - run: echo c
        if: "\${{ github.event_name ==
          'schedule' }}"
`;

const host = {
  contexts: { github: { event_name: "push" } },
  status: { success: true, failure: false, cancelled: false },
};
const truthy = (expr: string) => Boolean(evaluate(expr, host));

async function conditions(text: string, parse = loadWorkflowText) {
  const wf = await parse(text, "ci.yml", "/x/ci.yml", "/x");
  expect(wf.diagnostics).toEqual([]);
  const job = wf.template!.jobs[0]!;
  const steps = (job as { steps: Step[] }).steps;
  return [job.if.expression, ...steps.map((s) => s.if!.expression)];
}

describe("multi-line if:", () => {
  for (const [name, parse] of [
    ["fast reader", loadWorkflowText],
    ["package reader", loadWithPackageParser],
  ] as const) {
    test(`block scalars are chomped and evaluated as on GitHub (${name})`, async () => {
      const [job, folded, literal, quoted] = await conditions(WORKFLOW, parse);
      expect(job).toBe("success() && (github.event_name == 'schedule')");
      expect(truthy(job!)).toBe(false);
      expect(truthy(folded!)).toBe(false);
      // `|` keeps its final line break: text around the expression, a non-empty string, true on GitHub.
      expect(truthy(literal!)).toBe(true);
      expect(truthy(quoted!)).toBe(false);
    });
  }

  test("a called workflow's multi-line if: too", async () => {
    const caller = "on: push\njobs:\n  call:\n    uses: ./called.yml\n";
    const wf = await loadWorkflowText(caller, "ci.yml", "/x/ci.yml", "/x", {
      files: { "./called.yml": WORKFLOW.replace("on: [push, schedule]", "on: workflow_call") },
    });
    expect(wf.diagnostics).toEqual([]);
    const called = (wf.template!.jobs[0] as unknown as { jobs: { if: { expression: string } }[] }).jobs[0]!;
    expect(truthy(called.if.expression)).toBe(false);
  });

  test("a composite action's step if: too", () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-if-"));
    writeFileSync(
      join(dir, "action.yml"),
      "name: a\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n      if: >-\n        ${{ github.event_name == 'schedule' }}\n",
    );
    const a = loadAction(dir, "./a");
    if (!a.ok) throw new Error(a.error);
    const runs = a.action.template.runs as { steps?: Step[] };
    expect(truthy(runs.steps![0]!.if!.expression)).toBe(false);
  });
});
