// Checks GitHub applies that @actions/workflow-parser does not (see the package's skipped reader tests).
import { isMapping, isSequence, isString, NoOperationTraceWriter } from "@actions/workflow-parser";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import {
  type Document,
  isAlias,
  isCollection,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { nestingPastLimit } from "./depth-scan.js";
import type { Diagnostic } from "./diagnostic.js";
import { isPlainDoc, PARSER_NESTING_GUARD, plainShape, TOO_DEEP } from "./fast-yaml.js";
import { parseWorkflowFast } from "./parsed-reader.js";
import { field, pos } from "./tokens.js";

export interface Limits {
  /** Characters in one workflow file. */
  maxFileSize: number;
  /** Nesting of mappings and sequences, the document root counting as 1. */
  maxDepth: number;
  /** YAML nodes after expanding aliases: bounds alias bombs. */
  maxNodes: number;
  /** Jobs in the whole run, counting callers and the jobs of called workflows. */
  maxJobs: number;
  /** Chain of reusable workflows calling reusable workflows. */
  maxNestedReusableDepth: number;
  /** Characters in one `${{ }}` expression. */
  maxExpressionLength: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileSize: 10 * 1024 * 1024,
  maxDepth: 50,
  maxNodes: 1_000_000,
  maxJobs: 256,
  // github.com: the caller and up to nine levels of reusable workflows (GHES: four levels in all).
  maxNestedReusableDepth: 9,
  maxExpressionLength: 21000,
};

/** The repository's default GITHUB_TOKEN permissions. */
export type PermissionsPolicy = "LimitedRead" | "Write";

/** Returns the called workflow for a `uses:` reference, or undefined when it is not available. */
export type ReadWorkflow = (ref: string) => { name: string; content: string } | undefined;

function limitsOf(l: Partial<Limits> | undefined): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(l ?? {}))
    if (typeof v === "number") (out as Record<string, number>)[k] = v;
  return out;
}

// ---------------------------------------------------------------- bytes and source checks

/** Files larger than this are refused before reading (GitHub's own limit is far smaller). */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** UTF-8 text of a workflow file, or why it is not text. A leading BOM is dropped. */
export function decodeWorkflow(
  bytes: Uint8Array,
): { content: string } | { message: string; at?: { line: number; col: number } } {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const before = new TextDecoder().decode(bytes.subarray(0, nul));
    return {
      message: "the file contains a NUL byte: it is binary, not a YAML workflow",
      at: lineCol(before, before.length),
    };
  }
  try {
    return { content: lfBreaks(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) };
  } catch {
    const lossy = new TextDecoder("utf-8").decode(bytes);
    return { message: "the file is not valid UTF-8 text", at: lineCol(lossy, lossy.indexOf("\uFFFD")) };
  }
}

/**
 * YAML (and GitHub's parser) ends a line at CR alone as at LF or CRLF; the yaml package does not,
 * and reads a CR-only file as one long line. A lone CR becomes LF: offsets stay the same.
 */
export function lfBreaks(text: string): string {
  return text.includes("\r") ? text.replace(/\r(?!\n)/g, "\n") : text;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, offset));
  const nl = before.lastIndexOf("\n");
  return { line: before.split("\n").length, col: offset - nl };
}

const SUPPORTED_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);
const FLOAT = /^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/;
const STYLE_NAMES: Record<string, string> = { QUOTE_DOUBLE: "DoubleQuoted", QUOTE_SINGLE: "SingleQuoted" };

/**
 * Checks on the text and YAML structure, run before the package walks the YAML: the package expands
 * aliases without a bound, so a billion-laughs file must be stopped here.
 */
