import { parseArgs } from "node:util";
import { type JobRow, jobsOfRun, latestRun, listRuns, type RunRow, runByNumber } from "../db/reads.js";
import { duration, table } from "./columns.js";
import { EXIT, fail, parse, positiveInt, readHistory, repoRootOf, UsageError } from "./common.js";
import { main as prune } from "./history-prune.js";

const HELP = `usage: slipway history [run] [options]

Without a run: the recorded runs, newest first, with their result, duration, commit, event
and branch. With a run (a number, or 'latest'): where its jobs ran, its jobs and matrix legs,
their steps with durations, annotations, step summaries, artifacts, caches, test results
(failed tests with where they failed; --json has every test case), benchmark results
(github-action-benchmark's) and line coverage (least covered files first; --json has every
covered file, and adds the event payload and job outputs). Runs are recorded by 'slipway run' in .slipway/slipway.db, or
in the PostgreSQL database of --db / SLIPWAY_DATABASE_URL.

  -C, --directory DIR   repository (default: .)
      --workflow W      only runs of this workflow: its file (ci.yml, .github/workflows/ci.yml) or name
      --branch B        only runs on this branch (or full ref)
      --limit N         at most N runs (default: 20)
      --db URL          the PostgreSQL database holding the history (postgres://...;
                        default: SLIPWAY_DATABASE_URL, else .slipway/slipway.db)
      --json            print as JSON

'slipway history prune --older-than 90d' deletes old runs (see its --help).

Exit codes: 0 shown (or no runs recorded yet), 2 usage error (no such run), 74 the history
could not be read.`;

export async function main(args: string[]): Promise<number> {
  try {
    if (args[0] === "prune") return await prune(args.slice(1));
    const { values, positionals } = parse(() =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          directory: { type: "string", short: "C" },
          workflow: { type: "string" },
          branch: { type: "string" },
          limit: { type: "string" },
          db: { type: "string" },
          json: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    if (positionals.length > 1)
      throw new UsageError(`expected at most one run, got ${positionals.join(" ")}`);
    const which = positionals[0];
    if (which !== undefined && which !== "latest" && !/^[1-9]\d*$/.test(which))
      throw new UsageError(`a run is a number or 'latest', got '${which}'`);
    const limit = positiveInt(values.limit, "--limit") ?? 20;
    return await readHistory(repoRootOf(values.directory), values.db, async (db) => {
      if (!db) {
        if (values.json) console.log(which ? "null" : "[]");
        else console.log("No runs recorded yet (slipway run records them in .slipway/slipway.db).");
        return EXIT.ok;
      }
      if (which === undefined) {
        const runs = await listRuns(db, { workflow: values.workflow, branch: values.branch, limit });
        if (values.json) console.log(JSON.stringify(runs.map(withDuration), null, 2));
        else if (runs.length === 0) console.log("No runs recorded yet.");
        else process.stdout.write(runTable(runs));
        return EXIT.ok;
      }
      const run = which === "latest" ? await latestRun(db) : await runByNumber(db, Number(which));
      if (!run) {
        const last = await latestRun(db);
        throw new UsageError(
          `no run ${which} in the history${last ? ` (the latest is ${last.number})` : ""}`,
        );
      }
      const jobs = await jobsOfRun(db, run.number);
      if (values.json)
        console.log(JSON.stringify({ ...withDuration(run), jobs: jobs.map(jobJson) }, null, 2));
      else process.stdout.write(runDetail(run, jobs));
      return EXIT.ok;
    });
  } catch (e) {
    return fail(e, "history");
  }
}

const durationOf = (a: number | null, b: number | null) => (a !== null && b !== null ? b - a : null);

function withDuration(r: RunRow) {
  const branch = r.ref.startsWith("refs/heads/") ? r.ref.slice("refs/heads/".length) : null;
  return { ...r, branch, durationMs: durationOf(r.startedAt, r.endedAt) };
}

function jobJson(j: JobRow) {
  return {
    ...j,
    durationMs: durationOf(j.startedAt, j.endedAt),
    steps: j.steps.map((s) => ({ ...s, durationMs: durationOf(s.startedAt, s.endedAt) })),
  };
}

/** A run's state in one word: its result, or why it has none. */
function state(r: RunRow): string {
  if (r.interrupted === "lost") return "interrupted";
  if (r.interrupted) return `${r.result ?? "cancelled"} (${r.interrupted})`;
  return r.result ?? "running";
}

const branchOf = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, "");
const when = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

