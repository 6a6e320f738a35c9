// Run history: what recording costs a run, and how fast `slipway history` answers on a big
// database, on SQLite and, when a server is given (SLIPWAY_BENCH_DATABASE_URL, else
// SLIPWAY_TEST_DATABASE_URL: a postgres:// URL whose user may create databases), on PostgreSQL
// in a database made for the bench and dropped after.
// Usage: npm run build && node bench/history.mjs [--reps N] [--runs N] [--write]
// --write puts the table in BENCHMARKS.md (history section).

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { dagWorkflow, median, repo, time } from "./common.mjs";
import { writeSection } from "./section.mjs";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/slipway.js");
const arg = (name, dflt) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const reps = arg("--reps", 7);
const runs = arg("--runs", 10_000);

const server = process.env.SLIPWAY_BENCH_DATABASE_URL || process.env.SLIPWAY_TEST_DATABASE_URL;

/**
 * 4 legs printing 25,000 lines each: 100,000 log events (on PostgreSQL each line is kept too,
 * for replicas on other machines). Run with --no-reuse: else history on would reuse the legs.
 */
const LOUD = `on: push
jobs:
  build:
    strategy:
      matrix:
        n: [1, 2, 3, 4]
    runs-on: ubuntu-latest
    steps:
      - run: seq 1 25000 | sed 's/^/a log line of a build, number /'
`;

