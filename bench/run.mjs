// Engine overhead: slipway run vs the same commands as a sequential shell script,
// measured in the same run. Usage: npm run build && node bench/run.mjs [--reps N] [--write]
// --write puts the table in BENCHMARKS.md (engine section).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { writeSection } from "./section.mjs";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/slipway.js");
const reps = Number(process.argv[process.argv.indexOf("--reps") + 1]) || 5;

function dagWorkflow(stages, width) {
  const lines = ["name: dag", "on: push", "jobs:"];
  for (let s = 0; s < stages; s++)
    for (let j = 0; j < width; j++) {
      lines.push(`  s${s}j${j}:`, "    runs-on: ubuntu-latest");
      if (s > 0)
        lines.push(`    needs: [${Array.from({ length: width }, (_, k) => `s${s - 1}j${k}`).join(", ")}]`);
      lines.push("    steps:", `      - run: echo stage ${s} job ${j}`);
    }
  return `${lines.join("\n")}\n`;
}

function stepsWorkflow(n) {
  const lines = ["name: steps", "on: push", "jobs:", "  one:", "    runs-on: ubuntu-latest", "    steps:"];
  for (let i = 0; i < n; i++) lines.push(`      - run: echo step ${i}`);
  return `${lines.join("\n")}\n`;
}

function repo(files) {
  const dir = mkdtempSync(join(tmpdir(), "slipway-bench-"));
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  const git = (...a) => execFileSync("git", a, { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.name=b", "-c", "user.email=b@b", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "b");
  return dir;
}

function time(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The baseline: each step's command run by bash -e from a script file, one after another. */
function shellBaseline(dir, commands) {
  const script = join(dir, "baseline.sh");
  writeFileSync(
    script,
    commands.map((c, i) => `printf '%s\\n' '${c}' > "$T/s${i}.sh"; bash -e "$T/s${i}.sh"`).join("\n"),
  );
  return () => spawnSync("bash", [script], { env: { ...process.env, T: dir }, stdio: "ignore" });
}

function bench(name, file, text, commands, units, unitName, extra = []) {
  const dir = repo({ [`.github/workflows/${file}`]: text });
  const baseline = shellBaseline(mkdtempSync(join(tmpdir(), "slipway-base-")), commands);
  const slip = () => {
    const r = spawnSync(process.execPath, [BIN, "run", "-C", dir, ...extra], {
      env: { ...process.env, CI: "true" },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`${name} failed:\n${r.stdout}\n${r.stderr}`);
  };
  slip(); // warm file caches
  const s = [];
  const b = [];
  for (let i = 0; i < reps; i++) {
    b.push(time(baseline));
    s.push(time(slip));
  }
  rmSync(dir, { recursive: true, force: true });
  const ms = median(s);
  const base = median(b);
  return {
    name,
    slipwayMs: ms,
    shellMs: base,
    ratio: ms / base,
    overheadPerUnit: (ms - base) / units,
    unitName,
  };
}

const rows = [
  bench(
    "50-job DAG (5x10), clean checkout",
    "dag.yml",
    dagWorkflow(5, 10),
    Array.from({ length: 50 }, (_, i) => `echo job ${i}`),
    50,
    "job",
  ),
  bench(
    "50-job DAG (5x10), --bind",
    "dag.yml",
    dagWorkflow(5, 10),
    Array.from({ length: 50 }, (_, i) => `echo job ${i}`),
    50,
    "job",
    ["--bind"],
  ),
  bench(
    "1 job x 200 steps",
    "steps.yml",
    stepsWorkflow(200),
    Array.from({ length: 200 }, (_, i) => `echo step ${i}`),
    200,
    "step",
  ),
];
const out = [
  `Node ${process.version}, ${availableParallelism()} cores, ${reps} repetitions each, medians; \`slipway run\` with its default \`--jobs\` (cores) and \`CI=true\` (plain output), from process start to exit.`,
  "The baseline runs every step's command from its own script file with `bash -e`, one after another, in the same bench run.",
  "",
  "| case | slipway run | same commands in bash | ratio | overhead |",
  "|---|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.slipwayMs.toFixed(0)} ms | ${r.shellMs.toFixed(0)} ms | ${r.ratio.toFixed(2)}x | ${r.overheadPerUnit.toFixed(1)} ms/${r.unitName} |`,
  ),
  "",
  "Goal (issue 2): at most 15 ms per job and 5 ms per step over the commands themselves. Overhead includes Node start-up and loading the workflow (about 150 ms, once per run).",
  "",
  "Reproduce: `npm run build && node bench/run.mjs --reps 5 --write`",
];
console.log(out.join("\n"));
if (process.argv.includes("--write")) writeSection("engine", out.join("\n"));
