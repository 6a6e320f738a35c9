// The DORA computation with 1,000 deployments stored (goal: ≤ 100 ms): 1,000 deployments to
// production over 90 days (one in 20 failing its health check and rolled back, one in 25
// followed by a fix-forward), 50 incidents, and 5,000 commits in a real git repository (made
// with git fast-import), five per deployment. Measured: the figures of every environment for
// 7, 30 and 90 days from the stored records (commits per deployment already known), against
// the baseline of only parsing those stored records (JSON) in the same run; and the first
// computation through git (the commit graph read with one git log, the server's cold case),
// then the same again with the graph in memory (the server's steady state). Last, the /dora
// page as the server renders it (figures, pipeline trends and incidents read from a history
// of --runs runs over the 90 days, 4 jobs each; the page's HTML), against the dashboard's
// 200 ms goal.
// Usage: node bench/dora.mjs [--reps N] [--deployments N] [--runs N] [--write]
// --write puts the table in BENCHMARKS.md (dora section).

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { median } from "./common.mjs";
import { writeSection } from "./section.mjs";

const ROOT = join(import.meta.dirname, "..");
const arg = (name, dflt) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const reps = arg("--reps", 21);
const count = arg("--deployments", 1000);
const runs = arg("--runs", 10_000);
const PER = 5;
const GOAL_MS = 100;
const DAY = 86_400_000;

