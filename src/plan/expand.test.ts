import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadWorkflowText } from "../workflow/load.js";
import { workflowNode } from "./build.js";
import { callOutputs, loadCallee, planCall } from "./callee.js";
import { expandNode, jobCondition } from "./expand.js";
import { isDeferred, type JobNode, type Legs, type WorkflowNode } from "./run-plan.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-expand-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const options = { platforms: {} };

async function nodeOf(text: string, file = ".github/workflows/ci.yml"): Promise<WorkflowNode> {
  const wf = await loadWorkflowText(text, file, join(dir, file), dir);
  expect(wf.diagnostics).toEqual([]);
  return workflowNode(
    {
      wf,
      template: wf.template!,
      contexts: { github: { event_name: "push" }, inputs: {}, vars: {} },
      secretNames: ["TOKEN", "GITHUB_TOKEN"],
      runnerEnv: {},
      extraEnv: {},
      keyPrefix: "",
      namePrefix: "",
      depth: 1,
    },
    options,
  );
}

const job = (n: WorkflowNode, id: string): JobNode => n.jobs.find((j) => j.id === id)!;
const names = (l: Legs) => l.legs.map((x) => x.name);

describe("planner API: what the plan defers, run time expands with the same code", () => {
  const CI = `on: push
jobs:
  gen:
    runs-on: ubuntu-latest
    outputs: { list: "\${{ steps.s.outputs.list }}" }
    steps: [{ id: s, run: echo }]
  fan:
    needs: gen
    name: "fan \${{ matrix.x }}"
    runs-on: ubuntu-latest
    strategy: { matrix: { x: "\${{ fromJSON(needs.gen.outputs.list) }}" } }
    steps: [{ run: echo }]
  fixed:
    runs-on: "\${{ matrix.os == 'mac' && 'macos-latest' || 'ubuntu-latest' }}"
    strategy: { matrix: { os: [linux, mac] } }
    steps: [{ run: echo }]
  gated:
    needs: gen
    if: needs.gen.outputs.list != '[]'
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
`;

  test("a matrix read from needs outputs is deferred, then expanded when they exist", async () => {
    const n = await nodeOf(CI);
    const fan = job(n, "fan");
    expect(isDeferred(fan.legs)).toBe(true);
    expect(fan.legs).toMatchObject({ deferred: expect.stringContaining("needs") });
    const x = expandNode(
      fan,
      { contexts: { ...n.contexts, needs: { gen: { result: "success", outputs: { list: '["a","b"]' } } } } },
      "",
      options,
    );
    expect(x.ok && names(x.legs)).toEqual(["fan a", "fan b"]);
    expect(x.ok && x.legs.legs.map((l) => l.key)).toEqual(["fan.1", "fan.2"]);
  });

  test("what needs nothing from the run is decided in the plan", async () => {
    const n = await nodeOf(CI);
    const fixed = job(n, "fixed").legs as Legs;
    expect(names(fixed)).toEqual(["fixed (linux)", "fixed (mac)"]);
    expect(fixed.legs.map((l) => l.decision)).toEqual([
      { run: true },
      { run: false, result: "skipped", reason: expect.stringContaining("runs-on") },
    ]);
  });

  test("if: reading needs is decided at run time, and says why a job is skipped", async () => {
    const n = await nodeOf(CI);
    const gated = job(n, "gated");
    const host = (list: string, result = "success") => ({
      contexts: { ...n.contexts, needs: { gen: { result, outputs: { list } } } },
      status: { success: result === "success", failure: result === "failure", cancelled: false },
    });
    expect(jobCondition(gated, host('["a"]'), ["success"])).toEqual({ ok: true, run: true });
    expect(jobCondition(gated, host("[]"), ["success"])).toEqual({
      ok: true,
      run: false,
      reason: `if: ${gated.if} was false`,
    });
    expect(jobCondition(gated, host('["a"]', "failure"), ["failure"])).toEqual({
      ok: true,
      run: false,
      reason: "needed job gen did not succeed",
    });
    const broken = { ...gated, if: "fromJSON('{')" };
    expect(jobCondition(broken, host("[]"), ["success"])).toMatchObject({ ok: false });
  });

  test("a reusable workflow's jobs are planned when it is called, under the caller's key and name", async () => {
    mkdirSync(join(dir, ".github/workflows"), { recursive: true });
    writeFileSync(
      join(dir, ".github/workflows/lib.yml"),
      `on:
  workflow_call:
    inputs: { n: { type: number } }
    secrets: { key: { required: true } }
    outputs: { out: { value: "\${{ jobs.inner.outputs.o }}" } }
jobs:
  inner:
    name: "inner \${{ inputs.n }}"
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
`,
    );
    const n = await nodeOf(`on: push
jobs:
  call:
    strategy: { matrix: { v: [1, 2] } }
    uses: ./.github/workflows/lib.yml
    with: { n: "\${{ matrix.v }}" }
    secrets: { key: "\${{ secrets.TOKEN }}" }
`);
    const call = job(n, "call");
    const legs = call.legs as Legs;
    expect(names(legs)).toEqual(["call (1)", "call (2)"]);
    const loaded = await loadCallee("./.github/workflows/lib.yml", n, dir);
    if (!loaded.ok) throw new Error(loaded.error);
    const leg = legs.legs[1]!;
    const host = {
      contexts: {
        ...n.contexts,
        secrets: { TOKEN: "t0p", GITHUB_TOKEN: "gh" },
        matrix: leg.matrix,
        strategy: leg.strategy,
      },
    };
    const planned = planCall(call, leg, n, loaded.callee, host, options);
    if (!planned.ok) throw new Error(planned.error);
    expect(planned.node.jobs.map((j) => j.key)).toEqual(["call.2.inner"]);
    expect(planned.node.namePrefix).toBe("call (2) / ");
    expect(planned.node.contexts.inputs).toEqual({ n: 2 });
    expect(planned.node.secretNames).toEqual(["key", "GITHUB_TOKEN"]);
    expect(JSON.stringify(planned.node)).not.toContain("t0p");
    expect(planned.secrets).toEqual({ key: "t0p", GITHUB_TOKEN: "gh" });
    expect(names(planned.node.jobs[0]!.legs as Legs)).toEqual(["call (2) / inner 2"]);
    expect(planned.node.depth).toBe(2);
    const out = callOutputs(planned.node, {}, { inner: { result: "success", outputs: { o: "x" } } });
    expect(out).toEqual({ outputs: { out: "x" }, errors: [] });
  });

  test("a callee outside the repository or too deep is an error of the calling job", async () => {
    const n = await nodeOf("on: push\njobs:\n  j:\n    runs-on: x\n    steps: [{ run: echo }]\n");
    expect(await loadCallee("./nope.yml", n, dir)).toMatchObject({
      ok: false,
      error: expect.stringContaining("not found"),
    });
    expect(await loadCallee("./x.yml", { ...n, depth: 10 }, dir)).toMatchObject({
      ok: false,
      error: "reusable workflows are nested deeper than 10 levels",
    });
  });
});
