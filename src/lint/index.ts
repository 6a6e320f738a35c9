// `slipway lint` as a library: every workflow and local action under .github/ (or the given
// paths), checked by each rule, minus what the config and inline comments suppress.
import { existsSync, statSync } from "node:fs";
import { basename, join, normalize, relative, resolve, sep } from "node:path";
import { defaultStore } from "../action-store/store.js";
import { loadWorkflowDocument } from "../workflow/load.js";
import { ActionMetaCache } from "./action-meta.js";
import { auditSource } from "./audit.js";
import { loadConfig } from "./config.js";
import { type LintContext, report } from "./context.js";
import { type Finding, sortFindings } from "./finding.js";
import { aliasBomb, readInput } from "./input.js";
import { loaderFindings } from "./loader-findings.js";
import { workflowModel } from "./model.js";
import { checkActionInputs } from "./rules/action-inputs.js";
import { checkAnchors } from "./rules/anchors.js";
import { checkCron } from "./rules/cron.js";
import { checkDeprecatedActions } from "./rules/deprecated-actions.js";
import { checkDeprecatedCommands } from "./rules/deprecated-commands.js";
import { checkDockerUses } from "./rules/docker-uses.js";
import { checkEnvNames } from "./rules/env-names.js";
import { ExpressionChecker } from "./rules/expressions.js";
import { checkFilters } from "./rules/filters.js";
import { checkConstantIfs } from "./rules/if-constant.js";
import { checkInputDefaults } from "./rules/input-defaults.js";
import { checkMatrixExclude } from "./rules/matrix.js";
import { checkNeeds } from "./rules/needs.js";
import { CalleeCache, checkReusableCalls } from "./rules/reusable.js";
import { checkRunsOn } from "./rules/runs-on.js";
import { checkShells } from "./rules/shell.js";
import { checkShellcheck, shellcheckAvailable } from "./rules/shellcheck.js";
import { checkStrategy } from "./rules/strategy.js";
import { auditDependabot, isDependabot } from "./rules-security/dependabot.js";
import type { Persona } from "./rules-security/docs.js";
import { get, nodePos, parseSource, type SourceFile, str } from "./source.js";
import { isSuppressed, suppressions } from "./suppress.js";
import { symlinkLoops } from "./symlinks.js";

export interface LintOptions {
  /** shellcheck binary; false to skip it. Default: $SLIPWAY_SHELLCHECK or `shellcheck` on PATH. */
  shellcheck?: string | false;
  /** Also run the security audit on the same parsed files (one pass for both). */
  audit?: { store?: string; persona?: Persona };
}

export interface LintResult {
  findings: Finding[];
  /** File (relative to root) -> text, for rendering source lines. */
  sources: Map<string, string>;
  /** Things said once, such as "shellcheck is not installed". */
  notes: string[];
  /** Paths given that do not exist. */
  missing: string[];
  /** Files that are not workflow text at all (binary, not UTF-8, too big, alias bombs): exit 2. */
  unreadable: string[];
  files: number;
}

const WORKFLOWS = [".github/workflows/*.yml", ".github/workflows/*.yaml"];
const ACTIONS = [".github/**/action.yml", ".github/**/action.yaml"];
const DEPENDABOT = ["dependabot.yml", "dependabot.yaml"];
const isAction = (p: string) => /^action\.ya?ml$/.test(basename(p));

/** Files to lint under root (or under the given paths, files or directories, relative to root). */
/** `dependabot`: .github/dependabot.y(a)ml (or such files among the paths), which only audit reads. */
export async function discover(
  root: string,
  paths?: string[],
): Promise<{ files: string[]; missing: string[]; loops: string[]; dependabot: string[] }> {
  if (!paths?.length) {
    // Loaded here: explicit files (an editor, a hook) need no globbing.
    const { glob } = await import("tinyglobby");
    const found = await glob([...WORKFLOWS, ...ACTIONS], { cwd: root, absolute: true, dot: true });
    const dependabot = DEPENDABOT.map((n) => join(root, ".github", n)).filter((p) => existsSync(p));
    return {
      files: found.sort(),
      missing: [],
      loops: symlinkLoops(join(root, ".github"), root),
      dependabot: dependabot.slice(0, 1),
    };
  }
  const files = new Set<string>();
  const missing: string[] = [];
  const loops: string[] = [];
  for (const p of paths) {
    const abs = resolve(root, p);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      missing.push(p);
      continue;
    }
    if (!isDir) {
      files.add(abs);
      continue;
    }
    loops.push(...symlinkLoops(abs, root));
    const patterns = [...WORKFLOWS, ...ACTIONS].map((g) => `**/${g}`);
    const { glob } = await import("tinyglobby");
    let found = await glob(patterns, { cwd: abs, absolute: true, dot: true });
    // A workflows folder itself, or any folder of loose YAML files.
    if (found.length === 0) found = await glob(["*.yml", "*.yaml"], { cwd: abs, absolute: true, dot: true });
    for (const f of found) files.add(f);
  }
  const all = [...files].sort();
  return {
    files: all.filter((f) => !isDependabot(basename(f))),
    missing,
    loops: [...new Set(loops)],
    dependabot: all.filter((f) => isDependabot(basename(f))),
  };
}

