// `slipway pin` as a library: rewrite `uses: owner/repo@tag` to `owner/repo@<sha> # tag`.
// The YAML is edited as text at the scalar's offsets (comments and layout stay as they are), the
// result is re-parsed and compared with the original before anything is written, and files are
// replaced atomically (temp file + rename). A file that does not parse is never touched.
import { renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isScalar, type Node, parseDocument, type Scalar } from "yaml";
import { isSha } from "../action-store/ref.js";
import { nestingPastLimit } from "../workflow/depth-scan.js";
import { PARSER_NESTING_GUARD, TOO_DEEP } from "../workflow/fast-yaml.js";
import type { Resolution } from "./pin-resolve.js";
import { entries, get, items } from "./source.js";

export interface UseSite {
  line: number;
  col: number;
  /** The value as written: owner/repo[/path]@ref */
  uses: string;
  owner: string;
  repo: string;
  ref: string;
  /** File offsets of the ref inside the scalar's source text, and of the scalar's end. */
  refStart: number;
  refEnd: number;
  end: number;
}

export type Scan =
  | { ok: true; sites: UseSite[]; unpinned: UseSite[] }
  | { ok: false; line: number; col: number; error: string };

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const nl = before.lastIndexOf("\n");
  return { line: before.split("\n").length, col: offset - nl };
}

/** `uses:` scalars of job steps, reusable-workflow jobs and composite-action steps, in file order. */
export function usesScalars(root: Node | null | undefined): Scalar[] {
  const out: Scalar[] = [];
  const fromSteps = (steps: Node | undefined) => {
    for (const s of items(steps)) {
      const u = get(s, "uses");
      if (isScalar(u)) out.push(u);
    }
  };
  for (const j of entries(get(root, "jobs"))) {
    const u = get(j.value, "uses");
    if (isScalar(u)) out.push(u);
    fromSteps(get(j.value, "steps"));
  }
  fromSteps(get(get(root, "runs"), "steps"));
  return out.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));
}

/** Every remote `uses:` of a file; `unpinned` are those whose ref is not a full SHA. */
export function scanUses(text: string): Scan {
  // The yaml package recurses per level: refuse deep nesting before it runs out of stack.
  const deep = nestingPastLimit(text, PARSER_NESTING_GUARD);
  if (deep !== undefined) return { ok: false, ...lineCol(text, deep), error: TOO_DEEP };
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    return { ok: false, ...lineCol(text, e.pos[0]), error: e.message.split("\n")[0]! };
  }
  const sites: UseSite[] = [];
  for (const node of usesScalars(doc.contents)) {
    const value = typeof node.value === "string" ? node.value.trim() : "";
    if (!node.range || !value || value.startsWith("./") || value.startsWith("docker://")) continue;
    const at = value.lastIndexOf("@");
    const parts = value.slice(0, Math.max(at, 0)).split("/");
    if (at <= 0 || parts.length < 2 || value.includes("${{")) continue;
    const ref = value.slice(at + 1);
    const raw = text.slice(node.range[0], node.range[1]);
    const rawAt = raw.lastIndexOf(`@${ref}`);
    if (rawAt < 0) continue; // escapes in a quoted scalar: not safe to edit as text
    const refStart = node.range[0] + rawAt + 1;
    sites.push({
      ...lineCol(text, node.range[0]),
      uses: value,
      owner: parts[0]!,
      repo: parts[1]!,
      ref,
      refStart,
      refEnd: refStart + ref.length,
      end: node.range[1],
    });
  }
  return { ok: true, sites, unpinned: sites.filter((s) => !isSha(s.ref)) };
}

export interface Edit {
  site: UseSite;
  sha: string;
  /** The comment's version: the release the SHA is (`v4.2.2`), else the ref as written. */
  version?: string;
}

/** The line's remainder after `offset`, and where that line ends. */
function restOfLine(text: string, offset: number): { rest: string; eol: number } {
  const nl = text.indexOf("\n", offset);
  const eol = nl < 0 ? text.length : nl;
  return {
    rest: text.slice(offset, eol).replace(/\r$/, ""),
    eol: nl >= 0 && text[eol - 1] === "\r" ? eol - 1 : eol,
  };
}

/**
 * Applies the edits to the text: the ref becomes the SHA, and `# <ref>` is written after the value
 * (before any existing comment) when the value ends its line.
 */