/** `parsed`: the document of `content` when the caller has one already (lint), to spare a parse. */
export function checkSource(
  content: string,
  file: string,
  limits?: Partial<Limits>,
  parsed?: { doc: Document.Parsed; lines: LineCounter },
): Diagnostic[] {
  const lim = limitsOf(limits);
  if (content.length > lim.maxFileSize) {
    return [{ file, message: `The maximum file size of ${lim.maxFileSize} characters has been exceeded` }];
  }
  const lc = parsed?.lines ?? new LineCounter();
  const at = (offset: number) => {
    const p = lc.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  const nul = content.indexOf("\0");
  if (nul >= 0) {
    return [
      {
        file,
        ...lineCol(content, nul),
        message: "the file contains a NUL byte: it is binary, not a YAML workflow",
      },
    ];
  }
  if (!parsed) {
    // Before the package parses: it recurses once per level and runs out of stack.
    const deep = nestingPastLimit(content, PARSER_NESTING_GUARD);
    if (deep !== undefined) return [{ file, ...lineCol(content, deep), message: TOO_DEEP }];
  }
  const doc =
    parsed?.doc ?? parseDocument(content, { lineCounter: lc, uniqueKeys: false, keepSourceTokens: true });
  const out: Diagnostic[] = [];
  for (const w of doc.warnings) {
    if (w.code !== "TAG_RESOLVE_FAILED") continue;
    const tag = /Unresolved tag: (\S+)/.exec(w.message)?.[1] ?? "";
    const p = at(w.pos[0]);
    const value = source(content, w.pos[1]);
    // The yaml package's core schema rejects integers under !!float; YAML 1.2 (and GitHub) accept them.
    if (tag.endsWith(":float") && FLOAT.test(value)) continue;
    out.push({
      ...p,
      message: SUPPORTED_TAGS.has(tag)
        ? `The value '${value}' on line ${p.line} and column ${p.col} is invalid for the type '${tag}'`
        : `Unexpected tag '${tag}'`,
    });
  }
  if (doc.errors.length) return out; // the package reports syntax errors with their positions
  if (!isPlainDoc(doc))
    walkTags(doc.contents, content, (node, tagOffset) => {
      const p = at(tagOffset);
      const tag = node.tag ?? "";
      if (!SUPPORTED_TAGS.has(tag)) out.push({ ...p, message: `Unexpected tag '${tag}'` });
      else if (isScalar(node) && /(int|float|bool|null)$/.test(tag) && STYLE_NAMES[node.type ?? ""]) {
        const style = STYLE_NAMES[node.type ?? ""];
        out.push({
          ...p,
          message: `The scalar style '${style}' on line ${p.line} and column ${p.col} is not valid with the tag '${tag}'`,
        });
      }
    });
  if (out.length) return dedupe(out);
  const odd = isPlainDoc(doc) ? undefined : oddKey(doc.contents);
  if (odd) return [{ ...at(odd.offset), message: odd.message }];
  // A fast-read document has no aliases: its size was counted while reading it, and only a
  // document over a limit is walked (for the position to report).
  const plain = plainShape(doc);
  if (plain && plain.nodes <= lim.maxNodes && plain.depth <= lim.maxDepth) return [];
  const shape = measure(doc.contents, doc, lim);
  if (shape.tooMany) {
    return [
      {
        ...at(shape.tooMany),
        message: `YAML aliases expand to more than ${lim.maxNodes} nodes; refusing to load`,
      },
    ];
  }
  if (shape.tooDeep !== undefined) return [{ ...at(shape.tooDeep), message: TOO_DEEP }];
  return [];
}

/**
 * A mapping key that is itself a mapping or a list (`? k: v`, `? [a, b]`), or missing: the package's
 * reader turns such keys into "Unexpected value 'undefined'" or loses the position, so they are
 * said here, where they are.
 */
function oddKey(root: unknown): { offset: number; message: string } | undefined {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (!isCollection(node)) continue;
    for (const item of node.items) {
      if (!isPair(item)) {
        stack.push(item);
        continue;
      }
      const key = item.key as Node | null;
      const value = item.value as Node | null;
      if (key === null || (isScalar(key) && key.value === null && key.source === "")) {
        const offset = key?.range?.[0] ?? value?.range?.[0] ?? node.range?.[0] ?? 0;
        return { offset, message: "A mapping entry has no key before its ':'" };
      }
      if (isCollection(key)) {
        const kind = isSeq(key) ? "a list" : "a mapping";
        return {
          offset: firstOffset(key),
          message: `A mapping key must be plain text, not ${kind} (a complex key written with '?' or in brackets)`,
        };
      }
      stack.push(value);
    }
  }
  return undefined;
}

/** Where a node's text starts (a block mapping's range may start at its first ':'). */
function firstOffset(node: unknown): number {
  let at = Number.POSITIVE_INFINITY;
  for (let n = node; n; ) {
    const r = (n as Node).range?.[0];
    if (r !== undefined && r < at) at = r;
    const first: unknown = isCollection(n) ? n.items[0] : undefined;
    n = isPair(first) ? first.key : first;
  }
  return Number.isFinite(at) ? at : 0;
}

