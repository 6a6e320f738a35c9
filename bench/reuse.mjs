// Job reuse: the 50-job DAG and the example pipeline run cold (--no-reuse) vs re-run with
// unchanged inputs (every job reused), alternating in the same run, as whole processes and
// inside the run (its own durationMs); and what computing the keys costs per job on a
// repository of 5,000 files (the whole tree, and declared inputs matched against git ls-tree).
// Usage: npm run build && node bench/reuse.mjs [--reps N]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { dagWorkflow, median, repo, time } from "./common.mjs";

const ROOT = join(import.meta.dirname, "..");
// The key's TypeScript sources bundled once for plain Node.
const tmp = mkdtempSync(join(tmpdir(), "slipway-reuse-"));
await build({
  stdin: {
    contents:
      'export { reuseKey } from "./src/run/reuse/key.ts"; export { RepoTree } from "./src/run/reuse/tree.ts";',
    resolveDir: ROOT,
    loader: "ts",
  },
  outfile: join(tmp, "reuse.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  logLevel: "warning",
});
const { reuseKey, RepoTree } = await import(pathToFileURL(join(tmp, "reuse.mjs")).href);
const BIN = join(ROOT, "bin/slipway.js");
const reps = Number(process.argv[process.argv.indexOf("--reps") + 1]) || 5;

function runOnce(dir, extra) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, "run", "-C", dir, "--json", ...extra], {
    env: { ...process.env, CI: "true", SLIPWAY_DATABASE_URL: "" },
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`run failed:\n${r.stderr}`);
  const out = JSON.parse(r.stdout);
  const reused = out.jobs.filter((j) => /^reused/.test(j.reason ?? "")).length;
  // What could be reused: legs that ran (not skipped ones, not a matrix's own row beside its legs).
  const keys = new Set(out.jobs.map((j) => j.job));
  const legs = out.jobs.filter((j) => j.result !== "skipped" && !keys.has(`${j.job}.1`)).length;
  // whole: the process as the user waits for it; inRun: the run's own durationMs (from its
  // first event to its last: without Node's start, loading and planning).
  return { whole: ms, inRun: out.durationMs, jobs: legs, reused };
}

/** Cold (--no-reuse) against re-run with unchanged inputs, alternating, in `dir`. */
function ratio(dir, extra) {
  runOnce(dir, extra); // the run whose jobs the others reuse (and warm file caches)
  const cold = [];
  const warm = [];
  for (let i = 0; i < reps; i++) {
    cold.push(runOnce(dir, [...extra, "--no-reuse"]));
    const w = runOnce(dir, extra);
    if (w.reused !== w.jobs) throw new Error(`expected ${w.jobs} reused jobs, got ${w.reused}`);
    warm.push(w);
  }
  const m = (xs, k) => median(xs.map((x) => x[k]));
  return {
    jobs: warm[0].jobs,
    cold: { whole: m(cold, "whole"), inRun: m(cold, "inRun") },
    warm: { whole: m(warm, "whole"), inRun: m(warm, "inRun") },
  };
}

function dagRatio() {
  const dir = repo({ ".github/workflows/dag.yml": dagWorkflow(5, 10), ".gitignore": ".slipway/\n" });
  const r = ratio(dir, []);
  rmSync(dir, { recursive: true, force: true });
  // What any run costs (start, plan, run folder, history) without a job: the floor of both.
  const none = repo({
    ".github/workflows/none.yml":
      "on: push\njobs:\n  a:\n    if: false\n    runs-on: ubuntu-latest\n    steps: [{ run: echo }]\n",
  });
  const floor = [];
  for (let i = 0; i < reps; i++) floor.push(runOnce(none, []).whole);
  rmSync(none, { recursive: true, force: true });
  return { ...r, floor: median(floor) };
}

/** examples/hello (the README's demo) in a fresh repository, with its secrets file. */
function exampleRatio() {
  const files = {};
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else files[`${rel}${e.name}`] = readFileSync(p, "utf8");
    }
  };
  walk(join(ROOT, "examples/hello"), "");
  const dir = repo({ ...files, ".gitignore": ".slipway/\n" });
  const r = ratio(dir, ["--secret-file", join(dir, ".secrets")]);
  rmSync(dir, { recursive: true, force: true });
  return r;
}

function keyCost(n = 5000, jobs = 50) {
  const files = {};
  for (let i = 0; i < n; i++)
    files[`src/m${Math.floor(i / 50)}/f${i % 50}.ts`] = `export const v${i} = ${i};\n`;
  const dir = repo(files);
  const sha = spawnSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).stdout.trim();
  const str = (value) => ({ type: "string", value });
  const assignment = (j) => ({
    key: `j${j}`,
    jobId: `j${j}`,
    name: `j${j}`,
    workflow: { file: ".github/workflows/ci.yml", name: "ci" },
    body: {
      type: "mapping",
      pairs: [[str("steps"), { type: "sequence", items: [str(`echo ${j} \${{ secrets.T }}`)] }]],
    },
    steps: [],
    contexts: {
      github: { run_id: "1", ref: "refs/heads/main", sha },
      needs: { a: { result: "success", outputs: { v: "1" } } },
    },
    secretNames: ["T"],
    secrets: { T: "value" },
    workflowEnv: {},
    runnerEnv: { CI: "true" },
    prepare: { repoRoot: dir, sha, bind: false, workRoot: "/tmp/w", toolCache: "/tmp/t" },
    runsOn: ["ubuntu-latest"],
    continueOnError: false,
    verbose: false,
  });
  const measure = (settings) => {
    const ms = [];
    for (let r = 0; r < reps; r++) {
      // A new tree per repetition: the one git call per run is counted, shared by its jobs.
      const tree = new RepoTree(dir);
      ms.push(
        time(() => {
          for (let j = 0; j < jobs; j++)
            reuseKey({
              assignment: assignment(j),
              secret: Buffer.alloc(32, 1),
              tree,
              settings: settings?.(j),
              event: { name: "push", payload: {} },
              platform: { os: "linux", arch: "x64", slipway: "0.1.0" },
            });
        }) / jobs,
      );
    }
    return median(ms);
  };
  const whole = measure(undefined);
  const declared = measure((j) => ({ inputs: [`src/m${j % 100}/**`, "package.json"] }));
  rmSync(dir, { recursive: true, force: true });
  return { whole, declared };
}

rmSync(tmp, { recursive: true, force: true });
const line = (name, r) => {
  const whole = r.warm.whole / r.cold.whole;
  const inRun = r.warm.inRun / r.cold.inRun;
  console.log(
    `${name} (${r.jobs} jobs, all reused): whole process ${r.warm.whole.toFixed(0)} / ${r.cold.whole.toFixed(0)} ms = ${whole.toFixed(3)}×; inside the run ${r.warm.inRun.toFixed(0)} / ${r.cold.inRun.toFixed(0)} ms = ${inRun.toFixed(3)}× (goal ≤ 0.1×; medians of ${reps})`,
  );
};
const d = dagRatio();
line("50-job DAG", d);
console.log(
  `  a run without jobs costs ${d.floor.toFixed(0)} ms (whole process); per job beyond it: cold ${((d.cold.whole - d.floor) / 50).toFixed(2)} ms, reused ${((d.warm.whole - d.floor) / 50).toFixed(2)} ms`,
);
line("example pipeline (examples/hello)", exampleRatio());
const k = keyCost();
console.log(
  `key per job, 5,000-file repository, 50 jobs: commit tree ${k.whole.toFixed(3)} ms, declared inputs (git ls-tree + picomatch) ${k.declared.toFixed(3)} ms (goal ≤ 2 ms)`,
);
