// Lint settings from .slipway.yml, or the "slipway" key of package.json when that file is absent:
//   ignore: { rule-id: [glob, ...] }   rules switched off for matching files
//   runner-labels: [label, ...]        self-hosted runner labels (globs allowed)
//   forbidden-uses: { allow: [pattern, ...] } or { deny: [pattern, ...] }
//                                      which uses: the audit accepts (zizmor's forbidden-uses;
//                                      without it, zizmor.yml's rules.forbidden-uses.config counts)
// The self-hosted-runner labels of an actionlint config (.github/actionlint.yaml) count as
// runner-labels too: a repository moving from actionlint keeps its list.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import picomatch from "picomatch";
import { parse } from "yaml";
import type { Diagnostic } from "../workflow/diagnostic.js";
import type { ForbiddenUses } from "./rules-security/context.js";

export interface LintConfig {
  /** Where the config came from, relative to the root; undefined when there is none. */
  file: string | undefined;
  ignore: Map<string, (file: string) => boolean>;
  runnerLabels: ((label: string) => boolean)[];
  forbiddenUses?: ForbiddenUses;
}

export const EMPTY_CONFIG: LintConfig = { file: undefined, ignore: new Map(), runnerLabels: [] };

/**
 * uses: patterns as zizmor's repository patterns read: `owner/repo/path@ref` and `owner/repo@ref`
 * (exactly that ref), `owner/repo/path` and `owner/repo` (exactly that action, any ref),
 * `owner/repo/*` (the repository and every path in it), `owner/*` (the whole owner), `*` (all).
 * Matched against `owner/repo[/path]@ref`, case ignored.
 */
export function usesMatcher(patterns: string[]): (uses: string) => boolean {
  const list = patterns.map((p) => p.trim().toLowerCase());
  return (uses) => {
    const u = uses.toLowerCase();
    const at = u.lastIndexOf("@");
    const name = at < 0 ? u : u.slice(0, at);
    return list.some((p) => {
      if (p === "*") return true;
      if (p.includes("@")) return p === u;
      if (!p.endsWith("/*")) return p === name;
      const prefix = p.slice(0, -2);
      return name === prefix || name.startsWith(`${prefix}/`);
    });
  };
}

function readRaw(root: string): { file: string; value: unknown } | { error: Diagnostic } | undefined {
  for (const name of [".slipway.yml", ".slipway.yaml"]) {
    let text: string;
    try {
      text = readFileSync(join(root, name), "utf8");
    } catch {
      continue;
    }
    try {
      return { file: name, value: parse(text) ?? {} };
    } catch (e) {
      return { error: { file: name, line: 1, col: 1, message: `cannot parse: ${(e as Error).message}` } };
    }
  }
  try {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { slipway?: unknown };
    if (pkg.slipway !== undefined) return { file: "package.json", value: pkg.slipway };
  } catch {
    // no package.json, or not ours to judge
  }
  return undefined;
}

const asStrings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === "string") ? v : typeof v === "string" ? [v] : undefined;

/** `self-hosted-runner.labels` of .github/actionlint.y(a)ml; an unreadable file gives none. */
function actionlintLabels(root: string): ((label: string) => boolean)[] {
  for (const name of ["actionlint.yaml", "actionlint.yml"]) {
    let text: string;
    try {
      text = readFileSync(join(root, ".github", name), "utf8");
    } catch {
      continue;
    }
    try {
      const labels = asStrings(
        (parse(text) as { "self-hosted-runner"?: { labels?: unknown } })?.["self-hosted-runner"]?.labels,
      );
      return (labels ?? []).map((l) => picomatch(l, { nocase: true }));
    } catch {
      return []; // actionlint's config: actionlint reports its problems
    }
  }
  return [];
}

/** zizmor's `rules.forbidden-uses.config` (in zizmor's search order), for a repository moving over. */
function zizmorForbiddenUses(root: string): ForbiddenUses | undefined {
  for (const name of [".github/zizmor.yml", ".github/zizmor.yaml", "zizmor.yml", "zizmor.yaml"]) {
    let text: string;
    try {
      text = readFileSync(join(root, name), "utf8");
    } catch {
      continue;
    }
    try {
      const cfg = (parse(text) as { rules?: { "forbidden-uses"?: { config?: Record<string, unknown> } } })
        ?.rules?.["forbidden-uses"]?.config;
      const allow = asStrings(cfg?.allow);
      const deny = asStrings(cfg?.deny);
      return allow ? { allow: usesMatcher(allow) } : deny ? { deny: usesMatcher(deny) } : undefined;
    } catch {
      return undefined; // zizmor's config: zizmor reports its problems
    }
  }
  return undefined;
}

/** Config and the problems found in it (bad shapes are reported, never thrown). */
export function loadConfig(root: string): { config: LintConfig; errors: Diagnostic[] } {
  const own = loadOwnConfig(root);
  const { errors } = own;
  let { config } = own;
  if (!config.forbiddenUses && errors.length === 0) {
    const fromZizmor = zizmorForbiddenUses(root);
    if (fromZizmor) config = { ...config, forbiddenUses: fromZizmor };
  }
  const fromActionlint = actionlintLabels(root);
  if (fromActionlint.length === 0) return { config, errors };
  return { config: { ...config, runnerLabels: [...config.runnerLabels, ...fromActionlint] }, errors };
}

function loadOwnConfig(root: string): { config: LintConfig; errors: Diagnostic[] } {
  const raw = readRaw(root);
  if (!raw) return { config: EMPTY_CONFIG, errors: [] };
  if ("error" in raw) return { config: EMPTY_CONFIG, errors: [raw.error] };
  const errors: Diagnostic[] = [];
  const config: LintConfig = { file: raw.file, ignore: new Map(), runnerLabels: [] };
  const value = raw.value as Record<string, unknown>;
  if (typeof value !== "object" || value === null) {
    errors.push({ file: raw.file, line: 1, col: 1, message: "configuration must be a mapping" });
    return { config, errors };
  }
  const ignore = value.ignore;
  if (ignore !== undefined) {
    if (typeof ignore !== "object" || ignore === null || Array.isArray(ignore)) {
      errors.push({ file: raw.file, line: 1, col: 1, message: "ignore must map rule ids to lists of globs" });
    } else {
      for (const [rule, globs] of Object.entries(ignore)) {
        const list = asStrings(globs);
        if (!list) {
          errors.push({ file: raw.file, line: 1, col: 1, message: `ignore.${rule} must be a list of globs` });
          continue;
        }
        config.ignore.set(rule, picomatch(list, { dot: true }));
      }
    }
  }
  if (value["runner-labels"] !== undefined) {
    const labels = asStrings(value["runner-labels"]);
    if (labels) config.runnerLabels = labels.map((l) => picomatch(l, { nocase: true }));
    else errors.push({ file: raw.file, line: 1, col: 1, message: "runner-labels must be a list of labels" });
  }
  const forbidden = value["forbidden-uses"];
  if (forbidden !== undefined) {
    const f = (forbidden ?? {}) as Record<string, unknown>;
    const allow = asStrings(f.allow);
    const deny = asStrings(f.deny);
    if (
      typeof forbidden !== "object" ||
      Array.isArray(forbidden) ||
      (allow === undefined) === (deny === undefined)
    )
      errors.push({
        file: raw.file,
        line: 1,
        col: 1,
        message:
          "forbidden-uses must have either allow: or deny: (a list of uses: patterns such as actions/*)",
      });
    else config.forbiddenUses = allow ? { allow: usesMatcher(allow) } : { deny: usesMatcher(deny!) };
  }
  return { config, errors };
}
