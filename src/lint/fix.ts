// `slipway audit --fix`: the fixes that are mechanical, as text edits that keep everything else
// of the file as written: checkout's persist-credentials set to false; a read-only permissions
// block for a workflow that has none (only when no job without its own block uses the token to
// write: git push, gh, a release action); and template injection in a bash/sh `run:` moved to
// an environment variable (`${{ github.event.issue.title }}` → `${ISSUE_TITLE}` with
// `env: ISSUE_TITLE: ${{ github.event.issue.title }}`), for plain context paths only. Other
// findings are left to a person.
import { isMap, isScalar, isSeq, type Node, parseDocument, type YAMLMap } from "yaml";
import type { Finding } from "./finding.js";

export interface Edit {
  /** Offsets in the file's text: [start, end) is replaced by `text`. */
  start: number;
  end: number;
  text: string;
  rule: string;
  description: string;
}

const lineStarts = (text: string) => {
  const out = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") out.push(i + 1);
  return out;
};

const startOfLine = (text: string, offset: number) => text.lastIndexOf("\n", offset - 1) + 1;
const column = (text: string, offset: number) => offset - startOfLine(text, offset);
const endOfLine = (text: string, offset: number) => {
  const n = text.indexOf("\n", offset);
  return n < 0 ? text.length : n + 1;
};

/** Uses of the token that need more than read: a job like that keeps the default. */
const WRITES =
  /\b(git\s+push|gh\s+(release|pr|issue|api|workflow)|GITHUB_TOKEN|github\.token|softprops\/action-gh-release|peter-evans\/create-pull-request|actions\/github-script|release-please|semantic-release|changesets\/action)\b/;

export function fixesFor(text: string, findings: readonly Finding[]): Edit[] {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length || !isMap(doc.contents)) return [];
  const starts = lineStarts(text);
  const at = (f: Finding) => (starts[f.line - 1] ?? 0) + f.col - 1;
  const edits: Edit[] = [];
  const root = doc.contents as YAMLMap;
  edits.push(
    ...injectionEdits(
      text,
      root,
      findings.filter((f) => f.rule === "template-injection"),
      at,
    ),
  );
  for (const f of findings) {
    if (f.rule === "persist-credentials") {
      const e = persistEdit(text, root, at(f));
      if (e) edits.push(e);
    } else if (f.rule === "missing-permissions" && !root.has("permissions")) {
      const e = permissionsEdit(text, root);
      if (e) edits.push(e);
    }
  }
  // One edit per place (two findings may ask for the same one).
  const seen = new Set<string>();
  return edits.filter((e) => !seen.has(`${e.start}:${e.text}`) && seen.add(`${e.start}:${e.text}`));
}

function permissionsEdit(text: string, root: YAMLMap): Edit | undefined {
  const jobs = root.items.find((p) => isScalar(p.key) && p.key.value === "jobs");
  if (!jobs || !isScalar(jobs.key) || !jobs.key.range || !isMap(jobs.value)) return undefined;
  for (const j of jobs.value.items) {
    if (!isMap(j.value) || j.value.has("permissions")) continue;
    const range = (j.value as Node).range;
    if (range && WRITES.test(text.slice(range[0], range[1]))) return undefined;
  }
  const lineStart = startOfLine(text, jobs.key.range[0]);
  return {
    start: lineStart,
    end: lineStart,
    text: "permissions:\n  contents: read\n\n",
    rule: "missing-permissions",
    description: "add a read-only permissions block for the workflow",
  };
}

function persistEdit(text: string, root: YAMLMap, offset: number): Edit | undefined {
  const jobs = root.get("jobs", true);
  if (!isMap(jobs)) return undefined;
  for (const j of jobs.items) {
    const steps = isMap(j.value) ? j.value.get("steps", true) : undefined;
    if (!isSeq(steps)) continue;
    for (const s of steps.items) {
      if (!isMap(s) || !s.range || offset < s.range[0] || offset > s.range[1]) continue;
      const uses = s.items.find((p) => isScalar(p.key) && p.key.value === "uses");
      if (!uses || !isScalar(uses.key) || !uses.key.range) return undefined;
      const indent = " ".repeat(column(text, uses.key.range[0]));
      const w = s.get("with", true);
      if (w === undefined) {
        const after = endOfLine(text, (uses.value as Node).range?.[1] ?? uses.key.range[1]);
        return {
          start: after,
          end: after,
          text: `${indent}with:\n${indent}  persist-credentials: false\n`,
          rule: "persist-credentials",
          description: "set persist-credentials: false on actions/checkout",
        };
      }
      if (!isMap(w) || w.flow) return undefined; // `with: { ... }`: left to a person
      const existing = w.items.find((p) => isScalar(p.key) && p.key.value === "persist-credentials");
      if (existing && isScalar(existing.value) && existing.value.range) {
        const [a, b] = existing.value.range;
        return {
          start: a,
          end: b,
          text: "false",
          rule: "persist-credentials",
          description: "persist-credentials: false",
        };
      }
      const first = w.items[0];
      const last = w.items.at(-1);
      if (!first || !isScalar(first.key) || !first.key.range || !last) return undefined;
      const inner = " ".repeat(column(text, first.key.range[0]));
      const end = endOfLine(text, ((last.value as Node | null)?.range ?? (last.key as Node).range!)[1]);
      return {
        start: end,
        end,
        text: `${inner}persist-credentials: false\n`,
        rule: "persist-credentials",
        description: "set persist-credentials: false on actions/checkout",
      };
    }
  }
  return undefined;
}

