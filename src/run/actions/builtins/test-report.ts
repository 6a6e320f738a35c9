import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { glob } from "tinyglobby";
import { JUnitError, readJUnit } from "../../../report/junit-read.js";
import { addCases } from "../../../report/test-tally.js";
import type { TestCase } from "../../events.js";
import { annotate } from "../../step-process.js";
import { expandHome } from "../paths.js";
import { type Builtin, type BuiltinContext, StepError } from "../types.js";

/**
 * The test-report actions, offline: they read JUnit XML, record every case in the run
 * (a test-results event: the report, the history, stats), put failed tests as error
 * annotations at their file:line and fail the step as their inputs say. Check runs and pull
 * request comments are GitHub API features: the inputs about them have no effect here.
 */

const OFFLINE = "no effect offline (check runs and pull request comments are GitHub API features)";
/** Inputs that shape what the action shows on GitHub (its check run, its comment). */
const SHOWN = "no effect offline (it shapes the check run or comment the action makes on GitHub)";
const PARSE = "not supported by the built-in (it reads the reports as they are); ignored";
const TOKEN = "no effect offline (no GitHub API is called)";

interface Options {
  patterns: string[];
  report: string;
  annotationsLimit: number;
  summary: boolean;
  /** A report that is not JUnit XML fails the step (else a warning and the next file). */
  failOnParseError: boolean;
}

