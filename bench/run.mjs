// Engine overhead: slipway run vs the same commands as a sequential shell script,
// measured in the same run. Usage: npm run build && node bench/run.mjs [--reps N] [--write]
// --write puts the table in BENCHMARKS.md (engine section).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { dagWorkflow, median, repo, time } from "./common.mjs";
import { writeSection } from "./section.mjs";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/slipway.js");
const reps = Number(process.argv[process.argv.indexOf("--reps") + 1]) || 5;

function stepsWorkflow(n) {
  const lines = ["name: steps", "on: push", "jobs:", "  one:", "    runs-on: ubuntu-latest", "    steps:"];
  for (let i = 0; i < n; i++) lines.push(`      - run: echo step ${i}`);
  return `${lines.join("\n")}\n`;
}

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
    "50-job DAG (5x10), clean checkout, --no-sandbox",
    "dag.yml",
    dagWorkflow(5, 10),
    Array.from({ length: 50 }, (_, i) => `echo job ${i}`),
    50,
    "job",
    ["--no-sandbox"],
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
/** A repository of `n` files in folders of 50, like a mid-sized project (plus the workflow). */
function bigRepo(n, workflow) {
  const files = { ".github/workflows/dag.yml": workflow, ".gitignore": "*.log\nnode_modules/\n" };
  for (let i = 0; i < n - 2; i++)
    files[`src/m${Math.floor(i / 50)}/f${i % 50}.ts`] =
      `export const v${i} = ${i}; // ${"x".repeat(i % 400)}\n`;
  return repo(files);
}

/**
 * The 50-job DAG in a generated repository of `files` files, with a clean checkout per job
 * and with --bind, alternating in the same run: the ratio is what checking out costs.
 */
function benchRepo(files) {
  const dir = bigRepo(files, dagWorkflow(5, 10));
  const run = (extra) => () => {
    const r = spawnSync(process.execPath, [BIN, "run", "-C", dir, ...extra], {
      env: { ...process.env, CI: "true" },
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`big repo run failed:\n${r.stderr}`);
  };
  const clean = run([]);
  const bind = run(["--bind"]);
  // The first run checks the commit out into the job folders kept for later runs.
  const cold = time(clean);
  bind();
  const c = [];
  const b = [];
  for (let i = 0; i < reps; i++) {
    if (i % 2) {
      c.push(time(clean));
      b.push(time(bind));
    } else {
      b.push(time(bind));
      c.push(time(clean));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const ratios = c.map((x, i) => x / b[i]);
  return {
    files,
    cold,
    clean: median(c),
    bind: median(b),
    ratio: median(ratios),
    perJob: (median(c) - median(b)) / 50,
  };
}

/**
 * Start-up: from spawning `slipway run` to its first step's command running (the step writes
 * the wall clock to a file), one job in the generated repository on the host executor, against
 * Node starting and exiting with nothing to do, alternating in the same run.
 */
function benchStartup(files) {
  const stamp = join(mkdtempSync(join(tmpdir(), "slipway-stamp-")), "first");
  const wf = `on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n      - run: date +%s%N > ${stamp}\n`;
  const dir = bigRepo(files, wf);
  const env = { ...process.env, CI: "true" };
  const first = () => {
    const t0 = BigInt(Date.now()) * 1_000_000n;
    const r = spawnSync(process.execPath, [BIN, "run", "-C", dir, "--no-sandbox"], { env, stdio: "ignore" });
    if (r.status !== 0) throw new Error("start-up run failed");
    return Number(BigInt(readFileSync(stamp, "utf8").trim()) - t0) / 1e6;
  };
  const bare = () => time(() => spawnSync(process.execPath, ["-e", "0"], { stdio: "ignore" }));
  first(); // the job folders are made on the first run
  const s = [];
  const n = [];
  for (let i = 0; i < reps; i++) {
    s.push(first());
    n.push(bare());
  }
  rmSync(dir, { recursive: true, force: true });
  return { files, first: median(s), node: median(n) };
}

/** Peak resident memory of a process, polled from /proc while it runs. */
async function runWithPeak(args, env) {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let peak = 0;
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
  });
  const poll = setInterval(() => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]);
      if (kb > peak) peak = kb;
    } catch {}
  }, 20);
  const t = process.hrtime.bigint();
  const code = await new Promise((r) => child.on("exit", r));
  clearInterval(poll);
  if (code !== 0) throw new Error(`output run failed: ${err}`);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, peakMb: peak / 1024 };
}