export function applyEdits(text: string, edits: Edit[]): { text: string; commented: Set<UseSite> } {
  const commented = new Set<UseSite>();
  let out = text;
  for (const e of [...edits].sort((a, b) => b.site.refStart - a.site.refStart)) {
    const { site } = e;
    const version = e.version ?? site.ref;
    const { rest, eol } = restOfLine(out, site.end);
    let tail: string | undefined;
    const comment = /^(\s*)(#.*)$/.exec(rest);
    if (/^\s*$/.test(rest)) tail = ` # ${version}`;
    else if (comment) {
      const body = comment[2]!;
      tail = new RegExp(`^#\\s*${site.ref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s|$)`).test(body)
        ? `${comment[1]}${body}`
        : ` # ${version} ${body}`;
    }
    if (tail !== undefined) {
      out = out.slice(0, site.end) + tail + out.slice(eol);
      commented.add(site);
    }
    out = out.slice(0, site.refStart) + e.sha + out.slice(site.refEnd);
  }
  return { text: out, commented };
}

const stripUses = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(stripUses);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === "uses" ? null : stripUses(x)]));
  return v;
};

/** Re-parses the edited text: same document apart from the `uses:` values, which are exactly as planned. */
export function verifyEdits(before: string, after: string, edits: Edit[]): string | undefined {
  const a = parseDocument(before, { uniqueKeys: false });
  const b = parseDocument(after, { uniqueKeys: false });
  if (b.errors.length) return `the edited file does not parse: ${b.errors[0]!.message.split("\n")[0]}`;
  const planned = new Map(
    edits.map((e) => [e.site.uses, `${e.site.uses.slice(0, -e.site.ref.length)}${e.sha}`]),
  );
  const want = usesScalars(a.contents).map((n) => {
    const v = String(n.value).trim();
    return planned.get(v) ?? v;
  });
  const got = usesScalars(b.contents).map((n) => String(n.value).trim());
  if (JSON.stringify(want) !== JSON.stringify(got)) return "the edited uses: values are not the planned ones";
  if (JSON.stringify(stripUses(a.toJS())) !== JSON.stringify(stripUses(b.toJS())))
    return "the edit changed more than the uses: values";
  return undefined;
}

/** Replaces `path` with `text` atomically, keeping its mode. */
export function writeAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.slipway-${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode: statSync(path).mode });
  renameSync(tmp, path);
}

export interface PinOutcome {
  file: string;
  /** Set when the file could not be read, parsed or safely edited; the file is unchanged. */
  error?: { line: number; col: number; message: string };
  pinned: { site: UseSite; sha: string; via: string; commented: boolean }[];
  failed: { site: UseSite; error: string }[];
  alreadyPinned: number;
}

/** Plans, verifies and (unless `dryRun`) writes the pins for one file. */
export async function pinText(
  text: string,
  file: string,
  resolve: (owner: string, repo: string, ref: string) => Promise<Resolution>,
): Promise<{ outcome: PinOutcome; text: string | undefined }> {
  const outcome: PinOutcome = { file, pinned: [], failed: [], alreadyPinned: 0 };
  const scan = scanUses(text);
  if (!scan.ok) {
    outcome.error = {
      line: scan.line,
      col: scan.col,
      message: `cannot parse, left unchanged: ${scan.error}`,
    };
    return { outcome, text: undefined };
  }
  outcome.alreadyPinned = scan.sites.length - scan.unpinned.length;
  const edits: Edit[] = [];
  const via = new Map<UseSite, string>();
  for (const site of scan.unpinned) {
    const r = await resolve(site.owner, site.repo, site.ref);
    if (r.ok) {
      edits.push({ site, sha: r.sha, ...(r.version ? { version: r.version } : {}) });
      via.set(site, r.via);
    } else outcome.failed.push({ site, error: r.error });
  }
  if (edits.length === 0) return { outcome, text: undefined };
  const { text: after, commented } = applyEdits(text, edits);
  const bad = verifyEdits(text, after, edits);
  if (bad) {
    outcome.error = { line: edits[0]!.site.line, col: edits[0]!.site.col, message: `${bad}; left unchanged` };
    return { outcome, text: undefined };
  }
  for (const e of edits)
    outcome.pinned.push({
      site: e.site,
      sha: e.sha,
      via: via.get(e.site)!,
      commented: commented.has(e.site),
    });
  return { outcome, text: after };
}