/** The folder holding the .github/ a file is under, else `fallback`. */
function repositoryOf(path: string, fallback: string): string {
  const i = path.lastIndexOf(`${sep}.github${sep}`);
  return i > 0 ? path.slice(0, i) : i === 0 ? sep : fallback;
}

async function lintWorkflow(ctx: LintContext, callees: CalleeCache, shellcheck: string | undefined) {
  const { src } = ctx;
  const loaded = await loadWorkflowDocument(src.text, src.doc, src.lines, src.file, src.path, ctx.root);
  if (src.doc.errors.length === 0) {
    ctx.model = workflowModel(src);
    new ExpressionChecker(ctx, callees).run();
    checkNeeds(ctx);
    checkReusableCalls(ctx, callees);
    checkRunsOn(ctx);
    checkMatrixExclude(ctx);
    checkFilters(ctx);
    checkCron(ctx);
    checkDeprecatedCommands(ctx);
    checkDeprecatedActions(ctx);
    checkShells(ctx);
    checkEnvNames(ctx);
    checkConstantIfs(ctx);
    checkStrategy(ctx);
    checkInputDefaults(ctx);
    checkDockerUses(ctx);
    checkActionInputs(ctx);
    if (shellcheck) await checkShellcheck(ctx, shellcheck);
  }
  if (src.doc.errors.length === 0) checkAnchors(ctx);
  // A called workflow is named as the loader read it: `./` paths relative to the repository.
  const callSite = (callee: string) => {
    for (const job of ctx.model?.jobs.values() ?? []) {
      const uses = str(job.uses)?.trim();
      if (
        uses &&
        (uses === callee || (uses.startsWith("./") && normalize(uses.slice(2)) === normalize(callee)))
      )
        return nodePos(src, job.uses);
    }
    return undefined;
  };
  ctx.findings.push(...loaderFindings(loaded.diagnostics, src.file, ctx.findings, callSite));
}

async function lintAction(ctx: LintContext, callees: CalleeCache, shellcheck: string | undefined) {
  const { src } = ctx;
  for (const e of src.doc.errors) report(ctx, "syntax", e.pos[0], e.message.split("\n")[0]!);
  if (src.doc.errors.length > 0) return;
  const runs = get(src.doc.contents, "runs");
  if (!runs || !get(runs, "using")) {
    report(ctx, "syntax", runs ?? src.doc.contents ?? 0, "an action needs 'runs' with 'using'");
    return;
  }
  new ExpressionChecker(ctx, callees).run();
  checkDeprecatedCommands(ctx);
  checkDeprecatedActions(ctx);
  checkShells(ctx);
  checkEnvNames(ctx);
  checkConstantIfs(ctx);
  checkDockerUses(ctx);
  checkActionInputs(ctx);
  checkAnchors(ctx);
  if (shellcheck) await checkShellcheck(ctx, shellcheck);
}

async function resolveShellcheck(opt: LintOptions["shellcheck"]): Promise<string | undefined> {
  if (opt === false) return undefined;
  const env = process.env.SLIPWAY_SHELLCHECK;
  if (opt === undefined && env === "off") return undefined;
  const bin = opt ?? env ?? "shellcheck";
  return (await shellcheckAvailable(bin)) ? bin : undefined;
}