export interface Tally {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

export function tally(cases: readonly TestCase[]): Tally {
  const counts = addCases({ passed: 0, failed: 0, skipped: 0 }, cases);
  return { ...counts, total: cases.length, durationMs: cases.reduce((n, c) => n + c.durationMs, 0) };
}

const splitLines = (s: string) =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** Report files by glob (`!` excludes), relative to the workspace. */
async function findReports(patterns: string[], workspace: string): Promise<string[]> {
  const toRel = (p: string) => {
    const abs = resolve(workspace, expandHome(p));
    return relative(workspace, abs).split(sep).join("/") || ".";
  };
  const include = patterns.filter((p) => !p.startsWith("!")).map(toRel);
  const ignore = patterns.filter((p) => p.startsWith("!")).map((p) => toRel(p.slice(1)));
  if (!include.length) return [];
  const found = await glob(include, {
    cwd: workspace,
    ignore,
    dot: true,
    absolute: true,
    followSymbolicLinks: true,
  });
  return [...new Set(found.map((f) => resolve(f)))].sort();
}

/** A case's file as the workspace has it: the report may name it absolute, or relative to itself. */
function placeFile(file: string, report: string, workspace: string): string {
  const inWs = (abs: string) => {
    const rel = relative(workspace, abs);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split(sep).join("/") : undefined;
  };
  if (isAbsolute(file)) return inWs(file) ?? file;
  if (existsSync(resolve(workspace, file))) return file;
  const nextToReport = resolve(dirname(report), file);
  return (existsSync(nextToReport) && inWs(nextToReport)) || file;
}

function summaryMarkdown(report: string, t: Tally, cases: readonly TestCase[]): string {
  const lines = [
    `### ${report}`,
    "",
    "| Tests | Passed ✅ | Skipped ⏭️ | Failed ❌ |",
    "| ---: | ---: | ---: | ---: |",
    `| ${t.total} | ${t.passed} | ${t.skipped} | ${t.failed} |`,
  ];
  const failed = cases.filter((c) => c.outcome === "failed" || c.outcome === "error");
  if (failed.length) {
    lines.push("", "| Failed test | Where | Message |", "| --- | --- | --- |");
    for (const c of failed.slice(0, 50))
      lines.push(
        `| ${c.suite} › ${c.name} | ${c.file ? `${c.file}${c.line ? `:${c.line}` : ""}` : ""} | ${(c.message ?? "").split("\n")[0]!.replace(/\|/g, "\\|")} |`,
      );
  }
  return `${lines.join("\n")}\n`;
}

/** Reads the reports, records their cases and annotates the failures; the step's verdict is the caller's. */
async function publish(
  ctx: BuiltinContext,
  o: Options,
): Promise<{ files: string[]; cases: TestCase[]; t: Tally }> {
  const files = await findReports(o.patterns, ctx.workspace);
  const cases: TestCase[] = [];
  for (const f of files) {
    const rel = relative(ctx.workspace, f) || f;
    let read: TestCase[];
    try {
      read = readJUnit(readFileSync(f, "utf8"), rel);
    } catch (e) {
      if (!(e instanceof JUnitError) && (e as NodeJS.ErrnoException).code !== "EISDIR") throw e;
      const msg = e instanceof JUnitError ? e.message : `${rel}: is a folder, not a report`;
      if (o.failOnParseError) throw new StepError(msg);
      ctx.warn(msg);
      continue;
    }
    for (const c of read) if (c.file) c.file = placeFile(c.file, f, ctx.workspace);
    cases.push(...read);
    ctx.log(`${rel}: ${read.length} test case(s)`);
  }
  const t = tally(cases);
  const step = ctx.call.index;
  if (cases.length) ctx.job.emit({ type: "test-results", job: ctx.job.key, step, report: o.report, cases });
  const failed = cases.filter((c) => c.outcome === "failed" || c.outcome === "error");
  // The first line: the history keeps the whole message.
  for (const c of failed.slice(0, o.annotationsLimit))
    annotate(
      ctx.job,
      step,
      "error",
      c.message?.split("\n")[0] || (c.outcome === "error" ? "error" : "failed"),
      {
        title: `${c.suite} › ${c.name}`,
        ...(c.file ? { file: c.file } : {}),
        ...(c.line ? { line: String(c.line) } : {}),
      },
    );
  if (failed.length > o.annotationsLimit)
    ctx.log(
      `${failed.length - o.annotationsLimit} more failed test(s) not annotated (limit ${o.annotationsLimit})`,
    );
  ctx.log(
    `${o.report}: ${t.total} test(s), ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped, from ${files.length} file(s)`,
  );
  if (o.summary && files.length)
    ctx.job.emit({ type: "summary", job: ctx.job.key, step, markdown: summaryMarkdown(o.report, t, cases) });
  return { files, cases, t };
}

const bool = (v: string | undefined) => (v ?? "").trim().toLowerCase() === "true";

function limit(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new StepError(`${name} must be a whole number, got '${v}'`);
  return n;
}

/** mikepenz/action-junit-report (v4, v5). */
export const junitReport: Builtin = {
  inputs: {
    report_paths: "**/junit-reports/TEST-*.xml",
    check_name: "JUnit Test Report",
    fail_on_failure: "false",
    fail_on_parse_error: "false",
    require_tests: "false",
    require_passed_tests: "false",
    job_summary: "true",
    annotations_limit: "50",
    skip_annotations: "false",
  },
  ignored: {
    token: TOKEN,
    github_token: TOKEN,
    commit: OFFLINE,
    update_check: OFFLINE,
    check_annotations: OFFLINE,
    annotate_only: SHOWN,
    comment: OFFLINE,
    updatecomment: OFFLINE,
    pr_id: OFFLINE,
    check_retries: OFFLINE,
    check_title_template: OFFLINE,
    job_name: OFFLINE,
    summary: SHOWN,
    detailed_summary: SHOWN,
    flaky_summary: SHOWN,
    verbose_summary: SHOWN,
    skip_success_summary: SHOWN,
    include_empty_in_summary: SHOWN,
    include_time_in_summary: SHOWN,
    simplified_summary: SHOWN,
    group_suite: SHOWN,
    group_reports: SHOWN,
    include_passed: SHOWN,
    annotate_notice: SHOWN,
    test_files_prefix: PARSE,
    exclude_sources: PARSE,
    suite_regex: PARSE,
    bread_crumb_delimiter: SHOWN,
    transformers: PARSE,
    follow_symlink: PARSE,
    truncate_stack_traces: PARSE,
    resolve_ignore_classname: PARSE,
    job_summary_text: SHOWN,
  },
  async run(ctx) {
    const i = ctx.inputs;
    const { files, t } = await publish(ctx, {
      patterns: splitLines(i.report_paths),
      report: i.check_name,
      annotationsLimit: bool(i.skip_annotations) ? 0 : limit(i.annotations_limit, "annotations_limit"),
      summary: bool(i.job_summary),
      failOnParseError: bool(i.fail_on_parse_error),
    });
    const outputs = {
      total: String(t.total),
      passed: String(t.passed),
      skipped: String(t.skipped),
      failed: String(t.failed),
    };
    const fail = (msg: string) => Object.assign(new StepError(msg), { outputs });
    if (!files.length)
      ctx.warn(`No test report files were found for: ${splitLines(i.report_paths).join(", ")}`);
    if (bool(i.require_tests) && t.total === 0) throw fail(`No test results found for ${i.check_name}`);
    if (bool(i.require_passed_tests) && t.passed === 0)
      throw fail(`No passed tests found for ${i.check_name} (require_passed_tests)`);
    if (bool(i.fail_on_failure) && t.failed > 0)
      throw fail(`${t.failed} of ${t.total} test(s) failed in ${i.check_name} (fail_on_failure)`);
    return outputs;
  },
};

const DORNY_JUNIT = ["java-junit", "jest-junit", "python-xunit", "swift-xunit"];

/** dorny/test-reporter (v1, v2): its JUnit XML reporters. */
export const testReporter: Builtin = {
  inputs: {
    name: "",
    path: "",
    reporter: "",
    "fail-on-error": "true",
    "fail-on-empty": "true",
    "max-annotations": "10",
    "working-directory": "",
    "list-suites": "all",
    "list-tests": "all",
    "use-actions-summary": "true",
  },
  ignored: {
    token: TOKEN,
    artifact: "no effect offline: reports are read from the workspace, not from another run's artifact",
    "path-replace-backslashes": PARSE,
    "only-summary": SHOWN,
    "badge-title": SHOWN,
    "report-title": SHOWN,
    collapsed: SHOWN,
  },
  async run(ctx) {
    const i = ctx.inputs;
    for (const k of ["name", "path", "reporter"] as const)
      if (!i[k].trim()) throw new StepError(`Input required and not supplied: ${k}`);
    if (!DORNY_JUNIT.includes(i.reporter.trim()))
      throw new StepError(
        `reporter '${i.reporter}' is not supported by the built-in dorny/test-reporter (it reads JUnit XML: ${DORNY_JUNIT.join(", ")})`,
      );
    const base = resolve(ctx.workspace, i["working-directory"] || ".");
    const patterns = i.path
      .split(/[,\n]/)
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => (p.startsWith("!") ? `!${resolve(base, p.slice(1))}` : resolve(base, p)));
    const { files, t } = await publish(ctx, {
      patterns,
      report: i.name,
      annotationsLimit: limit(i["max-annotations"], "max-annotations"),
      summary: bool(i["use-actions-summary"]),
      // dorny/test-reporter stops at a report it cannot parse.
      failOnParseError: true,
    });
    const conclusion = t.failed > 0 ? "failure" : "success";
    const outputs = {
      conclusion,
      passed: String(t.passed),
      failed: String(t.failed),
      skipped: String(t.skipped),
      time: String(t.durationMs),
      url: "",
      url_html: "",
    };
    const fail = (msg: string) => Object.assign(new StepError(msg), { outputs });
    if (t.total === 0) {
      // fail-on-empty: no report files, or reports without a test.
      const msg = files.length
        ? `No test results found in ${files.length} report file(s)`
        : "No test report files were found";
      if (bool(i["fail-on-empty"])) throw fail(msg);
      ctx.warn(msg);
    }
    if (bool(i["fail-on-error"]) && t.failed > 0)
      throw fail(
        `Failed tests were found and 'fail-on-error' option is set to true (${t.failed} of ${t.total})`,
      );
    return outputs;
  },
};

