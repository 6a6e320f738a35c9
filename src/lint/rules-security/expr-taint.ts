// Which context references inside an expression put their *value* into the result. A reference
// that only feeds a comparison or contains()/startsWith() yields a boolean, which is safe.
import { memoByText } from "../memo.js";

export interface TaintedRef {
  /** Normalised path, lower-case: github.event.issue.title, github.event.commits.*.message */
  path: string;
  /** Index of the reference in the expression text. */
  index: number;
  length: number;
}

const REF = /\b[A-Za-z_][\w-]*(?:\s*\.\s*(?:[A-Za-z_][\w-]*|\*)|\s*\[[^\]]*\])*/g;
const BOOLEAN_FUNCS = new Set([
  "contains",
  "startswith",
  "endswith",
  "hashfiles",
  "success",
  "failure",
  "always",
]);
const KEYWORDS = new Set(["true", "false", "null", "nan", "infinity"]);

/** The expression with string literals blanked out, keeping every index. */
export function blankStrings(expr: string): string {
  return expr.replace(/'(?:[^']|'')*'/g, (s) => `'${" ".repeat(s.length - 2)}'`);
}

function normalise(ref: string): string {
  return ref
    .replace(/\s+/g, "")
    .replace(/\[\s*'([^']*)'\s*\]/g, ".$1")
    .replace(/\[[^\]]*\]/g, ".*")
    .toLowerCase();
}

/** Name of the function whose argument list encloses `at`, if any. */
function enclosingCall(s: string, at: number): string | undefined {
  let depth = 0;
  for (let i = at - 1; i >= 0; i--) {
    const c = s[i];
    if (c === ")") depth++;
    else if (c === "(") {
      if (depth === 0) return /([A-Za-z_]\w*)\s*$/.exec(s.slice(0, i))?.[1]?.toLowerCase();
      depth--;
    }
  }
  return undefined;
}

const COMPARE = /^(==|!=|<=|>=|<|>)/;

/** References whose value can end up in the expression's result (once per text; only read). */
export const valueRefs: (expr: string) => readonly TaintedRef[] = memoByText((expr) => findValueRefs(expr));

function findValueRefs(expr: string): TaintedRef[] {
  const s = blankStrings(expr);
  const out: TaintedRef[] = [];
  for (const m of s.matchAll(REF)) {
    const raw = m[0];
    const index = m.index;
    const after = s.slice(index + raw.length).trimStart();
    if (after.startsWith("(")) continue; // a function name
    if (KEYWORDS.has(raw.toLowerCase())) continue;
    if (COMPARE.test(after) || /(==|!=|<=|>=|<|>)\s*$/.test(s.slice(0, index))) continue;
    const fn = enclosingCall(s, index);
    if (fn && BOOLEAN_FUNCS.has(fn)) continue;
    out.push({ path: normalise(raw), index, length: raw.trimEnd().length });
  }
  return out;
}

/** Whether `path` matches `pattern` segment by segment (`*` matches any one segment). */
function matches(path: string[], pattern: string[]): boolean {
  return (
    path.length === pattern.length && pattern.every((p, i) => p === "*" || path[i] === "*" || p === path[i])
  );
}

/** The pattern `path` reaches: equal to it, or a whole object containing it (toJSON(github.event)). */
export function reaches(path: string, patterns: string[][]): string[] | undefined {
  const parts = path.split(".");
  for (const p of patterns) {
    if (matches(parts, p)) return p;
    if (parts.length < p.length && matches(parts, p.slice(0, parts.length))) return p;
  }
  return undefined;
}
