import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import picomatch from "picomatch";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";

/**
 * The coverage gates of a repository's codecov.yml, as Codecov applies them to its commit
 * statuses: `coverage.status.project.<name>` (the whole report) and `coverage.status.patch.<name>`
 * (the lines the commit changed), each with `target` (a percentage or "auto": the base's
 * coverage), `threshold` (how far below the target still passes) and `informational` (report,
 * never fail) and `paths` (the files it judges); and the top-level `ignore` (files not counted
 * at all). Other keys (flags, branches, if_ci_failed, ...) are not applied.
 */

export class CodecovConfigError extends Error {}

export interface Gate {
  kind: "project" | "patch";
  /** The status's name (`default`, or the one the file gives). */
  name: string;
  /** A percentage, or "auto": the base run's total coverage. */
  target: number | "auto";
  threshold: number;
  informational: boolean;
  /** Codecov path patterns: the gate judges only the files they match (undefined: all). */
  paths?: string[];
}

export interface CodecovConfig {
  /** Where it was read, relative to the workspace. */
  file: string;
  gates: Gate[];
  /** The top-level `ignore` patterns: files not counted at all. */
  ignore: string[];
  /** Keys under a status that are read but not applied here. */
  ignored: string[];
}

/** Where Codecov looks for its file, in its order. */
export const CONFIG_PLACES = [
  "codecov.yml",
  ".codecov.yml",
  "codecov.yaml",
  ".codecov.yaml",
  ".github/codecov.yml",
  ".github/.codecov.yml",
  "dev/codecov.yml",
  "dev/.codecov.yml",
];

const APPLIED = new Set(["target", "threshold", "informational", "base", "paths"]);

/**
 * Codecov's path patterns (`ignore`, a status's `paths`): a glob when it has `*` not part of a
 * regex's `.*` (`**\/*.py`; `tests/*` is not recursive, and a glob matches files, not the
 * folders above them), else a regex anchored at the path's start, so a
 * plain `project2` is the top-level folder and all below it, and `test_.*\.rb` a regex.
 * A leading `!` excludes. Matches when any positive pattern does and no negative one.
 */
export function pathMatcher(patterns: readonly string[]): (path: string) => boolean {
  const one = (p: string): ((path: string) => boolean) => {
    if (/\*\*|(^|[^.\\])\*/.test(p)) {
      const glob = picomatch(p.replace(/^\.\//, ""), { dot: true });
      return (path) => glob(path);
    }
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${p.replace(/^\^/, "").replace(/^\.\//, "")})`);
    } catch {
      return (path) => path === p || path.startsWith(`${p.replace(/\/$/, "")}/`);
    }
    return (path) => re.test(path);
  };
  const plus = patterns.filter((p) => !p.startsWith("!")).map(one);
  const minus = patterns.filter((p) => p.startsWith("!")).map((p) => one(p.slice(1)));
  return (path) => (plus.length === 0 || plus.some((m) => m(path))) && !minus.some((m) => m(path));
}

/** A list of strings at `path` (a single string is a list of one), or undefined when absent. */
function patternList(
  doc: ReturnType<typeof parseDocument>,
  path: (string | number)[],
  where: string,
): string[] | undefined {
  const node = doc.getIn(path, true);
  if (node === undefined || node === null) return undefined;
  if (isScalar(node) && typeof node.value === "string") return [node.value];
  if (isSeq(node) && node.items.every((x) => isScalar(x) && typeof x.value === "string"))
    return node.items.map((x) => String((x as { value: string }).value));
  throw new CodecovConfigError(`${where}: expected a list of paths`);
}

/** "80%", "80", 80, "79.5%" → 79.5; "auto" → "auto". */
function percent(v: unknown, where: string, auto: boolean): number | "auto" {
  const s = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : "";
  if (auto && s === "auto") return "auto";
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(s);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!(n >= 0 && n <= 100))
    throw new CodecovConfigError(
      `${where}: expected a percentage (80, "80%"${auto ? ' or "auto"' : ""}), got ${JSON.stringify(v)}`,
    );
  return n;
}

/** The gates of codecov.yml text; `file` names it in errors (file:line:col). */
export function parseCodecovYaml(text: string, file: string): CodecovConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    throw new CodecovConfigError(
      `${file}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML: ${e.message.split("\n")[0]}`,
    );
  }
  const where = (path: (string | number)[]) => {
    const node = doc.getIn(path, true) as { range?: [number, number] } | undefined;
    const pos = node?.range ? counter.linePos(node.range[0]) : undefined;
    return `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: ${path.join(".")}`;
  };
  const gates: Gate[] = [];
  const ignored: string[] = [];
  for (const kind of ["project", "patch"] as const) {
    const node = doc.getIn(["coverage", "status", kind], true);
    // `project: off` / `false`: no status of that kind; absent: Codecov's default, not a gate here.
    if (!node || isScalar(node)) continue;
    if (!isMap(node))
      throw new CodecovConfigError(`${where(["coverage", "status", kind])}: expected a mapping`);
    for (const pair of node.items) {
      const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const at = ["coverage", "status", kind, name];
      const v = (pair.value && isMap(pair.value) ? pair.value.toJSON() : {}) as Record<string, unknown>;
      if (pair.value && isScalar(pair.value) && [false, "off"].includes(pair.value.value as string)) continue;
      for (const k of Object.keys(v)) if (!APPLIED.has(k)) ignored.push(`${at.join(".")}.${k}`);
      const paths = patternList(doc, [...at, "paths"], where([...at, "paths"]));
      gates.push({
        kind,
        name,
        ...(paths ? { paths } : {}),
        target: v.target === undefined ? "auto" : percent(v.target, where([...at, "target"]), true),
        threshold:
          v.threshold === undefined
            ? 0
            : (percent(v.threshold, where([...at, "threshold"]), false) as number),
        informational: v.informational === true,
      });
    }
  }
  const ignore = patternList(doc, ["ignore"], where(["ignore"])) ?? [];
  return { file, gates, ignore, ignored };
}