/** EnricoMi/publish-unit-test-result-action (v2, and its /linux, /macos, /windows, /composite forms). */
export const publishUnitTestResults: Builtin = {
  inputs: {
    files: "",
    junit_files: "",
    check_name: "Test Results",
    fail_on: "test failures",
    action_fail: "false",
    action_fail_on_inconclusive: "false",
    job_summary: "true",
    ignore_runs: "false",
  },
  ignored: {
    github_token: TOKEN,
    github_token_actor: TOKEN,
    github_retries: TOKEN,
    commit: OFFLINE,
    comment_title: OFFLINE,
    comment_mode: OFFLINE,
    check_run: OFFLINE,
    check_run_annotations: SHOWN,
    check_run_annotations_branch: SHOWN,
    compare_to_earlier_commit: OFFLINE,
    pull_request_build: OFFLINE,
    search_pull_requests: OFFLINE,
    event_file: SHOWN,
    event_name: SHOWN,
    test_changes_limit: SHOWN,
    time_unit: SHOWN,
    test_file_prefix: PARSE,
    report_individual_runs: SHOWN,
    report_suite_logs: SHOWN,
    deduplicate_classes_by_file_name: PARSE,
    large_files: PARSE,
    seconds_between_github_reads: TOKEN,
    seconds_between_github_writes: TOKEN,
    secondary_rate_limit_wait_seconds: TOKEN,
    json_file: SHOWN,
    json_thousands_separator: SHOWN,
    json_suite_details: SHOWN,
    json_test_case_results: SHOWN,
    ssl_verify: TOKEN,
    root_log_level: SHOWN,
    log_level: SHOWN,
    nunit_files: "no effect: the built-in reads JUnit XML only",
    xunit_files: "no effect: the built-in reads JUnit XML only",
    trx_files: "no effect: the built-in reads JUnit XML only",
  },
  async run(ctx) {
    const i = ctx.inputs;
    const failOn = i.fail_on.trim().toLowerCase();
    if (!["nothing", "errors", "test failures"].includes(failOn))
      throw new StepError(`fail_on must be 'nothing', 'errors' or 'test failures', got '${i.fail_on}'`);
    const patterns = [...splitLines(i.files), ...splitLines(i.junit_files)];
    if (!patterns.length) throw new StepError("At least one of files or junit_files must be set");
    const { files, cases, t } = await publish(ctx, {
      patterns,
      report: i.check_name,
      annotationsLimit: 50,
      summary: bool(i.job_summary),
      failOnParseError: false,
    });
    if (!files.length) ctx.warn(`Could not find any files for ${patterns.join(", ")}`);
    const errors = cases.filter((c) => c.outcome === "error").length;
    const conclusion =
      (failOn !== "nothing" && errors > 0) || (failOn === "test failures" && t.failed > 0)
        ? "failure"
        : "success";
    const json = JSON.stringify({
      title: `${t.failed ? `${t.failed} fail, ` : ""}${t.skipped ? `${t.skipped} skipped, ` : ""}${t.passed} pass in ${Math.round(t.durationMs / 1000)}s`,
      conclusion,
      stats: {
        files: files.length,
        tests: t.total,
        tests_succ: t.passed,
        tests_skip: t.skipped,
        tests_fail: t.failed - errors,
        tests_error: errors,
        duration: Math.round(t.durationMs / 1000),
      },
    });
    if (bool(i.action_fail) && conclusion === "failure")
      throw Object.assign(
        new StepError(
          `${t.failed} of ${t.total} test(s) failed in ${i.check_name} (action_fail, fail_on: ${failOn})`,
        ),
        { outputs: { json } },
      );
    return { json };
  },
};
