// The dashboard with 10,000 runs stored: the server time of its pages (the Server-Timing the
// page sends: from the request reaching the dashboard to the page being masked and written),
// and the time a client waits on loopback. Runs are recorded through the recorder as
// `slipway run` records them (5 jobs, one a 2-leg matrix, 2 steps each); one run has a
// 5,000-line job log in its run folder for the job page.
// Usage: npm run build && node bench/dashboard.mjs [--runs N] [--reps N] [--write]
// --write puts the table in BENCHMARKS.md (dashboard section).

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { repo } from "./common.mjs";
import { writeSection } from "./section.mjs";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/slipway.js");
const arg = (name, dflt) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const runs = arg("--runs", 10_000);
const reps = arg("--reps", 50);

async function loadRecorder() {
  const out = join(mkdtempSync(join(tmpdir(), "slipway-bench-dash-")), "recorder.cjs");
  await build({
    stdin: { contents: 'export { Recorder } from "./src/db/recorder.ts";', resolveDir: ROOT },
    outfile: out,
    bundle: true,
    platform: "node",
    format: "cjs",
    logLevel: "warning",
  });
  return createRequire(import.meta.url)(out);
}

const JOBS = [["lint"], ["build.1", "build.2"], ["test"], ["deploy"]];
const ACTORS = ["alice", "bob", "carol", "dependabot[bot]"];

async function fill(dir) {
  const { Recorder } = await loadRecorder();
  const t0 = Date.UTC(2026, 0, 1);
  for (let n = 1; n <= runs; n++) {
    const start = t0 + n * 60_000;
    const event = n % 10 === 0 ? "workflow_dispatch" : n % 4 === 0 ? "pull_request" : "push";
    const rec = await Recorder.start(
      dir,
      {
        number: n,
        runId: `bench-${n}`,
        workflows: [".github/workflows/ci.yml"],
        event,
        ref: n % 3 ? "refs/heads/main" : `refs/heads/feature-${n % 50}`,
        sha: n.toString(16).padStart(40, "0"),
        actor: ACTORS[n % ACTORS.length],
        startedAt: start,
        pid: process.pid,
        folder: `.slipway/runs/${n}`,
      },
      (m) => {
        throw new Error(m);
      },
      "",
    );
    let seq = 0;
    const events = [];
    const on = (e) => {
      seq++;
      const s = { ...e, runId: `bench-${n}`, seq, time: start + seq * 5 };
      if (n === runs) events.push(s);
      rec.on(s);
    };
    const failed = n % 17 === 0;
    on({ type: "run-start", runNumber: n, runId: `bench-${n}`, event, workflows: ["ci.yml"] });
    for (const stage of JOBS)
      for (const job of stage) {
        on({ type: "job-queued", job, name: job, workflow: ".github/workflows/ci.yml" });
        on({ type: "job-start", job, name: job });
        for (let s = 0; s < 2; s++) {
          on({ type: "step-start", job, step: s, name: `step ${s}` });
          const lines = n === runs && job === "test" && s === 1 ? 5000 : 1;
          for (let i = 0; i < lines; i++) {
            if (i % 100 === 0 && lines > 1) on({ type: "group", job, step: s, title: `part ${i / 100}` });
            on({
              type: "log",
              job,
              step: s,
              stream: "stdout",
              text: `\x1b[32mok\x1b[0m line ${i} of step ${s}`,
            });
          }
          const result = failed && job === "test" && s === 1 ? "failure" : "success";
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
        const result = failed && job === "test" ? "failure" : "success";
        on({ type: "job-end", job, name: job, result, durationMs: 40, outputs: {} });
      }
    on({ type: "run-end", result: failed ? "failure" : "success", durationMs: seq * 5 });
    await rec.close();
    if (n === runs) {
      const folder = join(dir, ".slipway", "runs", String(n));
      mkdirSync(join(folder, "logs"), { recursive: true });
      writeFileSync(join(folder, "events.jsonl"), events.map((e) => `${JSON.stringify(e)}\n`).join(""));
    }
  }
}

async function serve(dir) {
  const p = spawn(process.execPath, [BIN, "serve", "--port", "0", "-C", dir, "--no-sandbox"], {
    env: { ...process.env, CI: "true", SLIPWAY_DATABASE_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  p.stdout.on("data", (d) => {
    out += d;
  });
  p.stderr.on("data", (d) => {
    out += d;
  });
  const end = Date.now() + 20_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) return { p, url: m[1] };
    if (Date.now() > end) throw new Error(`serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

async function measure(url, path) {
  const server = [];
  const client = [];
  for (let i = 0; i < reps + 3; i++) {
    const t = performance.now();
    const r = await fetch(`${url}${path}`);
    await r.text();
    if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    if (i < 3) continue; // warm-up
    client.push(performance.now() - t);
    server.push(Number(/dur=([\d.]+)/.exec(r.headers.get("server-timing") ?? "")?.[1]));
  }
  return { server, client };
}

const dir = repo({
  ".github/workflows/ci.yml": `on:
  push:
  workflow_dispatch:
    inputs:
      level: { type: choice, options: [low, high], required: true }
      dry: { type: boolean }
      target: { type: environment }
jobs:
  deploy: { runs-on: ubuntu-latest, environment: staging, steps: [{ run: "true" }] }
`,
});
const f0 = performance.now();
await fill(dir);
const fillS = (performance.now() - f0) / 1000;
const { p, url } = await serve(dir);
const pages = [
  ["runs list, newest 50", "/"],
  ["runs list, a page deep in the history (keyset)", `/?before=${Math.floor(runs / 2)}`],
  ["runs list filtered by branch and result", "/?branch=main&result=failure"],
  ["runs list filtered by an actor no run has (every run read)", "/?actor=nobody"],
  ["run page (5 jobs, a matrix)", `/runs/${runs}`],
  ["job page with a 5,000-line log in 50 groups", `/runs/${runs}/jobs/test`],
  ["workflows (each with its latest run)", "/workflows"],
  ["a workflow: its dispatch form and latest 25 runs", "/workflows/ci.yml"],
  ["queue and agents, with the utilisation line", "/queue"],
  ["sign-in page", "/signin"],
];
const rows = [];
try {
  for (const [what, path] of pages) {
    const m = await measure(url, path);
    const fx = (x) => x.toFixed(1);
    rows.push(
      `| ${what} | ${fx(pct(m.server, 0.5))} ms | ${fx(pct(m.server, 0.95))} ms | ${fx(pct(m.client, 0.5))} ms |`,
    );
  }
} finally {
  p.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
const out = [
  `Node ${process.version}, ${availableParallelism()} cores, SQLite, ${runs.toLocaleString("en")} runs stored (filled through the recorder in ${fillS.toFixed(0)} s), ${reps} requests each after 3 warm-ups, one at a time. Server time: the page's Server-Timing (from the request reaching the dashboard to the page written, database opened and read included).`,
  "",
  "| Page | server p50 | server p95 | client on loopback p50 |",
  "|---|---|---|---|",
  ...rows,
].join("\n");
console.log(out);
if (process.argv.includes("--write")) writeSection("dashboard", out);