/** The repository's codecov.yml (`path` when the step names one), or undefined when it has none. */
export function readCodecovConfig(workspace: string, path?: string): CodecovConfig | undefined {
  for (const rel of path ? [path] : CONFIG_PLACES) {
    const full = join(workspace, rel);
    if (existsSync(full)) return parseCodecovYaml(readFileSync(full, "utf8"), rel);
  }
  return undefined;
}

export interface Tally {
  lines: number;
  hit: number;
}

export const pct = (t: Tally) => (t.lines ? (t.hit / t.lines) * 100 : 100);
/** Codecov's default: two decimals, rounded down. */
export const fmt = (n: number) => `${(Math.floor(n * 100 + 1e-9) / 100).toFixed(2)}%`;

export interface Verdict {
  gate: Gate;
  /** The target as applied (auto resolved), undefined when auto had no base. */
  target?: number;
  actual?: number;
  passed: boolean;
  message: string;
}

/**
 * Applies a gate: `actual` is the project's or the patch's coverage (undefined: the patch has no
 * line the report covers), `base` the base run's total (for "auto").
 */
export function judge(gate: Gate, actual: Tally | undefined, base: Tally | undefined): Verdict {
  const label = `${gate.kind} coverage (${gate.name})`;
  const target = gate.target === "auto" ? (base ? pct(base) : undefined) : gate.target;
  if (!actual || actual.lines === 0)
    return {
      gate,
      target,
      passed: true,
      message: `${label}: no changed line is covered by the report; passes`,
    };
  const a = pct(actual);
  if (target === undefined)
    return {
      gate,
      actual: a,
      passed: true,
      message: `${label}: ${fmt(a)}; target auto, and no base run on record to compare with: passes`,
    };
  const floor = target - gate.threshold;
  const passed = a + 1e-9 >= floor || gate.informational;
  const tgt = `target ${fmt(target)}${gate.target === "auto" ? " (auto: the base's coverage)" : ""}${gate.threshold ? `, threshold ${fmt(gate.threshold)}` : ""}`;
  const verdict = a + 1e-9 >= floor ? "passes" : gate.informational ? "below, informational" : "fails";
  return {
    gate,
    target,
    actual: a,
    passed,
    message: `${label}: ${fmt(a)} (${actual.hit}/${actual.lines} lines), ${tgt}: ${verdict}`,
  };
}
