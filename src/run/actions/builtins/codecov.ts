import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import { glob } from "tinyglobby";
import { openHistory } from "../../../db/open.js";
import { lastCoverage } from "../../../db/reads.js";
import type { Json } from "../../../expr/index.js";
import { changedLines } from "../../../report/changed-lines.js";
import {
  type CodecovConfig,
  CodecovConfigError,
  fmt,
  judge,
  pathMatcher,
  pct,
  readCodecovConfig,
  type Tally,
  type Verdict,
} from "../../../report/coverage-gate.js";
import { CoverageError, countLines, type FileLines, readCoverage } from "../../../report/coverage-read.js";
import type { FileCoverage } from "../../events.js";
import { runNumberOf } from "../paths.js";
import { type Builtin, type BuiltinContext, StepError } from "../types.js";

/**
 * codecov/codecov-action (v3, v4, v5), offline: it reads the coverage reports the step names (or
 * finds them by Codecov's names), records line coverage per file in the run (a coverage event:
 * the history), compares it with the default branch's last run, and applies the gates of the
 * repository's codecov.yml as Codecov's commit statuses would: a failed gate fails the step.
 * Nothing is uploaded.
 */

const UPLOAD = "no effect offline (nothing is uploaded to Codecov)";
const CLI = "no effect offline (it configures Codecov's uploader, which is not run)";

/** Names Codecov's search finds reports by (the formats read here). */
const SEARCH = [
  "**/coverage.xml",
  "**/cobertura.xml",
  "**/*cobertura*.xml",
  "**/*.cobertura.xml",
  "**/lcov.info",
  "**/*.lcov",
  "**/coverage-final.json",
  "**/coverage.out",
  "**/cover.out",
  "**/*.coverprofile",
];
/** Folders a search never enters (dependencies, tool caches). */
const NOT_SEARCHED = [
  "**/node_modules/**",
  "**/.git/**",
  "**/.venv/**",
  "**/venv/**",
  "**/site-packages/**",
  "**/.tox/**",
  "**/.slipway/**",
  "**/target/debug/**",
  "**/target/release/**",
];

const bool = (v: string | undefined) => (v ?? "").trim().toLowerCase() === "true";
const list = (v: string) =>
  v
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
const toPosix = (p: string) => p.split(sep).join("/");

/**
 * The report's file as the workspace names it: absolute, under one of the report's roots, or
 * found by its tail; undefined when it is not a workspace file (a dependency, another project).
 */
export function placePath(f: FileLines, workspace: string, reportDir: string): string | undefined {
  const inWs = (abs: string) => {
    const rel = relative(workspace, abs);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) && existsSync(abs) ? toPosix(rel) : undefined;
  };
  const p = f.path.replace(/\\/g, "/");
  const tries = isAbsolute(p)
    ? [p]
    : [...f.roots.map((r) => join(r, p)), join(workspace, p), join(reportDir, p)];
  for (const t of tries) {
    const found = inWs(t);
    if (found) return found;
  }
  // Made elsewhere (another checkout, a container): the longest tail that is a workspace file.
  const parts = (isAbsolute(p) ? p : join(f.roots[0] ?? "", p)).split("/").filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const tail = parts.slice(i).join("/");
    if (tail && existsSync(join(workspace, tail))) return tail;
  }
  return undefined;
}

interface Found {
  reports: string[];
  missing: string[];
}

