// The scheduler state machine's own cost: the pure core alone (µs per transition and per
// job), the in-memory driver over a fake leg runner, and for scale the whole scheduler (the
// driver with the planner's ports) over a fake executor (which also runs runLeg: workspace,
// file commands, outputs).
// Usage: node bench/machine.mjs [--reps N]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { dagWorkflow, median } from "./common.mjs";

const ROOT = join(import.meta.dirname, "..");
const reps = Number(process.argv[process.argv.indexOf("--reps") + 1]) || 15;
const tmp = mkdtempSync(join(process.platform === "linux" ? "/dev/shm" : tmpdir(), "slipway-machine-"));

// TypeScript sources bundled once for plain Node.
const entry = `
export { initialState, step } from "./src/run/machine/core.ts";
export { drive } from "./src/run/machine/driver.ts";
export { runPlan } from "./src/run/scheduler.ts";
export { buildRunPlan } from "./src/plan/build.ts";
export { loadWorkflowText } from "./src/workflow/load.ts";
export { Masker } from "./src/run/mask.ts";
`;
const bundle = join(tmp, "machine.mjs");
await build({
  stdin: { contents: entry, resolveDir: ROOT, loader: "ts" },
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "esm",
  logLevel: "warning",
  // Some CommonJS dependencies require Node's built-ins.
  banner: {
    js: 'import { createRequire as __req } from "node:module"; const require = __req(import.meta.url);',
  },
});
const m = await import(pathToFileURL(bundle).href);

/** `stages` stages of `width` jobs, each needing every job of the stage before. */
function dagNodes(stages, width) {
  const nodes = [];
  for (let s = 0; s < stages; s++)
    for (let j = 0; j < width; j++)
      nodes.push({
        key: `s${s}j${j}`,
        id: `s${s}j${j}`,
        name: `s${s}j${j}`,
        needs: s ? Array.from({ length: width }, (_, k) => `s${s - 1}j${k}`) : [],
      });
  return nodes;
}

const one = (job) => ({
  type: "legs",
  legs: [{ key: job, name: job }],
  failFast: true,
  maxParallel: 1,
  continueOnError: false,
  isMatrix: false,
});
const matrix = (job, n) => ({
  type: "legs",
  legs: Array.from({ length: n }, (_, i) => ({ key: `${job}.${i + 1}`, name: `${job} (${i + 1})` })),
  failFast: true,
  maxParallel: n,
  continueOnError: false,
  isMatrix: true,
});

const scenarios = [
  {
    name: "50-job DAG (5 x 10)",
    jobs: 50,
    config: () => ({ maxJobs: 4, workflows: [{ workflow: "dag", nodes: dagNodes(5, 10) }] }),
    decide: one,
  },
  {
    name: "256-leg matrix",
    jobs: 256,
    config: () => ({ maxJobs: 4, workflows: [{ workflow: "m", nodes: dagNodes(1, 1) }] }),
    decide: (job) => matrix(job, 256),
  },
  {
    name: "2000-job fan-in (5 x 400)",
    jobs: 2000,
    config: () => ({ maxJobs: 4, workflows: [{ workflow: "fan", nodes: dagNodes(5, 400) }] }),
    decide: one,
  },
];

/** The core alone, answered synchronously: every leg finishes as soon as it starts. */
function coreOnly(s) {
  const state = m.initialState(s.config());
  const queue = [{ type: "start", time: 0 }];
  let transitions = 0;
  let result;
  for (let e = queue.shift(); e; e = queue.shift()) {
    transitions++;
    for (const c of m.step(state, e).commands) {
      if (c.type === "expand")
        queue.push({ type: "expanded", job: c.job, decision: s.decide(c.job), time: 1 });
      else if (c.type === "start-leg")
        queue.push({ type: "leg-finished", leg: c.leg, result: "success", outputs: {}, time: 2 });
      else if (c.type === "run-finished") result = c.result;
    }
  }
  if (result !== "success") throw new Error(`${s.name}: ${result}`);
  return transitions;
}

async function driver(s) {
  const r = await m.drive(s.config(), {
    expand: (job) => s.decide(job),
    collect: () => ({ result: "success", outputs: {} }),
    startLeg: async () => ({ result: "success", outputs: {} }),
    approve: async () => ({ approved: true, by: "bench" }),
    emit: () => {},
  });
  if (r !== "success") throw new Error(`${s.name}: ${r}`);
}

/** runPlan (the scheduler the CLI runs) and runLeg over an executor that runs nothing. */
const fakeExecutor = {
  name: "fake",
  async prepareJob() {
    const dir = mkdtempSync(join(tmp, "j"));
    return { workspace: dir, temp: dir, control: dir, toolCache: dir, processGroups: new Set() };
  },
  async spawn() {
    return { exitCode: 0, aborted: false };
  },
  async cleanupJob(space) {
    rmSync(space.control, { recursive: true, force: true });
  },
};

function matrixWorkflow(n) {
  return `on: push\njobs:\n  m:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        i: [${Array.from({ length: n }, (_, i) => i).join(", ")}]\n    steps:\n      - run: 'true'\n`;
}

const oldTexts = { "50-job DAG (5 x 10)": dagWorkflow(5, 10), "256-leg matrix": matrixWorkflow(256) };

async function wholeScheduler(text) {
  writeFileSync(join(tmp, "w.yml"), text);
  const wf = await m.loadWorkflowText(text, "w.yml", join(tmp, "w.yml"), tmp, {
    limits: { maxJobs: 10_000 },
  });
  const plan = m.buildRunPlan([{ wf, template: wf.template, contexts: { github: {} }, runnerEnv: {} }], {
    runId: "1",
    runNumber: 1,
    trigger: { event: "push", ref: "refs/heads/main", sha: "0".repeat(40), actor: "a", payload: {} },
    secretNames: [],
    errors: [],
    extraEnv: {},
    options: { platforms: { linux: "host" } },
  });
  const r = await m.runPlan(plan, {
    executor: fakeExecutor,
    masker: new m.Masker(),
    emit: () => {},
    maxJobs: 4,
    secrets: {},
    token: "",
    verbose: false,
    signal: new AbortController().signal,
    prepare: { repoRoot: tmp, bind: true, workRoot: tmp, toolCache: tmp },
  });
  if (r !== "success") throw new Error(`scheduler: ${r}`);
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e3;
}

const rows = [];
for (const s of scenarios) {
  const transitions = coreOnly(s);
  for (let i = 0; i < 3; i++) {
    coreOnly(s);
    await driver(s);
  }
  const core = [];
  const drv = [];
  for (let i = 0; i < reps; i++) {
    core.push(await timed(() => coreOnly(s)));
    drv.push(await timed(() => driver(s)));
  }
  const row = {
    scenario: s.name,
    transitions,
    "core µs/transition": (median(core) / transitions).toFixed(2),
    "core µs/job": (median(core) / s.jobs).toFixed(2),
    "driver µs/job": (median(drv) / s.jobs).toFixed(2),
  };
  const text = oldTexts[s.name];
  if (text) {
    await wholeScheduler(text);
    const whole = [];
    for (let i = 0; i < Math.min(reps, 7); i++) whole.push(await timed(() => wholeScheduler(text)));
    row["runPlan + runLeg µs/job"] = (median(whole) / s.jobs).toFixed(0);
  }
  rows.push(row);
}
console.table(rows);
rmSync(tmp, { recursive: true, force: true });