/** The plain word that follows a tag, for messages. */
function source(content: string, from: number): string {
  return /^\s*([^\s#,\]}]*)/.exec(content.slice(from))?.[1] ?? "";
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Calls `fn` for every node with an explicit tag, with the tag's own offset. */
function walkTags(node: unknown, content: string, fn: (n: Node, tagOffset: number) => void): void {
  if (isPair(node)) {
    walkTags(node.key, content, fn);
    walkTags(node.value, content, fn);
    return;
  }
  if (!isScalar(node) && !isCollection(node)) return;
  // The yaml package sets `tag` only for explicit tags; the tag sits just before the node's range.
  if (node.tag && node.tag !== "!") fn(node, tagStart(content, node.range?.[0] ?? 0));
  if (isCollection(node)) for (const item of node.items) walkTags(item, content, fn);
}

/** Steps back over whitespace and node properties (anchor, tag) to the tag's first character. */
function tagStart(content: string, valueStart: number): number {
  let i = valueStart;
  for (let guard = 0; guard < 4 && i > 0; guard++) {
    while (i > 0 && /\s/.test(content[i - 1] ?? "")) i--;
    let j = i;
    while (j > 0 && !/\s/.test(content[j - 1] ?? "")) j--;
    if (content[j] === "!") return j;
    if (content[j] !== "&") break;
    i = j;
  }
  return valueStart;
}

interface Shape {
  tooMany?: number;
  tooDeep?: number;
}

/**
 * Node count and depth with aliases expanded, memoised per anchored node so the walk itself stays
 * linear in the file size however many times aliases multiply.
 */
function measure(root: unknown, doc: Parameters<typeof isAlias>[0] & object, lim: Limits): Shape {
  const memo = new Map<unknown, { nodes: number; depth: number }>();
  const shape: Shape = {};
  const visit = (node: unknown, depth: number): { nodes: number; depth: number } => {
    if (isPair(node)) {
      const k = visit(node.key, depth);
      const v = visit(node.value, depth);
      return { nodes: k.nodes + v.nodes, depth: Math.max(k.depth, v.depth) };
    }
    if (isAlias(node)) {
      const target = node.resolve(doc as never);
      if (!target) return { nodes: 0, depth: 0 };
      let m = memo.get(target);
      if (!m) {
        memo.set(target, { nodes: 0, depth: 0 }); // a cycle counts as empty, as the package treats it
        m = visit(target, 0);
        memo.set(target, m);
      }
      if (shape.tooMany === undefined && m.nodes > lim.maxNodes) shape.tooMany = node.range?.[0] ?? 0;
      if (shape.tooDeep === undefined && depth + m.depth > lim.maxDepth) shape.tooDeep = node.range?.[0] ?? 0;
      return m;
    }
    if (!isCollection(node)) return { nodes: 1, depth: 0 };
    const own = depth + 1;
    if (own > lim.maxDepth && shape.tooDeep === undefined) shape.tooDeep = node.range?.[0] ?? 0;
    let nodes = 1;
    let deepest = 0;
    for (const item of node.items) {
      const r = visit(item, own);
      nodes += r.nodes;
      deepest = Math.max(deepest, r.depth);
      if (nodes > lim.maxNodes) {
        if (shape.tooMany === undefined) shape.tooMany = node.range?.[0] ?? 0;
        break;
      }
    }
    return { nodes, depth: deepest + 1 };
  };
  const total = visit(root, 0);
  if (total.nodes > lim.maxNodes && shape.tooMany === undefined) shape.tooMany = 0;
  return shape;
}

// ---------------------------------------------------------------- token tree checks

const ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function at(file: string, t: TemplateToken | undefined, message: string): Diagnostic {
  return { file, ...pos(t), message };
}

function str(t: TemplateToken | undefined): string | undefined {
  return t && isString(t) ? t.value : undefined;
}

function pairs(t: TemplateToken | undefined): { key: TemplateToken; value: TemplateToken }[] {
  if (!t || !isMapping(t)) return [];
  const out: { key: TemplateToken; value: TemplateToken }[] = [];
  for (let i = 0; i < t.count; i++) out.push(t.get(i));
  return out;
}

function items(t: TemplateToken | undefined): TemplateToken[] {
  if (!t || !isSequence(t)) return [];
  const out: TemplateToken[] = [];
  for (let i = 0; i < t.count; i++) out.push(t.get(i));
  return out;
}

/** Checks on the parsed token tree of one workflow file. */
export function checkTree(root: TemplateToken, file: string, limits?: Partial<Limits>): Diagnostic[] {
  const lim = limitsOf(limits);
  const out: Diagnostic[] = [];
  for (const { value: job } of pairs(field(root, "jobs"))) {
    checkMatrix(job, file, out);
    checkSteps(job, file, out);
  }
  for (const t of expressions(root)) {
    const expr = (t as unknown as { expression: string }).expression;
    if (expr.length > lim.maxExpressionLength) {
      out.push(at(file, t, `Exceeded max expression length ${lim.maxExpressionLength}`));
    }
  }
  return out;
}

/** Every expression token, keys included (the package's traverse builds an ancestor list per token). */
function expressions(root: TemplateToken, out: TemplateToken[] = []): TemplateToken[] {
  if (root.templateTokenType === 3 /* BasicExpression */) out.push(root);
  else if (isMapping(root)) {
    for (let i = 0; i < root.count; i++) {
      const { key, value } = root.get(i);
      expressions(key, out);
      expressions(value, out);
    }
  } else if (isSequence(root)) for (let i = 0; i < root.count; i++) expressions(root.get(i), out);
  return out;
}

function checkMatrix(job: TemplateToken, file: string, out: Diagnostic[]): void {
  for (const { key, value } of pairs(field(field(job, "strategy"), "matrix"))) {
    const k = str(key);
    if (k === "include" || k === "exclude") continue;
    if (value && isSequence(value) && value.count === 0) {
      out.push(at(file, value, `Matrix vector '${k}' does not contain any values`));
    }
  }
}

const USES_REMOTE = /^[^/@]+\/[^/@]+(\/[^@]*)?@[^@]+$/;

function checkSteps(job: TemplateToken, file: string, out: Diagnostic[]): void {
  const seen = new Set<string>();
  for (const step of items(field(job, "steps"))) {
    const usesTok = field(step, "uses");
    const uses = str(usesTok);
    if (
      uses !== undefined &&
      !uses.startsWith("docker://") &&
      !uses.startsWith("./") &&
      !uses.startsWith("$/") && // self-repository reference, like ./
      !USES_REMOTE.test(uses)
    ) {
      out.push(at(file, usesTok, `Expected format {org}/{repo}[/path]@ref. Actual '${uses}'`));
    }
    const idTok = field(step, "id");
    const id = str(idTok);
    if (id === undefined) continue;
    if (!ID.test(id) || id.length >= 100) {
      out.push(
        at(
          file,
          idTok,
          `The identifier '${id}' is invalid. IDs may only contain alphanumeric characters, '_', and '-'. IDs must start with a letter or '_' and and must be less than 100 characters.`,
        ),
      );
    } else if (id.startsWith("__")) {
      out.push(at(file, idTok, `The identifier '${id}' is invalid. IDs starting with '__' are reserved.`));
    } else if (seen.has(id.toLowerCase())) {
      out.push(
        at(file, idTok, `The identifier '${id}' may not be used more than once within the same scope.`),
      );
    }
    seen.add(id.toLowerCase());
  }
}

// ---------------------------------------------------------------- reusable workflows

type Level = 0 | 1 | 2; // none, read, write
const LEVELS = ["none", "read", "write"] as const;
/** Scopes in GitHub's order; `read-all`/`write-all` cover the classic ones. */
const CLASSIC_SCOPES = [
  "actions",
  "checks",
  "contents",
  "deployments",
  "discussions",
  "issues",
  "packages",
  "pages",
  "pull-requests",
  "repository-projects",
  "statuses",
  "security-events",
  "id-token",
];
type Permissions = Map<string, Level>;

function all(level: Level): Permissions {
  return new Map(CLASSIC_SCOPES.map((s) => [s, level]));
}

function policyPermissions(policy: PermissionsPolicy): Permissions {
  if (policy === "Write") return all(2);
  const p = all(0);
  p.set("contents", 1);
  p.set("packages", 1);
  return p;
}

/** Permissions written at `permissions:`, or undefined when the key is absent. */
function permissionsOf(t: TemplateToken | undefined): Permissions | undefined {
  if (!t) return undefined;
  const s = str(t);
  if (s === "read-all") return all(1);
  if (s === "write-all") return all(2);
  if (s !== undefined) return undefined; // an expression: unknown until run time
  const p = all(0);
  for (const { key, value } of pairs(t)) {
    const k = str(key);
    const lvl = LEVELS.indexOf(str(value) as (typeof LEVELS)[number]);
    if (k && lvl >= 0) p.set(k, lvl as Level);
  }
  return p;
}

function excess(requested: Permissions, allowed: Permissions): string | undefined {
  const over = [...requested].filter(([s, l]) => l > (allowed.get(s) ?? 0)).map(([s]) => s);
  if (!over.length) return undefined;
  const fmt = (p: Permissions) => over.map((s) => `${s}: ${LEVELS[p.get(s) ?? 0]}`).join(", ");
  return `is requesting '${fmt(requested)}', but is only allowed '${fmt(allowed)}'.`;
}

export interface ReusableOptions {
  limits?: Partial<Limits>;
  permissionsPolicy?: PermissionsPolicy;
}

interface Walk {
  lim: Limits;
  read: ReadWorkflow;
  out: Diagnostic[];
  jobs: number;
  depthReported: boolean;
}

/**
 * Follows `uses:` of reusable workflows to any depth (the package fetches one level): permissions
 * a called workflow may request, input types, nesting depth and the total job count.
 */
export function checkReusable(
  root: TemplateToken,
  file: string,
  read: ReadWorkflow,
  opts: ReusableOptions = {},
): Diagnostic[] {
  const w: Walk = { lim: limitsOf(opts.limits), read, out: [], jobs: 0, depthReported: false };
  const workflowPerms = permissionsOf(field(root, "permissions"));
  const base =
    workflowPerms ?? (opts.permissionsPolicy ? policyPermissions(opts.permissionsPolicy) : undefined);
  visitWorkflow(w, root, file, base, 0);
  if (w.jobs > w.lim.maxJobs)
    w.out.push({ file, message: `The workflow may not contain more than ${w.lim.maxJobs} jobs` });
  return w.out;
}

/** `allowed` is what this workflow's jobs may use, or undefined when unknown (no policy given). */
function visitWorkflow(
  w: Walk,
  root: TemplateToken,
  file: string,
  allowed: Permissions | undefined,
  depth: number,
): void {
  for (const { key, value: job } of pairs(field(root, "jobs"))) {
    w.jobs++;
    const ref = str(field(job, "uses"));
    if (ref === undefined) continue;
    const jobAllowed = permissionsOf(field(job, "permissions")) ?? allowed;
    if (depth + 1 > w.lim.maxNestedReusableDepth) {
      if (!w.depthReported) {
        w.out.push(at(file, key, `Nested reusable workflow depth exceeded ${w.lim.maxNestedReusableDepth}.`));
        w.depthReported = true;
      }
      continue;
    }
    const called = w.read(ref);
    if (!called) continue;
    const parsed = parseWorkflowFast(called, new NoOperationTraceWriter());
    if (!parsed.value) continue;
    if (depth > 0) {
      // The package converts the first level itself; deeper files are only ours to report.
      for (const e of parsed.context.errors.getErrors()) {
        w.out.push({
          file: called.name,
          line: e.range?.start.line,
          col: e.range?.start.column,
          message: e.rawMessage,
        });
      }
    }
    checkInputTypes(w, job, parsed.value, file);
    const calledWorkflowPerms = permissionsOf(field(parsed.value, "permissions"));
    if (jobAllowed) {
      const prefix = `Error calling workflow '${ref}'.`;
      const wfExcess = calledWorkflowPerms && excess(calledWorkflowPerms, jobAllowed);
      if (wfExcess) w.out.push(at(file, key, `${prefix} The workflow '${ref}' ${wfExcess}`));
      for (const { key: nestedKey, value: nested } of pairs(field(parsed.value, "jobs"))) {
        const own = permissionsOf(field(nested, "permissions"));
        const jobExcess = own && excess(own, jobAllowed);
        const label = str(field(nested, "name")) ?? str(nestedKey);
        if (jobExcess) w.out.push(at(file, key, `${prefix} The nested job '${label}' ${jobExcess}`));
      }
    }
    visitWorkflow(w, parsed.value, called.name, calledWorkflowPerms ?? jobAllowed, depth + 1);
  }
}

/** Literal `with:` values must fit the called workflow's declared boolean/number input types. */
function checkInputTypes(w: Walk, job: TemplateToken, called: TemplateToken, file: string): void {
  const inputs = field(field(field(called, "on"), "workflow_call"), "inputs");
  for (const { key, value } of pairs(field(job, "with"))) {
    const name = str(key);
    if (name === undefined || !value.isLiteral) continue;
    const type = str(field(field(inputs, name), "type"));
    const bad =
      (type === "boolean" && value.templateTokenType !== 5) /* Boolean */ ||
      (type === "number" && value.templateTokenType !== 6); /* Number */
    if (bad)
      w.out.push(
        at(file, value, `Unexpected value '${str(value) ?? String((value as { value?: unknown }).value)}'`),
      );
  }
}
