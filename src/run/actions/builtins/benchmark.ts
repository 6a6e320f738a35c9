import { readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { type Baseline, benchBaseline } from "../../../bench/baseline.js";
import { compare, describe, parseThreshold, summaryTable } from "../../../bench/compare.js";
import { BenchParseError, EXPECTED, parseBench, TOOLS, type Tool } from "../../../bench/parse.js";
import type { Json } from "../../../expr/index.js";
import { expandHome, repoRootOf } from "../paths.js";
import { type Builtin, type BuiltinContext, StepError } from "../types.js";

/**
 * benchmark-action/github-action-benchmark (v1), offline: it reads the benchmark tool's
 * output, records every result in the run history (a benchmark event) and compares it with
 * the baseline: the same suite in the last successful run on the repository's default branch.
 * The history takes the place of the gh-pages branch; the step summary, of commit comments.
 */

const TOKEN = "no effect offline (no GitHub API is called; results go to the run history)";
const PAGES = "no effect offline (results are stored in the run history, not on a branch)";
const COMMENT = "no effect offline (there is no commit to comment on; see the step summary)";

const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;
const bool = (v: string | undefined) => (v ?? "").trim().toLowerCase() === "true";

function readOutput(ctx: BuiltinContext, tool: Tool, path: string): string {
  const abs = resolve(ctx.workspace, expandHome(path));
  const rel = relative(ctx.workspace, abs) || path;
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch {
    throw new StepError(`output-file-path '${rel}' does not exist; tool '${tool}' expects ${EXPECTED[tool]}`);
  }
  if (st.isDirectory())
    throw new StepError(`output-file-path '${rel}' is a folder; tool '${tool}' expects ${EXPECTED[tool]}`);
  return readFileSync(abs, "utf8");
}

function defaultBranch(ctx: BuiltinContext): string {
  const github = ctx.job.contexts.github as Record<string, Json>;
  const repo = ((github.event ?? {}) as Record<string, Json>).repository as Record<string, Json> | undefined;
  return String(repo?.default_branch || "main");
}

export const githubActionBenchmark: Builtin = {
  inputs: {
    name: "Benchmark",
    tool: "",
    "output-file-path": "",
    "alert-threshold": "200%",
    "fail-on-alert": "false",
    "fail-threshold": "",
    "comment-on-alert": "false",
    "comment-always": "false",
    "summary-always": "false",
    "auto-push": "false",
    "gh-pages-branch": "gh-pages",
    "benchmark-data-dir-path": "dev/bench",
  },
  ignored: {
    "github-token": TOKEN,
    "gh-repository": PAGES,
    ref: "no effect offline (the baseline is the default branch's last successful run in the history)",
    "skip-fetch-gh-pages": PAGES,
    "save-data-file": PAGES,
    "external-data-json-path": PAGES,
    "max-items-in-chart": PAGES,
    "alert-comment-cc-users": COMMENT,
  },
  async run(ctx) {
    const i = ctx.inputs;
    const tool = i.tool.trim() as Tool;
    if (!tool) throw new StepError("Input required and not supplied: tool");
    if (!TOOLS.includes(tool))
      throw new StepError(
        `tool '${i.tool}' is not supported by the built-in (it reads: ${TOOLS.join(", ")})`,
      );
    if (!i["output-file-path"].trim())
      throw new StepError("Input required and not supplied: output-file-path");
    const alert = parseThreshold(i["alert-threshold"], "alert-threshold");
    const failAt = i["fail-threshold"].trim() ? parseThreshold(i["fail-threshold"], "fail-threshold") : alert;
    const suite = i.name;

    const text = readOutput(ctx, tool, i["output-file-path"]);
    let results: ReturnType<typeof parseBench>;
    try {
      results = parseBench(tool, text);
    } catch (e) {
      if (e instanceof BenchParseError) throw new StepError(`${i["output-file-path"]}: ${e.message}`);
      throw e;
    }
    if (!results.length)
      throw new StepError(
        `${i["output-file-path"]}: no benchmark result found; tool '${tool}' expects ${EXPECTED[tool]}`,
      );
    ctx.log(`${suite}: ${results.length} benchmark result(s) from ${i["output-file-path"]} (${tool})`);

    const branch = defaultBranch(ctx);
    const baseline = await findBaseline(ctx, suite, `refs/heads/${branch}`);
    const step = ctx.call.index;
    ctx.job.emit({ type: "benchmark", job: ctx.job.key, step, suite, tool, results });
    const where =
      process.env.SLIPWAY_HISTORY === "0" ? "not stored (SLIPWAY_HISTORY=0)" : "stored in the run history";
    ctx.log(
      bool(i["auto-push"])
        ? `auto-push: the results are ${where} (not pushed to ${i["gh-pages-branch"]}:${i["benchmark-data-dir-path"]})`
        : `the results are ${where}`,
    );

    const changes = baseline ? compare(results, baseline.results) : [];
    if (baseline)
      ctx.log(
        `baseline: run ${baseline.run} (${baseline.sha.slice(0, 7)}) on ${branch}, ${changes.length} benchmark(s) to compare`,
      );
    else
      ctx.log(`no baseline yet: no successful run on ${branch} recorded '${suite}'; these results become it`);
    for (const c of changes) ctx.log(`  ${describe(c)}`);

    const alerts = changes.filter((c) => c.ratio > alert);
    const failing = changes.filter((c) => c.ratio > failAt);
    const table = summaryTable(suite, results, changes, alert, baseline?.run);
    let summary = bool(i["summary-always"]) || bool(i["comment-always"]) ? table : "";
    if (alerts.length) {
      const lines = alerts.map(describe);
      ctx.warn(
        `Performance alert! ${alerts.length} benchmark(s) of '${suite}' are worse than the alert threshold ${pct(alert)}:\n${lines.map((l) => `  ${l}`).join("\n")}`,
      );
      if (bool(i["comment-on-alert"])) {
        ctx.log("comment-on-alert: the alert is in the step summary (no commit comment offline)");
        summary ||= table;
      }
      if (summary)
        summary = `**⚠️ Performance alert**\n\n${lines.map((l) => `- ${l}`).join("\n")}\n\n${summary}`;
    }
    if (summary) ctx.job.emit({ type: "summary", job: ctx.job.key, step, markdown: summary });
    if (bool(i["fail-on-alert"]) && failing.length)
      throw new StepError(
        `${failing.length} benchmark(s) of '${suite}' are worse than the fail threshold ${pct(failAt)} (fail-on-alert):\n${failing.map((c) => `  ${describe(c)}`).join("\n")}`,
      );
    return {};
  },
};

/** The baseline from the run's history (its SQLite file or PostgreSQL database); none when there is no history. */
async function findBaseline(ctx: BuiltinContext, suite: string, ref: string): Promise<Baseline | undefined> {
  if (process.env.SLIPWAY_HISTORY === "0") {
    ctx.log("SLIPWAY_HISTORY=0: no run history, so no baseline to compare with");
    return undefined;
  }
  try {
    return await benchBaseline(repoRootOf(ctx.job), ctx.job.historyUrl, suite, ref);
  } catch (e) {
    ctx.warn(`the run history could not be read for a baseline: ${(e as Error).message}`);
    return undefined;
  }
}