/** A workflow (the 50-job DAG) with history on and off (SLIPWAY_HISTORY=0), alternating in the same run. */
function benchRecording(url = "", workflow = dagWorkflow(5, 10), jobs = 50, extra = []) {
  const dir = repo({ ".github/workflows/dag.yml": workflow });
  const run = (history) => () => {
    const r = spawnSync(process.execPath, [BIN, "run", "-C", dir, ...extra], {
      env: { ...process.env, CI: "true", SLIPWAY_HISTORY: history, SLIPWAY_DATABASE_URL: url },
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`DAG run failed:\n${r.stderr}`);
  };
  const on = run("1");
  const off = run("0");
  on();
  off();
  const a = [];
  const b = [];
  for (let i = 0; i < reps; i++) {
    if (i % 2) {
      a.push(time(on));
      b.push(time(off));
    } else {
      b.push(time(off));
      a.push(time(on));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const diffs = a.map((x, i) => x - b[i]);
  return { on: median(a), off: median(b), perJob: median(diffs) / jobs };
}

/** The recorder and the PostgreSQL layer, bundled from the sources as the CLI bundles them. */
async function loadRecorder() {
  const out = join(mkdtempSync(join(tmpdir(), "slipway-bench-rec-")), "recorder.cjs");
  await build({
    stdin: {
      contents: 'export { Recorder } from "./src/db/recorder.ts"; export { PgDb } from "./src/db/pg-db.ts";',
      resolveDir: ROOT,
    },
    outfile: out,
    bundle: true,
    platform: "node",
    format: "cjs",
    logLevel: "warning",
  });
  return createRequire(import.meta.url)(out);
}

/**
 * `runs` runs of 5 jobs x 3 steps each, recorded through the recorder as `slipway run` records
 * them, then `slipway history --limit 20` timed from process start to exit.
 */
async function benchListing(url) {
  const { Recorder } = await loadRecorder();
  const dir = repo({ ".github/workflows/ci.yml": "on: push\njobs: {}\n" });
  const t0 = Date.UTC(2026, 0, 1);
  const fill0 = process.hrtime.bigint();
  for (let n = 1; n <= runs; n++) {
    const start = t0 + n * 60_000;
    const rec = await Recorder.start(
      dir,
      {
        number: n,
        runId: `bench-${n}`,
        workflows: [".github/workflows/ci.yml"],
        event: "push",
        ref: n % 3 ? "refs/heads/main" : "refs/heads/feature",
        sha: n.toString(16).padStart(40, "0"),
        actor: "bench",
        startedAt: start,
        pid: process.pid,
        folder: `.slipway/runs/${n}`,
      },
      (m) => {
        throw new Error(m);
      },
      url,
    );
    let seq = 0;
    const on = (e) => {
      seq++;
      rec.on({ ...e, runId: `bench-${n}`, seq, time: start + seq * 5 });
    };
    on({ type: "run-start", runNumber: n, runId: `bench-${n}`, event: "push", workflows: ["ci.yml"] });
    for (let j = 0; j < 5; j++) {
      const job = `job${j}`;
      on({ type: "job-queued", job, name: job, workflow: ".github/workflows/ci.yml" });
      on({ type: "job-start", job, name: job });
      for (let s = 0; s < 3; s++) {
        on({ type: "step-start", job, step: s, name: `step ${s}` });
        on({ type: "log", job, step: s, stream: "stdout", text: `output of step ${s}` });
        const result = n % 17 === 0 && s === 2 ? "failure" : "success";
        on({
          type: "step-end",
          job,
          step: s,
          name: `step ${s}`,
          outcome: result,
          conclusion: result,
          durationMs: 4,
        });
      }
      on({ type: "job-end", job, name: job, result: "success", durationMs: 40, outputs: {} });
    }
    on({ type: "run-end", result: n % 17 === 0 ? "failure" : "success", durationMs: seq * 5 });
    await rec.close();
  }
  const fillMs = Number(process.hrtime.bigint() - fill0) / 1e6;
  const list = () => {
    const r = spawnSync(process.execPath, [BIN, "history", "-C", dir, "--limit", "20"], {
      encoding: "utf8",
      env: { ...process.env, SLIPWAY_DATABASE_URL: url ?? "" },
    });
    if (r.status !== 0 || r.stdout.split("\n").length < 21) throw new Error(`history failed:\n${r.stderr}`);
  };
  const version = () => spawnSync(process.execPath, [BIN, "--version"], { stdio: "ignore" });
  list();
  const l = [];
  const v = [];
  for (let i = 0; i < reps; i++) {
    l.push(time(list));
    v.push(time(version));
  }
  rmSync(dir, { recursive: true, force: true });
  return { fillMs, list: median(l), version: median(v) };
}

/** A database of its own on the server, dropped after `fn`. */
async function onServer(fn) {
  const { PgDb } = await loadRecorder();
  const name = `slipway_bench_${randomBytes(6).toString("hex")}`;
  const admin = await PgDb.connect(server, "");
  await admin.exec(`CREATE DATABASE ${name}`);
  const u = new URL(server);
  u.pathname = `/${name}`;
  try {
    return await fn(u.toString());
  } finally {
    await admin.exec(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.close();
  }
}

const f = (x) => x.toFixed(1);
const rows = (backend, rec, listing, loud) => [
  `| ${backend}: 50-job DAG (5x10), history on vs SLIPWAY_HISTORY=0, alternating | ${f(rec.on)} ms | ${f(rec.off)} ms | ${f(rec.perJob)} ms/job |`,
  `| ${backend}: 100,000 log lines (4 legs x 25,000), history on vs off${backend === "PostgreSQL" ? " (with the lines kept for replicas)" : ""} | ${f(loud.on)} ms | ${f(loud.off)} ms | x${(loud.on / loud.off).toFixed(2)} |`,
  `| ${backend}: \`slipway history --limit 20\` on ${runs.toLocaleString("en")} recorded runs (5 jobs x 3 steps each) | ${f(listing.list)} ms | \`slipway --version\`: ${f(listing.version)} ms | filling them through the recorder: ${f(listing.fillMs / 1000)} s |`,
];
const table = rows(
  "SQLite",
  benchRecording(),
  await benchListing(),
  benchRecording("", LOUD, 4, ["--no-reuse"]),
);
let version = "";
if (server) {
  const pg = await onServer(async (url) => [
    benchRecording(url),
    await benchListing(url),
    benchRecording(url, LOUD, 4, ["--no-reuse"]),
  ]);
  table.push(...rows("PostgreSQL", ...pg));
  const { PgDb } = await loadRecorder();
  const db = await PgDb.connect(server, "");
  version = `, PostgreSQL ${(await db.get("SHOW server_version")).server_version} on loopback`;
  await db.close();
}
const out = [
  `Node ${process.version}, ${availableParallelism()} cores${version}, ${reps} repetitions each, medians, from process start to exit.`,
  "",
  "| What | With | Without | Cost |",
  "|---|---|---|---|",
  ...table,
].join("\n");
console.log(out);
if (process.argv.includes("--write")) writeSection("history", out);
