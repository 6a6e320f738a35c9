// Job reuse: the 50-job DAG run cold (--no-reuse) vs re-run with unchanged inputs (every job
// reused), alternating in the same run; and what computing the keys costs per job on a
// repository of 5,000 files (the whole tree, and declared inputs matched against git ls-tree).
// Usage: npm run build && node bench/reuse.mjs [--reps N]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
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
  const r = spawnSync(process.execPath, [BIN, "run", "-C", dir, "--json", ...extra], {
    env: { ...process.env, CI: "true", SLIPWAY_DATABASE_URL: "" },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`run failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function dagRatio() {
  const dir = repo({ ".github/workflows/dag.yml": dagWorkflow(5, 10), ".gitignore": ".slipway/\n" });
  runOnce(dir, []); // the run whose jobs the others reuse (and warm file caches)
  const cold = [];
  const warm = [];
  for (let i = 0; i < reps; i++) {
    cold.push(time(() => runOnce(dir, ["--no-reuse"])));
    let reused = 0;
    warm.push(
      time(() => (reused = runOnce(dir, []).jobs.filter((j) => /^reused/.test(j.reason ?? "")).length)),
    );
    if (reused !== 50) throw new Error(`expected 50 reused jobs, got ${reused}`);
  }
  rmSync(dir, { recursive: true, force: true });
  // What any run costs (start, plan, run folder, history) without a job: the floor of both.
  const none = repo({
    ".github/workflows/none.yml":
      "on: push\njobs:\n  a:\n    if: false\n    runs-on: ubuntu-latest\n    steps: [{ run: echo }]\n",
  });
  const floor = [];
  for (let i = 0; i < reps; i++) floor.push(time(() => runOnce(none, [])));
  rmSync(none, { recursive: true, force: true });
  return { cold: median(cold), warm: median(warm), floor: median(floor) };
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
const d = dagRatio();
console.log(
  `50-job DAG: cold (--no-reuse) ${d.cold.toFixed(0)} ms, re-run with unchanged inputs (50 reused) ${d.warm.toFixed(0)} ms, ratio ${(d.warm / d.cold).toFixed(3)}× (goal ≤ 0.1×; median of ${reps})`,
);
console.log(
  `  a run without jobs costs ${d.floor.toFixed(0)} ms; per job beyond it: cold ${((d.cold - d.floor) / 50).toFixed(2)} ms, reused ${((d.warm - d.floor) / 50).toFixed(2)} ms (${((d.warm - d.floor) / (d.cold - d.floor)).toFixed(3)}×)`,
);
const k = keyCost();
console.log(
  `key per job, 5,000-file repository, 50 jobs: commit tree ${k.whole.toFixed(3)} ms, declared inputs (git ls-tree + picomatch) ${k.declared.toFixed(3)} ms (goal ≤ 2 ms)`,
);
