import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { buildRunPlan } from "../plan/build.js";
import type { RunPlan } from "../plan/run-plan.js";
import { loadWorkflowText } from "../workflow/load.js";
import type { Approver } from "./approval.js";
import type { RunEvent } from "./events.js";
import type { Executor, JobSpace, SpawnSpec } from "./executor/types.js";
import { Masker } from "./mask.js";
import { nodeSpecs, PlanPorts, runContexts } from "./ports.js";
import { runPlan } from "./scheduler.js";

// The ports on the planner's API, with a fake executor: what the machine asks is answered
// from the plan, and what runs is what a leg's assignment says.

const base = mkdtempSync(join(process.platform === "linux" ? "/dev/shm" : tmpdir(), "slipway-ports-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Runs no process: records each step's script by job; a step whose script says `wait` waits for its signal. */
class FakeExecutor implements Executor {
  readonly name = "fake";
  scripts: string[] = [];
  onSpawn?: (script: string) => void;
  async prepareJob(): Promise<JobSpace> {
    const dir = mkdtempSync(join(base, "j"));
    return { workspace: dir, temp: dir, control: dir, toolCache: dir, processGroups: new Set() };
  }
  async spawn(spec: SpawnSpec) {
    const script = readFileSync(spec.argv.at(-1)!, "utf8").trim();
    this.scripts.push(script);
    this.onSpawn?.(script);
    if (script === "wait" && !spec.signal.aborted)
      await new Promise((r) => spec.signal.addEventListener("abort", r, { once: true }));
    if (spec.signal.aborted) return { exitCode: 1, aborted: true };
    return { exitCode: script === "false" ? 1 : 0, aborted: false };
  }
  async cleanupJob(space: JobSpace) {
    rmSync(space.control, { recursive: true, force: true });
  }
}

/** The repository of the last plan made: a called workflow is read from it at run time. */
let lastRepo = base;

async function planOf(text: string, files: Record<string, string> = {}): Promise<RunPlan> {
  const repo = mkdtempSync(join(base, "repo-"));
  lastRepo = repo;
  mkdirSync(join(repo, ".github/workflows"), { recursive: true });
  for (const [name, body] of Object.entries(files))
    writeFileSync(join(repo, ".github/workflows", name), body);
  const file = ".github/workflows/ci.yml";
  writeFileSync(join(repo, file), text);
  const wf = await loadWorkflowText(text, file, join(repo, file), repo);
  expect(wf.diagnostics).toEqual([]);
  return buildRunPlan([{ wf, template: wf.template!, contexts: { github: {} }, runnerEnv: {} }], {
    runId: "1",
    runNumber: 1,
    trigger: { event: "push", ref: "refs/heads/main", sha: "0".repeat(40), actor: "a", payload: {} },
    secretNames: ["KEY"],
    errors: [],
    extraEnv: {},
    options: { platforms: { linux: "host" } },
  });
}

async function run(
  plan: RunPlan,
  o: { approver?: Approver; executor?: FakeExecutor; signal?: AbortSignal } = {},
) {
  const executor = o.executor ?? new FakeExecutor();
  const events: RunEvent[] = [];
  const masker = new Masker();
  masker.add("hunter2");
  const repo = lastRepo;
  const result = await runPlan(plan, {
    executor,
    masker,
    emit: (e) => events.push(e),
    maxJobs: 2,
    secrets: { KEY: "hunter2" },
    token: "",
    verbose: false,
    signal: o.signal ?? new AbortController().signal,
    prepare: { repoRoot: repo, bind: true, workRoot: base, toolCache: base },
    approver: o.approver,
  });
  const ends: Record<string, Extract<RunEvent, { type: "job-end" }>> = {};
  for (const e of events) if (e.type === "job-end") ends[e.job] = e;
  return { result, events, executor, ends };
}

describe("expand: a deferred matrix from needs outputs", () => {
  const CI = `on: push
jobs:
  gen:
    runs-on: ubuntu-latest
    outputs: { list: '["a","b","c"]' }
    steps: [{ run: 'true' }]
  fan:
    needs: gen
    runs-on: ubuntu-latest
    strategy: { matrix: { x: "\${{ fromJSON(needs.gen.outputs.list) }}" }, max-parallel: 2 }
    steps: [{ run: "echo \${{ matrix.x }} \${{ needs.gen.result }}" }]
`;

  test("the port answers the machine with the legs the planner expands from the outputs", async () => {
    const plan = await planOf(CI);
    const node = plan.workflows[0]!;
    const events: RunEvent[] = [];
    const ports = new PlanPorts({
      executor: new FakeExecutor(),
      masker: new Masker(),
      emit: (e) => events.push(e),
      verbose: false,
      prepare: { repoRoot: base, bind: true, workRoot: base, toolCache: base },
      options: plan.options,
    });
    ports.add({ node, contexts: runContexts(node, {}, ""), env: {} });
    const d = await ports.expand(
      "fan",
      { gen: { result: "success", outputs: { list: '["a","b","c"]' } } },
      { success: true, failure: false, cancelled: false },
    );
    expect(d).toEqual({
      type: "legs",
      legs: [
        { key: "fan.1", name: "fan (a)" },
        { key: "fan.2", name: "fan (b)" },
        { key: "fan.3", name: "fan (c)" },
      ],
      failFast: true,
      maxParallel: 2,
      continueOnError: false,
      isMatrix: true,
    });
    expect(events).toEqual([{ type: "plan-expanded", job: "fan", legs: ["fan (a)", "fan (b)", "fan (c)"] }]);
    expect(nodeSpecs(node).map((n) => [n.key, n.needs, n.prefetch ?? false])).toEqual([
      ["gen", [], false],
      ["fan", ["gen"], false],
    ]);
  });

  test("run through the machine, each leg gets its matrix value and the needs context", async () => {
    const r = await run(await planOf(CI));
    expect(r.result).toBe("success");
    expect(r.executor.scripts.filter((s) => s.startsWith("echo")).sort()).toEqual([
      "echo a success",
      "echo b success",
      "echo c success",
    ]);
    expect(r.ends.fan).toMatchObject({ result: "success" });
  });

  test("an if: that does not evaluate fails the job, said on stderr", async () => {
    const r = await run(
      await planOf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    if: fromJSON('{')
    steps: [{ run: 'true' }]
`),
    );
    expect(r.result).toBe("failure");
    expect(r.ends.a).toMatchObject({ result: "failure" });
    expect(r.events).toContainEqual(expect.objectContaining({ type: "log", job: "a", stream: "stderr" }));
    expect(r.executor.scripts).toEqual([]);
  });
});

describe("calls: a reusable workflow with outputs", () => {
  const CALLEE = `on:
  workflow_call:
    inputs: { who: { type: string, required: true } }
    secrets: { KEY: { required: true } }
    outputs: { greeting: { value: "\${{ jobs.hello.outputs.text }}" } }
jobs:
  hello:
    runs-on: ubuntu-latest
    outputs: { text: "hello \${{ inputs.who }}" }
    steps: [{ run: "echo \${{ inputs.who }} \${{ secrets.KEY }}" }]
`;
  const CI = `on: push
jobs:
  call:
    uses: ./.github/workflows/callee.yml
    with: { who: world }
    secrets: inherit
  after:
    needs: call
    runs-on: ubuntu-latest
    steps: [{ run: "echo \${{ needs.call.outputs.greeting }}" }]
`;

  test("the callee's jobs run under the caller's key; its outputs reach the caller's dependents", async () => {
    const plan = await planOf(CI, { "callee.yml": CALLEE });
    const r = await run(plan);
    expect(r.result).toBe("success");
    expect(r.ends["call.hello"]).toMatchObject({ result: "success", name: "call / hello" });
    expect(r.ends.call).toMatchObject({ result: "success", outputs: { greeting: "hello world" } });
    expect(r.executor.scripts).toContain("echo world hunter2");
    expect(r.executor.scripts).toContain("echo hello world");
    expect(r.events).toContainEqual({ type: "plan-expanded", job: "call", legs: ["call.hello"] });
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: "job-queued", job: "call.hello", name: "call / hello" }),
    );
  });

  test("a call whose with: does not evaluate fails the calling job only, naming the place", async () => {
    const plan = await planOf(CI.replace("{ who: world }", `{ who: "\${{ fromJSON('[') }}" }`), {
      "callee.yml": CALLEE,
    });
    const r = await run(plan);
    expect(r.result).toBe("failure");
    expect(r.ends.call?.result).toBe("failure");
    expect(r.ends.call?.reason).toMatch(/ci\.yml:4:11: job 'call': /);
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: "log", job: "call", stream: "stderr", text: r.ends.call?.reason }),
    );
    expect(r.ends.after).toMatchObject({ result: "skipped" });
    expect(r.executor.scripts).toEqual([]);
  });
});

describe("approve: decided outside the scheduler", () => {
  const DEPLOY = `on: push
jobs:
  staging:
    runs-on: ubuntu-latest
    environment: staging-hunter2
    steps: [{ run: 'true' }]
  production:
    runs-on: ubuntu-latest
    environment: { name: production, url: https://example.com }
    steps: [{ run: 'true' }]
`;

  test("granted runs the job and says who approved it; denied skips it with the planner's reason", async () => {
    const asked: { job: string; name: string; environment: string }[] = [];
    const approver: Approver = async (r, signal) => {
      asked.push(r);
      expect(signal?.aborted).toBe(false);
      return { approved: r.environment !== "production", by: "a reviewer" };
    };
    const r = await run(await planOf(DEPLOY), { approver });
    // The request is masked: a prompt is printed outside the event stream.
    expect(asked).toEqual([
      { job: "staging", name: "staging", environment: "staging-***" },
      { job: "production", name: "production", environment: "production" },
    ]);
    expect(r.ends.staging).toMatchObject({ result: "success" });
    expect(r.events).toContainEqual({
      type: "log",
      job: "staging",
      stream: "info",
      text: "environment 'staging-hunter2' approved by a reviewer",
    });
    expect(r.ends.production).toMatchObject({
      result: "skipped",
      reason: expect.stringContaining("--approve production"),
    });
    expect(r.result).toBe("success");
  });

  test("without an approver nobody approves and nothing deploys", async () => {
    const r = await run(await planOf(DEPLOY));
    expect(r.events.filter((e) => e.type === "approval-decided")).toEqual([
      expect.objectContaining({ approved: false, by: "nobody (no approver)" }),
      expect.objectContaining({ approved: false, by: "nobody (no approver)" }),
    ]);
    expect(r.executor.scripts).toEqual([]);
  });

  test("a question still open when the run is cancelled is withdrawn (its signal aborts)", async () => {
    const ac = new AbortController();
    const withdrawn: string[] = [];
    const approver: Approver = (r, signal) =>
      new Promise((resolve) => {
        signal?.addEventListener("abort", () => {
          withdrawn.push(r.job);
          resolve({ approved: true, by: "too late" });
        });
        if (r.job === "production") ac.abort();
      });
    const r = await run(await planOf(DEPLOY), { approver, signal: ac.signal });
    expect(r.result).toBe("cancelled");
    expect(withdrawn.sort()).toEqual(["production", "staging"]);
    expect(r.ends.staging).toMatchObject({ result: "cancelled", reason: "the run was cancelled" });
    expect(r.executor.scripts).toEqual([]);
  });
});

describe("cancel mid-run", () => {
  test("the running leg is stopped, waiting ones end cancelled, later jobs do not run", async () => {
    const plan = await planOf(`on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    steps: [{ run: wait }, { run: echo after }]
  matrix:
    runs-on: ubuntu-latest
    strategy: { matrix: { n: [1, 2, 3] }, max-parallel: 1 }
    steps: [{ run: wait }]
  next:
    needs: [slow, matrix]
    runs-on: ubuntu-latest
    steps: [{ run: echo next }]
`);
    const ac = new AbortController();
    const executor = new FakeExecutor();
    let waiting = 0;
    executor.onSpawn = (s) => {
      if (s === "wait" && ++waiting === 2) setTimeout(() => ac.abort(), 5);
    };
    const r = await run(plan, { executor, signal: ac.signal });
    expect(r.result).toBe("cancelled");
    expect(r.executor.scripts.filter((s) => s === "wait")).toHaveLength(2);
    expect(r.executor.scripts).not.toContain("echo after");
    expect(r.ends.slow).toMatchObject({ result: "cancelled" });
    expect(r.ends["matrix.1"]).toMatchObject({ result: "cancelled" });
    // Waiting for max-parallel: ends at once with the run's reason.
    expect(r.ends["matrix.2"]).toMatchObject({ result: "cancelled", reason: "the run was cancelled" });
    expect(r.ends.matrix).toMatchObject({ result: "cancelled" });
    expect(r.ends.next).toMatchObject({ result: "skipped" });
    expect(r.executor.scripts).not.toContain("echo next");
  });

  test("the driver records the machine's input events for a later resume", async () => {
    const plan = await planOf(`on: push
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: 'true' }] }
  b: { needs: a, runs-on: ubuntu-latest, steps: [{ run: 'true' }] }
`);
    const recorded: string[] = [];
    const executor = new FakeExecutor();
    const result = await runPlan(plan, {
      executor,
      masker: new Masker(),
      emit: () => {},
      maxJobs: 2,
      secrets: {},
      token: "",
      verbose: false,
      signal: new AbortController().signal,
      prepare: { repoRoot: base, bind: true, workRoot: base, toolCache: base },
      record: (e) => recorded.push(e.type),
    });
    expect(result).toBe("success");
    expect(recorded).toEqual(["start", "expanded", "leg-finished", "expanded", "leg-finished"]);
  });
});
