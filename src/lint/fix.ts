// `slipway audit --fix`: the fixes that are mechanical, as text edits that keep everything else
// of the file as written. Today: checkout's persist-credentials set to false, and a read-only
// permissions block for a workflow that has none (only when no job without its own block uses
// the token to write: git push, gh, a release action). Other findings are left to a person.
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

/** The text with the edits made (they do not overlap). */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
