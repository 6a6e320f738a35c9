import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { buildRunPlan } from "../plan/build.js";
import { readPlan } from "../plan/plan-file.js";
import type { RunPlan } from "../plan/run-plan.js";
import { loadWorkflowText } from "../workflow/load.js";
import type { Approver } from "./approval.js";
import type { RunEvent } from "./events.js";
import type { Executor, JobSpace } from "./executor/types.js";
import { Masker } from "./mask.js";
import { runPlan } from "./scheduler.js";

const base = mkdtempSync(join(process.platform === "linux" ? "/dev/shm" : tmpdir(), "slipway-sched-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Runs no process: every step succeeds at once, so only the scheduler's own work is left. */
class FakeExecutor implements Executor {
  readonly name = "fake";
  spawns = 0;
  async prepareJob(): Promise<JobSpace> {
    const dir = mkdtempSync(join(base, "j"));
    return { workspace: dir, temp: dir, control: dir, toolCache: dir, processGroups: new Set() };
  }
  async spawn() {
    this.spawns++;
    return { exitCode: 0, aborted: false };
  }
  async cleanupJob(space: JobSpace) {
    rmSync(space.control, { recursive: true, force: true });
  }
}

/** `stages` stages of `width` jobs, each needing every job of the stage before. */
function fanIn(stages: number, width: number, failAt?: string): string {
  const lines = ["on: push", "jobs:"];
  for (let s = 0; s < stages; s++)
    for (let j = 0; j < width; j++) {
      const id = `s${s}j${j}`;
      lines.push(`  ${id}:`, "    runs-on: ubuntu-latest");
      if (s > 0)
        lines.push(`    needs: [${Array.from({ length: width }, (_, k) => `s${s - 1}j${k}`).join(", ")}]`);
      if (id === failAt) lines.push("    if: false");
      lines.push("    steps:", "      - run: 'true'");
    }
  return `${lines.join("\n")}\n`;
}

async function planOf(text: string): Promise<RunPlan> {
  const wf = await loadWorkflowText(text, "fan.yml", join(base, "fan.yml"), base, {
    limits: { maxJobs: 10_000 },
  });
  expect(wf.diagnostics).toEqual([]);
  return buildRunPlan([{ wf, template: wf.template!, contexts: { github: {} }, runnerEnv: {} }], {
    runId: "1",
    runNumber: 1,
    trigger: { event: "push", ref: "refs/heads/main", sha: "0".repeat(40), actor: "a", payload: {} },
    secretNames: [],
    errors: [],
    extraEnv: {},
    options: { platforms: { linux: "host" } },
  });
}

async function run(text: string | RunPlan, approver?: Approver) {
  const plan = typeof text === "string" ? await planOf(text) : text;
  const t = performance.now();
  const executor = new FakeExecutor();
  const events: RunEvent[] = [];
  const result = await runPlan(plan, {
    executor,
    masker: new Masker(),
    emit: (e) => events.push(e),
    maxJobs: 2,
    secrets: {},
    token: "",
    verbose: false,
    signal: new AbortController().signal,
    prepare: { repoRoot: base, bind: true, workRoot: base, toolCache: base },
    approver,
  });
  return { result, events, executor, ms: performance.now() - t };
}

describe("scheduler", () => {
  test("a wide fan-in graph (5 stages of 400, 640,000 needs edges) runs in time linear in its edges", async () => {
    const r = await run(fanIn(5, 400));
    expect(r.result).toBe("success");
    expect(r.executor.spawns).toBe(2000);
    // Walking every job's ancestors took seconds here (7 s for 5 x 300 on 2 busy cores, growing with the cube of the width); now about 1 s.
    expect(r.ms).toBeLessThan(8000);
  }, 60_000);

  test("a skipped job fails success() for everything after it, however far", async () => {
    const r = await run(fanIn(4, 3, "s1j1"));
    const ends = new Map(r.events.flatMap((e) => (e.type === "job-end" ? [[e.job, e.result]] : [])));
    expect(ends.get("s0j0")).toBe("success");
    expect(ends.get("s1j1")).toBe("skipped");
    expect(ends.get("s1j0")).toBe("success");
    expect(ends.get("s2j0")).toBe("skipped");
    expect(ends.get("s3j2")).toBe("skipped");
  });
});

describe("approvals are events, decided outside the scheduler", () => {
  const deploys = `on: push
jobs:
  staging:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: 'true'
  production:
    needs: staging
    runs-on: ubuntu-latest
    environment: { name: production, url: https://example.com }
    steps:
      - run: 'true'
`;
  test("each deployment is requested, then decided by whatever source the caller gives", async () => {
    const asked: string[] = [];
    // A source that answers later, as a person on a web page would.
    const approver: Approver = async (r) => {
      asked.push(`${r.job}:${r.environment}`);
      await new Promise((done) => setTimeout(done, 5));
      return { approved: r.environment === "staging", by: "a reviewer" };
    };
    const r = await run(deploys, approver);
    expect(asked).toEqual(["staging:staging", "production:production"]);
    const approvals = r.events.filter((e) => e.type.startsWith("approval-"));
    expect(approvals).toEqual([
      { type: "approval-requested", job: "staging", environment: "staging" },
      { type: "approval-decided", job: "staging", environment: "staging", approved: true, by: "a reviewer" },
      { type: "approval-requested", job: "production", environment: "production" },
      {
        type: "approval-decided",
        job: "production",
        environment: "production",
        approved: false,
        by: "a reviewer",
      },
    ]);
    const ends = new Map(r.events.flatMap((e) => (e.type === "job-end" ? [[e.job, e.result]] : [])));
    expect(ends.get("staging")).toBe("success");
    expect(ends.get("production")).toBe("skipped");
    expect(r.executor.spawns).toBe(1);
  });

  test("without an approver no deployment runs", async () => {
    const r = await run(deploys);
    expect(r.events.find((e) => e.type === "approval-decided")).toMatchObject({ approved: false });
    expect(r.executor.spawns).toBe(0);
  });
});

describe("the plan is the contract", () => {
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
    steps: [{ run: 'true' }, { run: 'false', if: "matrix.x == 'z'" }]
  fixed:
    name: "fixed \${{ matrix.n }}"
    runs-on: ubuntu-latest
    strategy: { matrix: { n: [1, 2] } }
    steps: [{ run: 'true' }]
  deploy:
    needs: [fan, fixed]
    runs-on: ubuntu-latest
    environment: prod
    steps: [{ run: 'true' }]
`;
  // Durations and the scheduler's interleaving differ from run to run; what happened does not.
  const happened = (events: RunEvent[]) =>
    events.map((e) => JSON.stringify({ ...e, durationMs: undefined })).sort();

  test("a plan read back from its JSON runs as the plan in memory does", async () => {
    const plan = await planOf(CI);
    const read = readPlan(JSON.stringify(plan), "p.json");
    if (!read.ok) throw new Error(read.error);
    const approve: Approver = async () => ({ approved: true, by: "test" });
    const live = await run(plan, approve);
    const revived = await run(read.plan, approve);
    expect(revived.result).toBe("success");
    expect(happened(revived.events)).toEqual(happened(live.events));
    expect(revived.executor.spawns).toBe(live.executor.spawns);
    expect(live.events).toContainEqual({
      type: "plan-expanded",
      job: "fan",
      legs: ["fan (a)", "fan (b)", "fan (c)"],
    });
  });
});
