import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { buildRunPlan } from "../plan/build.js";
import type { Legs } from "../plan/run-plan.js";
import { loadWorkflowText } from "../workflow/load.js";
import { assignmentFor, type JobAssignment } from "./assignment.js";
import type { RunEvent } from "./events.js";
import type { Executor, JobSpace, SpawnSpec } from "./executor/types.js";
import { runLeg } from "./job.js";
import { Masker } from "./mask.js";

const base = mkdtempSync(join(tmpdir(), "slipway-job-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Runs no process: records each step's script and env, and succeeds. */
class FakeExecutor implements Executor {
  readonly name = "fake";
  scripts: string[] = [];
  envs: Record<string, string>[] = [];
  async prepareJob(): Promise<JobSpace> {
    // One folder for every run here, so that two runs' events name the same paths.
    const dir = join(base, "ws");
    mkdirSync(dir, { recursive: true });
    return { workspace: dir, temp: dir, control: dir, toolCache: dir, processGroups: new Set() };
  }
  async spawn(spec: SpawnSpec) {
    this.scripts.push(readFileSync(spec.argv.at(-1)!, "utf8"));
    this.envs.push(spec.env);
    return { exitCode: 0, aborted: false };
  }
  async cleanupJob(space: JobSpace) {
    rmSync(space.control, { recursive: true, force: true });
  }
}

/** The assignment the scheduler would make for the job's first leg. */
async function assignmentOf(text: string): Promise<JobAssignment> {
  const wf = await loadWorkflowText(text, ".github/workflows/ci.yml", join(base, "ci.yml"), base);
  expect(wf.diagnostics).toEqual([]);
  const plan = buildRunPlan(
    [{ wf, template: wf.template!, contexts: { github: {} }, runnerEnv: { CI: "true" } }],
    {
      runId: "1",
      runNumber: 1,
      trigger: { event: "push", ref: "refs/heads/main", sha: "0".repeat(40), actor: "a", payload: {} },
      secretNames: ["KEY"],
      errors: [],
      extraEnv: {},
      options: { platforms: {} },
    },
  );
  const node = plan.workflows[0]!;
  const job = node.jobs[0]!;
  const legs = job.legs as Legs;
  return assignmentFor(
    {
      job,
      leg: legs.legs[0]!,
      legs,
      workflow: node,
      contexts: { ...node.contexts, secrets: {} },
      needs: {},
      workflowEnv: { FROM_WORKFLOW: "w" },
    },
    { prepare: { repoRoot: base, bind: true, workRoot: base, toolCache: base }, verbose: false },
  );
}

const CI = `on: push
defaults: { run: { shell: sh } }
jobs:
  build:
    runs-on: ubuntu-latest
    strategy: { matrix: { v: [7] } }
    env: { J: "\${{ matrix.v }}" }
    outputs: { o: "\${{ steps.a.outcome }}" }
    steps:
      - id: a
        run: echo "v=\${{ matrix.v }} key=\${{ secrets.KEY }}"
      - if: matrix.v == 8
        run: echo never
      - run: echo nowhere
        working-directory: does-not-exist
        continue-on-error: true
      - run: echo last
`;

test("an assignment read back from JSON runs as the one in memory; secret values travel beside it", async () => {
  const a = await assignmentOf(CI);
  const run = async (assignment: JobAssignment) => {
    const executor = new FakeExecutor();
    const events: RunEvent[] = [];
    const masker = new Masker();
    masker.add("hunter2");
    const r = await runLeg(
      { ...assignment, secrets: { KEY: "hunter2" } },
      { executor, masker, emit: (e) => events.push(e), signal: new AbortController().signal },
    );
    return { r, executor, events };
  };
  const live = await run(a);
  const wire = JSON.stringify(a);
  expect(wire).not.toContain("hunter2");
  const revived = await run(JSON.parse(wire) as JobAssignment);
  for (const x of [live, revived]) {
    expect(x.r).toEqual({ result: "success", outputs: { o: "success" }, reason: undefined });
    expect(x.executor.scripts.map((s) => s.trim())).toEqual(['echo "v=7 key=hunter2"', "echo last"]);
    expect(x.executor.envs[0]).toMatchObject({ J: "7", FROM_WORKFLOW: "w", CI: "true" });
  }
  const shape = (events: RunEvent[]) => events.map((e) => ({ ...e, durationMs: undefined }));
  expect(shape(revived.events)).toEqual(shape(live.events));
  // Positions travel with the tokens: an error still points at the workflow's line and column.
  expect(revived.events).toContainEqual(
    expect.objectContaining({
      type: "annotation",
      annotation: expect.objectContaining({ file: ".github/workflows/ci.yml", line: 15, col: 28 }),
    }),
  );
});

test("a leg cancelled while its workspace is prepared runs no step and ends cancelled", async () => {
  const a = await assignmentOf(CI);
  const ac = new AbortController();
  // The cancel comes while prepareJob is still under way (a checkout, a container start).
  class Slow extends FakeExecutor {
    override async prepareJob(): Promise<JobSpace> {
      ac.abort();
      return super.prepareJob();
    }
  }
  const executor = new Slow();
  const r = await runLeg(a, { executor, masker: new Masker(), emit: () => {}, signal: ac.signal });
  expect(executor.scripts).toEqual([]);
  expect(r.result).toBe("cancelled");
});