export async function lintRepoDetailed(
  root: string,
  paths?: string[],
  opts: LintOptions = {},
): Promise<LintResult> {
  root = resolve(root);
  const { config, errors } = loadConfig(root);
  const { files, missing, loops, dependabot } = await discover(root, paths);
  const notes: string[] = [];
  const shellcheck = await resolveShellcheck(opts.shellcheck);
  if (!shellcheck && opts.shellcheck !== false && process.env.SLIPWAY_SHELLCHECK !== "off") {
    notes.push("shellcheck is not installed, so run: scripts were not checked");
  }
  const sources = new Map<string, string>();
  const unreadable: string[] = [...loops];
  const findings: Finding[] = errors.map((d) => ({
    rule: "config",
    severity: "error",
    message: d.message,
    file: d.file,
    line: d.line ?? 1,
    col: d.col ?? 1,
  }));
  const callees = new CalleeCache();
  const store = opts.audit?.store ?? defaultStore();
  const storeSeen = new Map<string, string | undefined>();
  const actions = new ActionMetaCache(store);
  // One file at a time: each file's trees are garbage before the next is read (all at once kept
  // every tree alive to the end: 12% more memory and 6% more time on the corpus, mostly GC). With
  // shellcheck, a child process per file, files overlap so those processes run side by side.
  const lintOne = async (path: string): Promise<Finding[]> => {
    const file = relative(root, path) || basename(path);
    const input = readInput(path, file);
    if ("problem" in input) {
      unreadable.push(input.problem);
      return [];
    }
    const text = input.text;
    const src: SourceFile = parseSource(text, file, path, isAction(path) ? "action" : "workflow");
    const bomb = aliasBomb(src);
    if (bomb) {
      unreadable.push(bomb);
      return [];
    }
    sources.set(file, text);
    // `./` references resolve from the repository the file is in (the folder holding its
    // .github/), which need not be where slipway was started.
    const ctx: LintContext = {
      root: repositoryOf(path, root),
      src,
      model: undefined,
      config,
      findings: [],
      actions,
    };
    await (src.kind === "action" ? lintAction : lintWorkflow)(ctx, callees, shellcheck);
    const marks = suppressions(text);
    const own = ctx.findings.filter((f) => !isSuppressed(f, marks) && !config.ignore.get(f.rule)?.(f.file));
    if (!opts.audit) return own;
    // A syntax error is lint's to report; audit's "cannot audit" would say it twice.
    const audited = auditSource(src, {
      root,
      store,
      storeSeen,
      model: ctx.model,
      persona: opts.audit.persona ?? "regular",
      forbiddenUses: config.forbiddenUses,
    }).filter((f) => f.rule !== "syntax" && !config.ignore.get(f.rule)?.(f.file));
    // An always-true if: is lint's if-always-true and audit's unsound-condition at one place:
    // said once, by lint. An untagged docker:// image is said once, by audit's unpinned-images,
    // whose fix (a digest) is the better one.
    const at = (list: Finding[], rule: string) =>
      new Set(list.filter((f) => f.rule === rule).map((f) => `${f.line}:${f.col}`));
    const alwaysTrue = at(own, "if-always-true");
    const unpinned = at(audited, "unpinned-images");
    return [
      ...own.filter((f) => f.rule !== "docker-image-tag" || !unpinned.has(`${f.line}:${f.col}`)),
      ...audited.filter((f) => f.rule !== "unsound-condition" || !alwaysTrue.has(`${f.line}:${f.col}`)),
    ];
  };
  if (shellcheck) for (const list of await Promise.all(files.map(lintOne))) findings.push(...list);
  else for (const path of files) findings.push(...(await lintOne(path)));
  // dependabot.yml has no workflow to lint; the audit reads it.
  for (const path of opts.audit ? dependabot : []) {
    const file = relative(root, path) || basename(path);
    const input = readInput(path, file);
    if ("problem" in input) {
      unreadable.push(input.problem);
      continue;
    }
    sources.set(file, input.text);
    for (const f of auditDependabot(input.text, file, opts.audit?.persona))
      if (!config.ignore.get(f.rule)?.(f.file)) findings.push(f);
  }
  sortFindings(findings);
  unreadable.sort();
  return {
    findings,
    sources,
    notes,
    missing,
    unreadable,
    files: files.length + (opts.audit ? dependabot.length : 0),
  };
}

/** Findings for every workflow and local action of the repository at `root`. */
export async function lintRepo(root: string, paths?: string[]): Promise<Finding[]> {
  return (await lintRepoDetailed(root, paths)).findings;
}
