import { parseArgs } from "node:util";
import { type BenchSeries, benchSeries } from "../db/bench-reads.js";
import { type Stats, stats, type Timing } from "../db/stats.js";
import { fetchServerStats, renderServerStats } from "../metrics/stats-client.js";
import { duration, table } from "./columns.js";
import { EXIT, fail, parse, positiveInt, readHistory, repoRootOf, UsageError } from "./common.js";

const HELP = `usage: slipway stats [options]

From the run history (.slipway/slipway.db): per workflow and job, the p50 and p90 duration
over the last runs and its trend (the newer half's p50 against the older half's), the failure
rate, flaky jobs (failed, then passed on the same commit) and the slowest steps; and, from the
test reports the test-report actions read (mikepenz/action-junit-report, dorny/test-reporter,
EnricoMi/publish-unit-test-result-action), flaky tests (failed and passed on the same commit)
and the slowest tests. With --bench: each benchmark the github-action-benchmark built-in
recorded, its values over the last runs that recorded benchmarks (oldest first) and the change
of the newest value against the one before it.

  -C, --directory DIR   repository (default: .)
      --workflow W      only this workflow: its file (ci.yml, .github/workflows/ci.yml) or name
      --last N          the last N finished runs (default: 50)
      --db URL          the PostgreSQL database holding the history (postgres://...;
                        default: SLIPWAY_DATABASE_URL, else .slipway/slipway.db)
      --bench           benchmark results instead (--last N: the last N runs with benchmarks, default 10)
      --json            print as JSON
      --server URL      a 'slipway serve' server's figures instead: its DORA metrics per
                        environment (GET /api/dora) and these stats with the pipeline trends
                        (GET /api/stats); --token T or SLIPWAY_SERVER_TOKEN when it needs one
      --days N          with --server: the window of the DORA figures and trends (default: 30)

Exit codes: 0 shown (or no runs recorded yet), 2 usage error, 74 the history (or the server)
could not be read.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { values } = parse(() =>
      parseArgs({
        args,
        options: {
          directory: { type: "string", short: "C" },
          workflow: { type: "string" },
          last: { type: "string" },
          db: { type: "string" },
          json: { type: "boolean" },
          bench: { type: "boolean" },
          server: { type: "string" },
          token: { type: "string" },
          days: { type: "string" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    if (values.server) {
      if (values.bench || values.workflow || values.db || values.directory)
        throw new UsageError("--server reads the server's figures: no --bench, --workflow, --db or -C");
      const s = await fetchServerStats(values.server, {
        token: values.token ?? process.env.SLIPWAY_SERVER_TOKEN,
        days: positiveInt(values.days, "--days") ?? 30,
        last: positiveInt(values.last, "--last") ?? 50,
      });
      if (values.json) console.log(JSON.stringify(s, null, 2));
      else process.stdout.write(renderServerStats(s));
      return EXIT.ok;
    }
    if (values.token || values.days) throw new UsageError("--token and --days go with --server");
    if (values.bench && values.workflow)
      throw new UsageError("--workflow does not apply to --bench (benchmarks are shown by suite)");
    if (values.bench)
      return await bench(
        values.directory,
        values.db,
        positiveInt(values.last, "--last") ?? 10,
        !!values.json,
      );
    const last = positiveInt(values.last, "--last") ?? 50;
    const s = await readHistory(repoRootOf(values.directory), values.db, async (db) =>
      db ? stats(db, last, values.workflow) : undefined,
    );
    if (values.json) console.log(JSON.stringify(s ?? null, null, 2));
    else if (!s || s.runs.length === 0) console.log("No runs recorded yet.");
    else process.stdout.write(render(s));
    return EXIT.ok;
  } catch (e) {
    return fail(e, "stats");
  }
}

async function bench(
  dir: string | undefined,
  db: string | undefined,
  last: number,
  json: boolean,
): Promise<number> {
  const series = await readHistory(repoRootOf(dir), db, async (d) => (d ? benchSeries(d, last) : []));
  if (json) console.log(JSON.stringify({ benchmarks: series }, null, 2));
  else if (!series.length) console.log("No benchmark results recorded yet.");
  else process.stdout.write(renderBench(series));
  return EXIT.ok;
}

/** Up to six significant digits: a series stays readable. */
const short = (n: number) => String(Number(n.toPrecision(6)));

function renderBench(series: BenchSeries[]): string {
  return table([
    ["BENCHMARK", "UNIT", "VALUES (OLDEST FIRST)", "CHANGE"],
    ...series.map((s) => [
      `${s.suite} › ${s.name}`,
      s.unit,
      s.points.map((p) => short(p.value)).join(" "),
      s.change === null
        ? "-"
        : `${s.change >= 0 ? "+" : ""}${pct(s.change)}${s.worse && Math.abs(s.change) >= 0.005 ? " (worse)" : ""}`,
    ]),
  ]);
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const trend = (t: number | null) => (t === null ? "-" : `${t >= 0 ? "+" : ""}${pct(t)}`);
const times = (t: Timing) => [String(t.runs), duration(t.p50), duration(t.p90), trend(t.trend)];

function render(s: Stats): string {
  const first = s.runs[0]!;
  const latest = s.runs[s.runs.length - 1]!;
  const out = [
    `The last ${s.runs.length} finished run${s.runs.length > 1 ? "s" : ""} (${first} to ${latest})\n\n`,
  ];
  out.push(
    table([
      ["WORKFLOW", "RUNS", "P50", "P90", "TREND", "FAILED"],
      ...s.workflows.map((w) => [w.workflow, ...times(w), pct(w.failureRate)]),
    ]),
    "\n",
    table([
      ["JOB", "RUNS", "P50", "P90", "TREND", "FAILED", "FLAKY"],
      ...s.jobs.map((j) => [
        `${j.workflow} ${j.job}`,
        ...times(j),
        pct(j.failureRate),
        j.flakyCommits.length ? `on ${j.flakyCommits.map((c) => c.slice(0, 7)).join(", ")}` : "-",
      ]),
    ]),
  );
  if (s.slowestSteps.length)
    out.push(
      "\n",
      table([
        ["SLOWEST STEP", "RUNS", "P50", "P90", "TREND"],
        ...s.slowestSteps.map((x) => [`${x.workflow} ${x.job}: ${x.step}`, ...times(x)]),
      ]),
    );
  if (s.flakyTests.length)
    out.push(
      "\n",
      table([
        ["FLAKY TEST", "FAILED", "PASSED", "ON"],
        ...s.flakyTests.map((t) => [
          `${t.suite} › ${t.name}`,
          String(t.failed),
          String(t.passed),
          t.commits.map((c) => c.slice(0, 7)).join(", "),
        ]),
      ]),
    );
  if (s.slowestTests.length)
    out.push(
      "\n",
      table([
        ["SLOWEST TEST", "RUNS", "P50", "P90", "TREND"],
        ...s.slowestTests.map((t) => [`${t.suite} › ${t.name}`, ...times(t)]),
      ]),
    );
  return out.join("");
}