/** The step (a mapping in some job's steps) that holds `offset`. */
function stepAt(root: YAMLMap, offset: number): YAMLMap | undefined {
  const jobs = root.get("jobs", true);
  if (!isMap(jobs)) return undefined;
  for (const j of jobs.items) {
    const steps = isMap(j.value) ? j.value.get("steps", true) : undefined;
    if (!isSeq(steps)) continue;
    for (const s of steps.items)
      if (isMap(s) && s.range && offset >= s.range[0] && offset <= s.range[1]) return s;
  }
  return undefined;
}

/** `github.event.pull_request.title` → `PULL_REQUEST_TITLE`; `github.head_ref` → `HEAD_REF`. */
export function envNameFor(expr: string): string {
  const path = expr.replace(/^github\.event\./, "").replace(/^(github|inputs|steps|needs|matrix)\./, "");
  const name = path
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
  // Names GitHub sets itself (GITHUB_*, RUNNER_*) are not shadowed.
  return /^(GITHUB|RUNNER)_/.test(name) || /^\d/.test(name) ? `UNTRUSTED_${name}` : name || "UNTRUSTED_VALUE";
}

function injectionEdits(
  text: string,
  root: YAMLMap,
  findings: Finding[],
  at: (f: Finding) => number,
): Edit[] {
  const bySteps = new Map<YAMLMap, Set<string>>();
  for (const f of findings) {
    const offset = at(f);
    const open = text.lastIndexOf("${{", offset);
    const close = text.indexOf("}}", offset);
    if (open < 0 || close < 0 || text.slice(open, close).includes("\n")) continue;
    const expr = text.slice(open + 3, close).trim();
    if (!/^[A-Za-z_][\w-]*(\.[\w-]+)+$/.test(expr)) continue; // a plain context path only
    const step = stepAt(root, offset);
    if (!step) continue;
    const set = bySteps.get(step) ?? new Set();
    set.add(expr);
    bySteps.set(step, set);
  }
  const out: Edit[] = [];
  for (const [step, exprs] of bySteps) {
    const shell = step.get("shell");
    if (shell !== undefined && !/^(bash|sh)\b/.test(String(shell))) continue; // pwsh, python, ...: by hand
    const run = step.items.find((p) => isScalar(p.key) && p.key.value === "run");
    const value = run?.value as Node | undefined;
    if (!run || !isScalar(run.key) || !run.key.range || !value?.range) continue;
    const env = step.get("env", true);
    if (env !== undefined && (!isMap(env) || env.flow)) continue;
    const names = new Map([...exprs].map((e) => [e, envNameFor(e)]));
    const taken = new Set(isMap(env) ? env.items.map((p) => String(isScalar(p.key) ? p.key.value : "")) : []);
    if ([...names.values()].some((n) => taken.has(n))) continue;
    // The script: each ${{ expr }} of a moved expression becomes ${NAME}.
    const [a, b] = value.range;
    for (const m of text.slice(a, b).matchAll(/\$\{\{\s*([^}]*?)\s*\}\}/g)) {
      const name = names.get(m[1]!);
      if (!name) continue;
      out.push({
        start: a + m.index!,
        end: a + m.index! + m[0].length,
        text: `\${${name}}`,
        rule: "template-injection",
        description: `use $${name} instead of expanding ${m[1]} into the script`,
      });
    }
    const lines = [...names].map(([e, n]) => `${n}: \${{ ${e} }}`);
    const indent = " ".repeat(column(text, run.key.range[0]));
    if (isMap(env)) {
      const first = env.items[0];
      const last = env.items.at(-1);
      if (!first || !isScalar(first.key) || !first.key.range || !last) continue;
      const inner = " ".repeat(column(text, first.key.range[0]));
      const end = endOfLine(text, ((last.value as Node | null)?.range ?? (last.key as Node).range!)[1]);
      out.push({
        start: end,
        end,
        text: lines.map((l) => `${inner}${l}\n`).join(""),
        rule: "template-injection",
        description: "pass the values through env",
      });
    } else {
      const end = endOfLine(text, Math.max(value.range[1] - 1, value.range[0]));
      out.push({
        start: end,
        end,
        text: `${indent}env:\n${lines.map((l) => `${indent}  ${l}\n`).join("")}`,
        rule: "template-injection",
        description: "pass the values through env",
      });
    }
  }
  return out;
}

/** The text with the edits made (they do not overlap). */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