async function load() {
  const out = join(mkdtempSync(join(tmpdir(), "slipway-bench-dora-")), "dora.cjs");
  await build({
    stdin: {
      contents:
        'export { doraByEnvironment } from "./src/metrics/dora.ts"; export { GitCommits } from "./src/metrics/git-commits.ts"; export { MetricsService, historyAccess } from "./src/metrics/service.ts"; export { cdTables } from "./src/metrics/cd-source.ts"; export { doraPageFor } from "./src/metrics/dora-page.ts"; export { openHistory } from "./src/db/open.ts"; export * from "./src/db/writes.ts"; export { insertDeployment } from "./src/cd/store.ts"; export { openIncident } from "./src/metrics/incidents.ts";',
      resolveDir: ROOT,
    },
    outfile: out,
    bundle: true,
    platform: "node",
    format: "cjs",
    logLevel: "warning",
    // As scripts/build.mjs: modules that build a require from import.meta.url get this file's.
    define: { "import.meta.url": "__slipwayUrl" },
    alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" },
    banner: { js: 'const __slipwayUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
  return createRequire(import.meta.url)(out);
}

/** A repository of count × PER commits on main, one a minute or so, written by git fast-import. */
function gitRepo(now) {
  const dir = mkdtempSync(join(tmpdir(), "slipway-bench-dora-git-"));
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: dir });
  const t0 = Math.floor((now - 91 * DAY) / 1000);
  const step = Math.floor((90 * 86_400) / (count * PER));
  const lines = [];
  for (let i = 1; i <= count * PER; i++) {
    const when = `${t0 + i * step} +0000`;
    const msg = `change ${i}`;
    lines.push(
      "commit refs/heads/main",
      `mark :${i}`,
      `committer Bench <b@b> ${when}`,
      `data ${Buffer.byteLength(msg)}`,
      msg,
      ...(i > 1 ? [`from :${i - 1}`] : []),
      `M 644 inline f${i % 50}.txt`,
      `data ${String(i).length}`,
      String(i),
      "",
    );
  }
  execFileSync("git", ["fast-import", "--quiet", "--export-marks=marks"], {
    cwd: dir,
    input: `${lines.join("\n")}\n`,
  });
  const marks = new Map();
  for (const l of execFileSync("cat", ["marks"], { cwd: dir, encoding: "utf8" }).trim().split("\n")) {
    const [m, sha] = l.split(" ");
    marks.set(Number(m.slice(1)), sha);
  }
  const times = new Map(
    execFileSync("git", ["log", "--format=%H %ct", "main"], {
      cwd: dir,
      encoding: "utf8",
      maxBuffer: 1 << 26,
    })
      .trim()
      .split("\n")
      .map((l) => {
        const [sha, t] = l.split(" ");
        return [sha, Number(t) * 1000];
      }),
  );
  return { dir, marks, times };
}

/** The deployments (each deploying its fifth commit) and incidents, as a CD table stores them. */
function history(now, marks, times) {
  const deployments = [];
  const commits = new Map();
  let id = 0;
  for (let k = 1; k <= count; k++) {
    const sha = marks.get(k * PER);
    const at = times.get(sha) + 45 * 60_000;
    const failing = k % 20 === 0;
    deployments.push({
      id: ++id,
      repo: "",
      environment: "production",
      sha,
      ref: "refs/heads/main",
      run: id,
      job: "deploy",
      attempt: 1,
      approvedBy: [],
      startedAt: at - 120_000,
      finishedAt: at,
      status: failing ? "rolled_back" : "inactive",
      kind: k % 25 === 0 ? "fix" : "deploy",
      ...(failing ? { failedAt: at + 60_000 } : {}),
    });
    commits.set(
      id,
      Array.from({ length: PER }, (_, j) => {
        const c = marks.get((k - 1) * PER + j + 1);
        return { sha: c, time: times.get(c) };
      }),
    );
    if (failing) {
      // The rollback to the one before, ten minutes later.
      const prev = deployments[deployments.length - 2] ?? deployments[0];
      deployments.push({
        ...prev,
        id: ++id,
        run: id,
        kind: "rollback",
        rollbackOf: prev.id,
        status: "inactive",
        startedAt: at + 9 * 60_000,
        finishedAt: at + 10 * 60_000,
      });
      delete deployments[deployments.length - 1].failedAt;
    }
  }
  const incidents = Array.from({ length: 50 }, (_, i) => ({
    id: i + 1,
    repo: "",
    environment: "production",
    reason: "page",
    openedAt: now - (i + 1) * 1.7 * DAY,
    ...(i % 5 ? { closedAt: now - (i + 1) * 1.7 * DAY + 3_600_000 } : {}),
  }));
  return { deployments, commits, incidents };
}

/** `runs` runs over the last 90 days: lint, build, test, deploy; one in 12 fails its test, then passes on the same commit. */
async function fillRuns(m, dir, now) {
  const db = await m.openHistory(dir, true);
  const jobs = ["lint", "build", "test", "deploy"];
  for (let n = 1; n <= runs; n++) {
    const at = now - 90 * DAY + Math.floor((n * 90 * DAY) / (runs + 1));
    const flaky = n % 12 === 0;
    const sha = (flaky ? n - 1 : n).toString(16).padStart(40, "0");
    const run = await m.insertRun(db, {
      number: n,
      runId: `r${n}`,
      workflows: [".github/workflows/ci.yml"],
      event: "push",
      ref: "refs/heads/main",
      sha,
      actor: "alice",
      startedAt: at,
      pid: process.pid,
      folder: `.slipway/runs/${n}`,
    });
    const st = [];
    jobs.forEach((j, i) => {
      const result = flaky && j === "test" ? "failure" : "success";
      st.push(
        m.upsertJob(run, j, j, "CI"),
        m.startJob(run, j, at + i * 30_000),
        m.endJob(run, j, { result, outputs: {}, endedAt: at + i * 30_000 + 25_000, durationMs: 25_000 }),
      );
    });
    st.push(m.endRun(run, flaky ? "failure" : "success", at + 120_000));
    await db.batch(st);
  }
  await db.close();
}

/** The deployments and incidents stored as the environments code stores them (cd_deployments, cd_incidents). */
async function storeCd(m, dir, h) {
  const db = await m.openHistory(dir, true);
  const ids = new Map();
  await db.transaction(async () => {
    for (const d of h.deployments) {
      const { id, repo, rollbackOf, ...rest } = d;
      ids.set(
        id,
        await m.insertDeployment(db, {
          ...rest,
          jobId: d.job,
          workflow: "CI",
          ...(rollbackOf !== undefined ? { rollbackOf: ids.get(rollbackOf) } : {}),
        }),
      );
    }
    for (const i of h.incidents) {
      const x = await m.openIncident(db, { environment: i.environment, reason: i.reason }, i.openedAt);
      if (i.closedAt) await db.run("UPDATE cd_incidents SET closed_at = ? WHERE id = ?", [i.closedAt, x.id]);
    }
  });
  await db.close();
}

const now = Date.now();
const mods = await load();
const { doraByEnvironment, GitCommits } = mods;
const g0 = performance.now();
const { dir, marks, times } = gitRepo(now);
const gitS = (performance.now() - g0) / 1000;
const h = history(now, marks, times);
const stored = JSON.stringify({
  deployments: h.deployments,
  incidents: h.incidents,
  commits: [...h.commits],
});

const all = (input) => [7, 30, 90].map((days) => doraByEnvironment({ ...input, days, now }));
const time = (fn) => {
  const xs = [];
  for (let i = 0; i < reps + 2; i++) {
    const t = performance.now();
    fn();
    if (i >= 2) xs.push(performance.now() - t);
  }
  return median(xs);
};

let figures;
const parseMs = time(() => JSON.parse(stored));
const storedMs = time(() => {
  const s = JSON.parse(stored);
  const byId = new Map(s.commits);
  figures = all({
    deployments: s.deployments,
    incidents: s.incidents,
    commitsOf: (d) => byId.get(d.id) ?? [],
  });
});
const provider = new GitCommits(dir);
const viaGit = () =>
  all({ deployments: h.deployments, incidents: h.incidents, commitsOf: provider.commitsFor(h.deployments) });
const c0 = performance.now();
const cold = viaGit();
const coldMs = performance.now() - c0;
const warmMs = time(viaGit);

const r0 = performance.now();
await fillRuns(mods, dir, now);
await storeCd(mods, dir, h);
const fillS = (performance.now() - r0) / 1000;
let clock = now;
// The server's source: the deployments and incidents read from their tables at each request.
const withDb = mods.historyAccess(dir, undefined);
const service = new mods.MetricsService({
  root: dir,
  withDb,
  source: mods.cdTables(withDb),
  now: () => clock,
});
const pageMs = [];
let firstPageMs = 0;
let html = "";
for (let i = 0; i < reps + 2; i++) {
  // A new minute each time: the figures are computed again (they are kept 10 s).
  clock += 60_000;
  const t = performance.now();
  html = await mods.doraPageFor(service, "bench", new URL("http://x/dora?days=90"));
  if (i === 0) firstPageMs = performance.now() - t;
  if (i >= 2) pageMs.push(performance.now() - t);
}
if (!html.includes("Time to restore")) throw new Error("the page is not the DORA page");
const sortedPage = [...pageMs].sort((a, b) => a - b);
const pagePct = (p) => sortedPage[Math.min(sortedPage.length - 1, Math.ceil(p * sortedPage.length) - 1)];
rmSync(dir, { recursive: true, force: true });

// Both ways give the same figures.
const key = (fs) =>
  JSON.stringify(fs.map((f) => f.map((x) => [x.leadTime, x.changeFailure.rate, x.restore])));
if (key(cold) !== key(figures)) throw new Error("git and stored commits disagree");
const f90 = figures[2][0];
const fx = (x) => x.toFixed(1);
const out = [
  `Node ${process.version}, ${availableParallelism()} cores. ${h.deployments.length.toLocaleString("en")} deployments (${count.toLocaleString("en")} deploys, ${h.deployments.length - count} rollbacks), ${(count * PER).toLocaleString("en")} commits (a git repository written in ${gitS.toFixed(1)} s), 50 incidents; the figures for 7, 30 and 90 days; median of ${reps} after 2 warm-ups. 90 days: ${fx(f90.frequency.perDay)} deployments/day (${f90.frequency.band}), lead time p50 ${fx(f90.leadTime.medianMs / 60_000)} min over ${f90.leadTime.count.toLocaleString("en")} commits, change failure rate ${fx(f90.changeFailure.rate * 100)} %, time to restore p50 ${fx(f90.restore.medianMs / 60_000)} min.`,
  "",
  "| Measure | Time | Against |",
  "|---|---|---|",
  `| baseline: parse the stored records (JSON) | ${fx(parseMs)} ms | |`,
  `| DORA figures from the stored records (parse included) | ${fx(storedMs)} ms | ${fx(storedMs / parseMs)}× the baseline; ${fx(storedMs / GOAL_MS)}× the goal of ${GOAL_MS} ms |`,
  `| DORA figures through git, the graph read (the server's steady state: ranges walked in memory) | ${fx(warmMs)} ms | ${fx(warmMs / GOAL_MS)}× the goal |`,
  `| DORA figures through git, first time (the graph read with one git log) | ${fx(coldMs)} ms | ${fx(coldMs / GOAL_MS)}× the goal; once per server start |`,
  `| the /dora page, 90 days, with ${runs.toLocaleString("en")} runs and the deployments stored (filled in ${fillS.toFixed(0)} s; deployments and incidents read from cd_deployments and cd_incidents at each request): p50 | ${fx(pagePct(0.5))} ms | |`,
  `| the /dora page: p95 | ${fx(pagePct(0.95))} ms | ${fx(pagePct(0.95) / 200)}× the dashboard's goal of 200 ms |`,
  `| the /dora page, first after start (the whole run history and the commit graph read) | ${fx(firstPageMs)} ms | once per server start |`,
].join("\n");
console.log(out);
if (process.argv.includes("--write")) writeSection("dora", out);
