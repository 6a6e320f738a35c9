import { parseArgs } from "node:util";
import { type Stats, stats, type Timing } from "../db/stats.js";
import { duration, table } from "./columns.js";
import { EXIT, fail, parse, positiveInt, readHistory, repoRootOf } from "./common.js";

const HELP = `usage: slipway stats [options]

From the run history (.slipway/slipway.db): per workflow and job, the p50 and p90 duration
over the last runs and its trend (the newer half's p50 against the older half's), the failure
rate, flaky jobs (failed, then passed on the same commit) and the slowest steps; and, from the
test reports the test-report actions read (mikepenz/action-junit-report, dorny/test-reporter,
EnricoMi/publish-unit-test-result-action), flaky tests (failed and passed on the same commit)
and the slowest tests.

  -C, --directory DIR   repository (default: .)
      --workflow W      only this workflow: its file (ci.yml, .github/workflows/ci.yml) or name
      --last N          the last N finished runs (default: 50)
      --db URL          the PostgreSQL database holding the history (postgres://...;
                        default: SLIPWAY_DATABASE_URL, else .slipway/slipway.db)
      --json            print as JSON

Exit codes: 0 shown (or no runs recorded yet), 2 usage error, 74 the history could not be read.`;

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
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
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