/** A step that prints `mb` MB of 100-byte lines, and one that prints one line of `lineMb` MB. */
async function benchOutput(mb, lineMb) {
  const wf = [
    "on: push",
    "jobs:",
    "  lines:",
    "    runs-on: ubuntu-latest",
    "    steps:",
    `      - run: yes '${"x".repeat(99)}' | head -c ${mb * 1e6}`,
    "  line:",
    "    runs-on: ubuntu-latest",
    "    steps:",
    `      - run: head -c ${lineMb * 1e6} /dev/zero | tr '\\0' y; echo`,
  ].join("\n");
  const dir = repo({ ".github/workflows/out.yml": `${wf}\n` });
  const env = { ...process.env, CI: "true" };
  const lines = await runWithPeak([BIN, "run", "-C", dir, "--bind", "--job", "lines"], env);
  const line = await runWithPeak([BIN, "run", "-C", dir, "--bind", "--job", "line"], env);
  rmSync(dir, { recursive: true, force: true });
  return { mb, lineMb, lines, line };
}

const files = Number(process.argv[process.argv.indexOf("--files") + 1]) || 5000;
const big = benchRepo(files);
const startup = benchStartup(files);
const outMb = Number(process.argv[process.argv.indexOf("--output-mb") + 1]) || 1000;
const output = await benchOutput(outMb, 50);

const out = [
  `Node ${process.version}, ${availableParallelism()} cores, ${reps} repetitions each, medians; \`slipway run\` with its default \`--jobs\` (cores) and \`CI=true\` (plain output), from process start to exit. Rows without \`--no-sandbox\` use the default executor (the sandbox where it works; the run's first line says which).`,
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
  `The same 50-job DAG in a generated repository of ${big.files} files, each job in a clean checkout of the commit against \`--bind\` (the live tree), alternating in the same run (${reps} each, medians; ratio: median of the per-pair ratios):`,
  "",
  "| files | clean checkout | --bind | ratio | checkout cost | first run (folders made) |",
  "|---:|---:|---:|---:|---:|---:|",
  `| ${big.files} | ${big.clean.toFixed(0)} ms | ${big.bind.toFixed(0)} ms | ${big.ratio.toFixed(2)}x | ${big.perJob.toFixed(1)} ms/job | ${big.cold.toFixed(0)} ms |`,
  "",
  "Job folders (workspace, RUNNER_TEMP) are kept between runs per repository (in the cache folder, beside the tool cache) and reset from git between jobs; the first run of a repository checks the commit out into them.",
  "",
  "Goal (issue 9): within 2x of --bind; set-up at most 50 ms a job.",
  "",
  `Start-up (one job in the same ${startup.files}-file repository, host executor, job folders already made): the first step's command runs ${startup.first.toFixed(0)} ms after \`slipway run\` is started; Node itself starts and exits in ${startup.node.toFixed(0)} ms (${reps} each, alternating, medians).`,
  "",
  "Step output (one run each, `--bind`; peak resident memory of the slipway process, read from /proc every 20 ms; output goes to the run folder and to stdout, here /dev/null):",
  "",
  "| step prints | time | peak RSS |",
  "|---|---:|---:|",
  `| ${output.mb} MB in 100-byte lines | ${(output.lines.ms / 1000).toFixed(1)} s | ${output.lines.peakMb.toFixed(0)} MB |`,
  `| one ${output.lineMb} MB line | ${(output.line.ms / 1000).toFixed(1)} s | ${output.line.peakMb.toFixed(0)} MB |`,
  "",
  "Goal (issue 9): under 150 MB for 1 GB of output.",
  "",
  "Reproduce: `npm run build && node bench/run.mjs --reps 5 --write` (`--files N`: size of the generated repository; `--output-mb N`: size of the output case)",
];
console.log(out.join("\n"));
if (process.argv.includes("--write")) writeSection("engine", out.join("\n"));
