// Lint settings from .slipway.yml, or the "slipway" key of package.json when that file is absent:
//   ignore: { rule-id: [glob, ...] }   rules switched off for matching files
//   runner-labels: [label, ...]        self-hosted runner labels (globs allowed)
// The self-hosted-runner labels of an actionlint config (.github/actionlint.yaml) count as
// runner-labels too: a repository moving from actionlint keeps its list.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import picomatch from "picomatch";
import { parse } from "yaml";
import type { Diagnostic } from "../workflow/diagnostic.js";

export interface LintConfig {
  /** Where the config came from, relative to the root; undefined when there is none. */
  file: string | undefined;
  ignore: Map<string, (file: string) => boolean>;
  runnerLabels: ((label: string) => boolean)[];
}

export const EMPTY_CONFIG: LintConfig = { file: undefined, ignore: new Map(), runnerLabels: [] };

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

/** Config and the problems found in it (bad shapes are reported, never thrown). */
export function loadConfig(root: string): { config: LintConfig; errors: Diagnostic[] } {
  const { config, errors } = loadOwnConfig(root);
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
  return { config, errors };
}