async function findReports(ctx: BuiltinContext, base: string): Promise<Found> {
  const i = ctx.inputs;
  const named = [...list(i.files), ...list(i.file)];
  const reports: string[] = [];
  const missing: string[] = [];
  for (const n of named) {
    if (/[*?[{]/.test(n)) {
      const hits = await glob(n, { cwd: base, absolute: true, dot: true });
      if (hits.length) reports.push(...hits);
      else missing.push(n);
    } else if (existsSync(resolve(base, n)) && statSync(resolve(base, n)).isFile())
      reports.push(resolve(base, n));
    else missing.push(n);
  }
  if (!bool(i.disable_search)) {
    const dir = resolve(base, i.directory || ".");
    const exclude = list(i.exclude).map((e) => `${e.replace(/\/+$/, "")}/**`);
    if (existsSync(dir))
      reports.push(
        ...(await glob(SEARCH, {
          cwd: dir,
          absolute: true,
          dot: true,
          ignore: [...NOT_SEARCHED, ...exclude],
        })),
      );
  }
  return { reports: [...new Set(reports.map((r) => resolve(r)))].sort(), missing };
}

/** Files by workspace path, every report's lines added up (a line is hit when any report hits it). */
function merge(all: Map<string, Map<number, number>>, path: string, lines: Map<number, number>): void {
  const into = all.get(path) ?? new Map<number, number>();
  for (const [n, h] of lines) into.set(n, (into.get(n) ?? 0) + h);
  all.set(path, into);
}

const total = (files: readonly FileCoverage[]): Tally =>
  files.reduce((t, f) => ({ lines: t.lines + f.lines, hit: t.hit + f.hit }), { lines: 0, hit: 0 });

function byDirectory(files: readonly FileCoverage[]): [string, Tally][] {
  const dirs = new Map<string, Tally>();
  for (const f of files) {
    const d = posix.dirname(f.path);
    const t = dirs.get(d) ?? { lines: 0, hit: 0 };
    dirs.set(d, { lines: t.lines + f.lines, hit: t.hit + f.hit });
  }
  return [...dirs].sort(([a], [b]) => a.localeCompare(b));
}

/** The files that lower the total most: the most missed lines first. */
const worst = (files: readonly FileCoverage[], n = 3) =>
  [...files]
    .filter((f) => f.hit < f.lines)
    .sort((a, b) => b.lines - b.hit - (a.lines - a.hit) || a.path.localeCompare(b.path))
    .slice(0, n);

const signed = (d: number) => `${d >= 0 ? "+" : ""}${d.toFixed(2)}`;

interface Base {
  branch: string;
  run: number;
  sha: string;
  files: FileCoverage[];
}

/** The default branch's last run that recorded this job's coverage, from the history. */
async function baseRun(ctx: BuiltinContext, branch: string): Promise<Base | undefined> {
  if (process.env.SLIPWAY_HISTORY === "0") return undefined;
  const db = await openHistory(ctx.job.repoRoot, false, ctx.job.historyUrl);
  if (!db) return undefined;
  try {
    const found = await lastCoverage(db, `refs/heads/${branch}`, ctx.job.key, runNumberOf(ctx.job));
    if (!found) return undefined;
    // The step's own coverage when the job had several codecov steps: the same step number, else all.
    const same = found.files.filter((f) => f.step === ctx.call.index);
    const files = (same.length ? same : found.files).map(({ path, lines, hit }) => ({ path, lines, hit }));
    return { branch, run: found.run, sha: found.sha, files };
  } finally {
    await db.close();
  }
}

/**
 * The commit range whose changed lines are the patch: push before..sha; pull request
 * base...head (from their merge base, as the pull request's diff shows it).
 */
function patchRange(ctx: BuiltinContext): [string, string, boolean] | undefined {
  const github = ctx.job.contexts.github as Record<string, Json>;
  const event = (github.event ?? {}) as Record<string, Json>;
  const pr = event.pull_request as Record<string, Record<string, Json>> | undefined;
  if (pr?.base?.sha && pr.head?.sha) return [String(pr.base.sha), String(pr.head.sha), true];
  const before = String(event.before ?? "");
  if (before && !/^0+$/.test(before)) return [before, String(github.sha ?? event.after ?? "HEAD"), false];
  return undefined;
}

function patchTally(
  files: Map<string, Map<number, number>>,
  changed: Map<string, Set<number>>,
): { tally: Tally; misses: FileCoverage[] } {
  const tally = { lines: 0, hit: 0 };
  const misses: FileCoverage[] = [];
  for (const [path, lines] of changed) {
    const cov = files.get(path);
    if (!cov) continue;
    let found = 0;
    let hit = 0;
    for (const n of lines) {
      const h = cov.get(n);
      if (h === undefined) continue;
      found++;
      if (h > 0) hit++;
    }
    tally.lines += found;
    tally.hit += hit;
    if (found) misses.push({ path, lines: found, hit });
  }
  return { tally, misses };
}

function summary(
  name: string,
  files: readonly FileCoverage[],
  base: Base | undefined,
  verdicts: Verdict[],
  config: CodecovConfig | undefined,
): string {
  const t = total(files);
  const out = [`### Coverage${name ? `: ${name}` : ""}`, ""];
  const change = base
    ? ` (${signed(pct(t) - pct(total(base.files)))} against ${base.branch}, run ${base.run})`
    : "";
  out.push(`**${fmt(pct(t))}** of lines covered: ${t.hit} of ${t.lines}${change}`, "");
  const baseDirs = new Map(base ? byDirectory(base.files) : []);
  out.push(
    `| Directory | Lines | Hit | Coverage |${base ? ` Change |` : ""}`,
    `| --- | ---: | ---: | ---: |${base ? " ---: |" : ""}`,
  );
  for (const [d, dt] of byDirectory(files)) {
    const b = baseDirs.get(d);
    out.push(
      `| ${d} | ${dt.lines} | ${dt.hit} | ${fmt(pct(dt))} |${base ? ` ${b ? signed(pct(dt) - pct(b)) : "new"} |` : ""}`,
    );
  }
  if (verdicts.length) {
    out.push("", `Gates of ${config?.file}:`, "");
    for (const v of verdicts) out.push(`- ${v.passed ? "✅" : "❌"} ${v.message}`);
  }
  return `${out.join("\n")}\n`;
}

/** codecov/codecov-action (v3, v4, v5). */
export const codecov: Builtin = {
  inputs: {
    files: "",
    file: "",
    directory: "",
    exclude: "",
    disable_search: "false",
    fail_ci_if_error: "false",
    handle_no_reports_found: "false",
    "working-directory": "",
    codecov_yml_path: "",
    name: "",
  },
  ignored: {
    token: UPLOAD,
    url: UPLOAD,
    slug: UPLOAD,
    use_oidc: UPLOAD,
    use_legacy_upload_endpoint: UPLOAD,
    override_branch: UPLOAD,
    override_build: UPLOAD,
    override_build_url: UPLOAD,
    override_commit: UPLOAD,
    override_pr: UPLOAD,
    override_tag: UPLOAD,
    commit_parent: UPLOAD,
    git_service: UPLOAD,
    job_code: UPLOAD,
    report_code: UPLOAD,
    report_type:
      "no effect offline (test result uploads are Codecov's; the test-report built-ins read JUnit XML)",
    env_vars: UPLOAD,
    network_filter: CLI,
    network_prefix: CLI,
    root_dir: CLI,
    binary: CLI,
    version: CLI,
    os: CLI,
    skip_validation: CLI,
    disable_safe_directory: CLI,
    disable_file_fixes: CLI,
    plugin: CLI,
    plugins: CLI,
    gcov: CLI,
    gcov_args: CLI,
    gcov_executable: CLI,
    gcov_ignore: CLI,
    gcov_include: CLI,
    move_coverage_to_trash: CLI,
    xtra_args: CLI,
    swift: CLI,
    swift_project: CLI,
    xcode: CLI,
    xcode_archive_path: CLI,
    xcode_derived_data: CLI,
    xcode_package: CLI,
    functionalities: CLI,
    full_report: CLI,
    path_to_write_report: CLI,
    disable_telem: CLI,
    use_pypi: CLI,
    run_command: CLI,
    verbose: CLI,
    dry_run: "no effect offline (nothing is ever uploaded)",
    flags: "no effect offline (Codecov groups uploads by flag; here each job's coverage is its own)",
    recurse_submodules: CLI,
    exclude_paths: CLI,
  },
  async run(ctx) {
    const i = ctx.inputs;
    const failOnError = bool(i.fail_ci_if_error);
    // Codecov's own errors (no report, a broken one) fail the step only when asked to.
    const error = (msg: string) => {
      if (failOnError) throw new StepError(`${msg} (fail_ci_if_error)`);
      ctx.warn(msg);
    };
    ctx.log(
      "Offline: coverage is read and checked here and kept in the run history; nothing is uploaded to Codecov.",
    );
    const base = resolve(ctx.workspace, i["working-directory"] || ".");
    const { reports, missing } = await findReports(ctx, base);
    for (const m of missing) error(`Coverage file not found: ${m}`);
    const all = new Map<string, Map<number, number>>();
    let read = 0;
    // Files the reports name that are not in the workspace: Codecov counts only the repository's.
    const outside = new Map<string, Map<number, number>>();
    for (const r of reports) {
      const rel = toPosix(relative(ctx.workspace, r)) || r;
      let files: FileLines[];
      try {
        files = readCoverage(readFileSync(r, "utf8"), rel);
      } catch (e) {
        if (!(e instanceof CoverageError)) throw e;
        error(e.message);
        continue;
      }
      read++;
      for (const f of files) {
        const placed = placePath(f, ctx.workspace, join(r, ".."));
        if (placed) merge(all, placed, f.lines);
        else merge(outside, f.path, f.lines);
      }
      ctx.log(`${rel}: ${files.length} file(s)`);
    }
    if (!read) {
      const msg = "No coverage reports found";
      if (bool(i.handle_no_reports_found)) ctx.log(`${msg} (handle_no_reports_found: not an error)`);
      else error(msg);
      return {};
    }
    if (outside.size) {
      const names = [...outside.keys()];
      const some = `${names.slice(0, 3).join(", ")}${names.length > 3 ? ", ..." : ""}`;
      // None in the workspace: the report is all there is (a tree this step cannot see); kept.
      if (!all.size) {
        ctx.warn(`No file the reports name is in the workspace (${some}): counted as the reports name them`);
        for (const [p, l] of outside) all.set(p, l);
      } else
        ctx.log(`${names.length} file(s) the reports name are not in the workspace, not counted: ${some}`);
    }
    let config: CodecovConfig | undefined;
    try {
      config = readCodecovConfig(ctx.workspace, i.codecov_yml_path || undefined);
    } catch (e) {
      if (!(e instanceof CodecovConfigError)) throw e;
      // As Codecov: a broken file is its error, fatal only when asked; then no gate applies.
      error(`${e.message}; no gate applied`);
    }
    // codecov.yml's ignore: those files are not counted, as Codecov drops them from the report.
    if (config?.ignore.length) {
      const ignored = pathMatcher(config.ignore);
      const dropped = [...all.keys()].filter(ignored);
      for (const p of dropped) all.delete(p);
      if (dropped.length)
        ctx.log(
          `${config.file}: ignore: ${dropped.length} file(s) not counted: ${dropped.slice(0, 3).join(", ")}${dropped.length > 3 ? ", ..." : ""}`,
        );
    }
    const files: FileCoverage[] = [...all]
      .map(([path, lines]) => ({ path, ...countLines(lines) }))
      .sort((a, b) => a.path.localeCompare(b.path));
    const t = total(files);
    const step = ctx.call.index;
    ctx.job.emit({ type: "coverage", job: ctx.job.key, step, files, total: t });
    ctx.log(
      `Coverage: ${fmt(pct(t))} (${t.hit} of ${t.lines} lines in ${files.length} file(s), from ${read} report(s))`,
    );

    const github = ctx.job.contexts.github as Record<string, Json>;
    const repo = ((github.event as Record<string, Json> | undefined)?.repository ?? {}) as Record<
      string,
      Json
    >;
    const branch = String(repo.default_branch || "main");
    let prior: Base | undefined;
    try {
      prior = await baseRun(ctx, branch);
    } catch (e) {
      ctx.warn(
        `the run history could not be read, so no change against ${branch} is shown: ${(e as Error).message}`,
      );
    }
    if (prior) {
      const d = pct(t) - pct(total(prior.files));
      ctx.log(
        `Against ${branch} (run ${prior.run}, ${prior.sha.slice(0, 7)}): ${fmt(pct(total(prior.files)))} → ${fmt(pct(t))} (${signed(d)})`,
      );
    } else ctx.log(`No earlier run on ${branch} recorded coverage for this job: nothing to compare with.`);

    const verdicts: Verdict[] = [];
    if (!config) ctx.log("No codecov.yml: no gate, coverage reported only.");
    else {
      for (const k of config.ignored) ctx.log(`${config.file}: ${k} is not applied offline`);
      const baseTally = prior ? total(prior.files) : undefined;
      for (const g of config.gates) {
        // A status's paths: the gate judges those files only (the base's total too).
        const inPaths = g.paths ? pathMatcher(g.paths) : undefined;
        const judged = inPaths ? files.filter((f) => inPaths(f.path)) : files;
        const judgedBase = inPaths && prior ? total(prior.files.filter((f) => inPaths(f.path))) : baseTally;
        if (g.kind === "project") {
          const v = judge(g, total(judged), judgedBase);
          if (g.paths)
            v.message = v.message.replace(`(${g.name})`, `(${g.name}, paths ${g.paths.join(" ")})`);
          if (!v.passed)
            v.message += `; lowered most by ${worst(judged)
              .map((f) => `${f.path} (${f.hit}/${f.lines})`)
              .join(", ")}`;
          verdicts.push(v);
          continue;
        }
        const range = patchRange(ctx);
        // The workspace's clone may be shallow (checkout's depth 1): then the repository itself.
        const changed =
          range && (changedLines(ctx.workspace, ...range) ?? changedLines(ctx.job.repoRoot, ...range));
        if (!changed) {
          ctx.log(
            `patch coverage (${g.name}): the commit's changed lines are not known (no base commit), not checked`,
          );
          continue;
        }
        const { tally, misses } = patchTally(
          inPaths ? new Map([...all].filter(([p]) => inPaths(p))) : all,
          changed,
        );
        const v = judge(g, tally, judgedBase);
        v.message = v.message.replace(
          "coverage (",
          `coverage of ${range[0].slice(0, 7)}${range[2] ? "..." : ".."}${range[1].slice(0, 7)} (`,
        );
        if (!v.passed)
          v.message += `; lowered most by ${worst(misses)
            .map((f) => `${f.path} (${f.hit}/${f.lines} changed lines)`)
            .join(", ")}`;
        verdicts.push(v);
      }
      // A failed gate is said once, as the step's error.
      for (const v of verdicts) if (v.passed) ctx.log(v.message);
    }
    ctx.job.emit({
      type: "summary",
      job: ctx.job.key,
      step,
      markdown: summary(i.name, files, prior, verdicts, config),
    });
    const failed = verdicts.filter((v) => !v.passed);
    // One line: an annotation's message.
    if (failed.length === 1) throw new StepError(failed[0]!.message);
    if (failed.length)
      throw new StepError(
        `${failed.length} coverage gates failed: ${failed.map((v) => v.message).join("; ")}`,
      );
    return {};
  },
};