function runTable(runs: RunRow[]): string {
  return table([
    ["RUN", "RESULT", "DURATION", "COMMIT", "EVENT", "BRANCH", "STARTED (UTC)", "WORKFLOWS"],
    ...runs.map((r) => [
      r.attemptOf !== null ? `${r.number} (#${r.attemptOf}, attempt ${r.attempt})` : String(r.number),
      state(r),
      duration(durationOf(r.startedAt, r.endedAt)),
      r.sha.slice(0, 7),
      r.event,
      branchOf(r.ref),
      when(r.startedAt),
      r.workflows.map((w) => w.slice(w.lastIndexOf("/") + 1)).join(", "),
    ]),
  ]);
}

const bytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`;

const runnerOf = (j: JobRow) => (j.runner ? `${j.runner.executor} on ${j.runner.name}` : undefined);

function cacheLine(c: JobRow["caches"][number]): string {
  if (c.action === "save") return `cache '${c.key}': saved${c.size !== null ? `, ${bytes(c.size)}` : ""}`;
  if (c.matchedKey === null) return `cache '${c.key}': miss`;
  const size = c.size !== null ? `, ${bytes(c.size)}` : "";
  return c.hit ? `cache '${c.key}': hit${size}` : `cache '${c.key}': restored from '${c.matchedKey}'${size}`;
}

/** A job's tests: a count per report, then each test that did not pass or skip, where it failed. */
function testLines(tests: JobRow["tests"]): string[] {
  const out: string[] = [];
  const reports = [...new Set(tests.map((t) => t.report))];
  for (const report of reports) {
    const of = tests.filter((t) => t.report === report);
    const n = (o: string) => of.filter((t) => t.outcome === o).length;
    const failed = n("failed") + n("error");
    out.push(
      `tests '${report}': ${of.length} (${n("passed")} passed, ${failed} failed, ${n("skipped")} skipped)`,
    );
    for (const t of of.filter((x) => x.outcome === "failed" || x.outcome === "error")) {
      const at = t.file ? ` at ${t.file}${t.line ? `:${t.line}` : ""}` : "";
      out.push(
        `  ${t.outcome} ${t.suite} › ${t.name}${at}${t.message ? `: ${t.message.split("\n")[0]}` : ""}`,
      );
    }
  }
  return out;
}

/** A job's benchmark results: one line per suite, then each result. */
function benchLines(results: JobRow["benchmarks"]): string[] {
  const out: string[] = [];
  for (const suite of new Set(results.map((b) => b.suite))) {
    const of = results.filter((b) => b.suite === suite);
    out.push(`benchmark '${suite}' (${of[0]!.tool}): ${of.length} result(s)`);
    for (const b of of) out.push(`  ${b.name}: ${b.value} ${b.unit}${b.range ? ` (${b.range})` : ""}`);
  }
  return out;
}

const percent = (hit: number, lines: number) => `${lines ? ((hit / lines) * 100).toFixed(2) : "100.00"}%`;

/** A file without a coverable line is never the least covered. */
const ratio = (f: { lines: number; hit: number }) => (f.lines ? f.hit / f.lines : 1);

/** A job's line coverage per codecov step: its total, then its files, least covered first. */
function coverageLines(rows: JobRow["coverage"]): string[] {
  const out: string[] = [];
  for (const step of [...new Set(rows.map((r) => r.step))]) {
    const of = rows.filter((r) => r.step === step);
    const lines = of.reduce((n, r) => n + r.lines, 0);
    const hit = of.reduce((n, r) => n + r.hit, 0);
    out.push(
      `coverage (step ${step + 1}): ${percent(hit, lines)} of lines (${hit}/${lines}, ${of.length} file(s))`,
    );
    const sorted = [...of].sort((a, b) => ratio(a) - ratio(b) || a.path.localeCompare(b.path));
    for (const f of sorted.slice(0, 10))
      out.push(`  ${percent(f.hit, f.lines).padStart(7)}  ${f.path} (${f.hit}/${f.lines})`);
    if (sorted.length > 10) out.push(`  ... ${sorted.length - 10} more file(s) (--json has them all)`);
  }
  return out;
}

function runDetail(r: RunRow, jobs: JobRow[]): string {
  // One runner for the run (today's case) is said once; a job elsewhere says where.
  const runner = jobs.map(runnerOf).find((x) => x);
  const out = [
    `Run ${r.number}: ${state(r)} in ${duration(durationOf(r.startedAt, r.endedAt))}`,
    ...(r.attemptOf !== null ? [`  attempt ${r.attempt} of run #${r.attemptOf}`] : []),
    `  ${r.event} on ${branchOf(r.ref)} at ${r.sha.slice(0, 7)} by ${r.actor}, ${when(r.startedAt)} UTC`,
    `  workflows: ${r.workflows.join(", ")}`,
    ...(runner ? [`  runner: ${runner}`] : []),
    `  logs: ${r.folder}`,
    "",
  ];
  const open = r.endedAt === null || r.interrupted === "lost";
  const job = (j: JobRow, pad: string) => {
    const result = j.result ?? (open && j.startedAt !== null ? "interrupted" : "not run");
    out.push(`${pad}${j.name}  ${result}  ${duration(durationOf(j.startedAt, j.endedAt))}`);
    if (j.reason) out.push(`${pad}  reason: ${j.reason}`);
    const where = runnerOf(j);
    if (where && where !== runner) out.push(`${pad}  runner: ${where}`);
    for (const s of j.steps)
      out.push(
        `${pad}  ${s.number + 1}. ${s.name}  ${s.conclusion ?? (open ? "interrupted" : "-")}${s.outcome && s.outcome !== s.conclusion ? ` (outcome ${s.outcome})` : ""}  ${duration(durationOf(s.startedAt, s.endedAt))}`,
      );
    for (const a of j.approvals)
      out.push(
        `${pad}  environment '${a.environment}': ${a.approved === null ? "waiting for approval" : `${a.approved ? "approved" : "not approved"} by ${a.by}`}`,
      );
    for (const a of j.annotations) {
      const at = a.file ? `${a.file}${a.line ? `:${a.line}${a.col ? `:${a.col}` : ""}` : ""}: ` : "";
      out.push(`${pad}  ${a.level}: ${at}${a.title ? `${a.title}: ` : ""}${a.message}`);
    }
    for (const m of j.summaries)
      out.push(`${pad}  summary of step ${m.step + 1}: ${m.markdown.trim().split("\n")[0]}`);
    for (const a of j.artifacts)
      out.push(`${pad}  artifact '${a.name}': ${a.files} file(s), ${bytes(a.size)} (${r.folder}/${a.path})`);
    for (const c of j.caches) out.push(`${pad}  ${cacheLine(c)}`);
    for (const line of testLines(j.tests)) out.push(`${pad}  ${line}`);
    for (const line of benchLines(j.benchmarks)) out.push(`${pad}  ${line}`);
    for (const line of coverageLines(j.coverage)) out.push(`${pad}  ${line}`);
  };
  // Matrix legs under their job, in the order the jobs were queued.
  const parents = new Set(jobs.filter((j) => j.leg === null).map((j) => j.key));
  for (const j of jobs) {
    if (j.leg !== null && parents.has(j.job)) continue;
    job(j, "");
    for (const l of jobs) if (l.leg !== null && l.job === j.key && j.leg === null) job(l, "  ");
  }
  return `${out.join("\n")}\n`;
}
