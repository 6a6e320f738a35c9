// Parses one expression with @actions/expressions and lists what it reads: context paths such as
// needs.build.outputs.version, and the functions it calls.
import { data, type Expr, Lexer, Parser } from "@actions/expressions";
import { Binary, ContextAccess, FunctionCall, IndexAccess, Literal, Star } from "@actions/expressions/ast";
import type { Token } from "@actions/expressions/lexer";
import { lexMessage } from "../expr/lex-message.js";
import { memoByText } from "./memo.js";

/** Every context name GitHub knows; which of them a field may use is checked separately. */
export const ALL_CONTEXTS = [
  "github",
  "env",
  "vars",
  "job",
  "jobs",
  "steps",
  "runner",
  "secrets",
  "strategy",
  "matrix",
  "needs",
  "inputs",
];

const EXTRA_FUNCTIONS = [
  { name: "always", minArgs: 0, maxArgs: 0 },
  { name: "success", minArgs: 0, maxArgs: 0 },
  { name: "failure", minArgs: 0, maxArgs: 0 },
  { name: "cancelled", minArgs: 0, maxArgs: 0 },
  { name: "hashFiles", minArgs: 1, maxArgs: 255 },
];

export interface Segment {
  /** Lower-cased property name; "*" for a filter, undefined for a computed index. */
  name: string | undefined;
  /** As written, for messages. */
  raw: string;
  token: Token;
}

export interface Ref {
  segments: Segment[];
}

export interface Call {
  name: string;
  token: Token;
}

/** A format() call whose format string is a literal. */
export interface FormatCall {
  template: string;
  /** Arguments after the format string. */
  argc: number;
  token: Token;
}

/** `a == b` or `a != b` between a context path and a literal. */
export interface Comparison {
  segments: Segment[];
  literal: Literal;
  operator: Token;
}

export interface Found {
  refs: Ref[];
  calls: Call[];
  formats: FormatCall[];
  comparisons: Comparison[];
}

export type ParsedExpr =
  | ({ ok: true } & Found)
  | { ok: false; message: string; line: number; column: number };

/** Position of a lexer error: its message says "Located at position N" (1-based offset). */
function lexErrorPos(expr: string, message: string): { line: number; column: number } {
  const m = /Located at position (\d+)/.exec(message);
  const off = m ? Number(m[1]) - 1 : 0;
  const before = expr.slice(0, off);
  const line = before.split("\n").length - 1;
  return { line, column: off - (before.lastIndexOf("\n") + 1) };
}

function chain(e: Expr): Segment[] | undefined {
  if (e instanceof ContextAccess) {
    return [{ name: e.name.lexeme.toLowerCase(), raw: e.name.lexeme, token: e.name }];
  }
  if (e instanceof IndexAccess) {
    const head = chain(e.expr);
    if (!head) return undefined;
    const idx = e.index;
    if (idx instanceof Star) return [...head, { name: "*", raw: "*", token: head[head.length - 1]!.token }];
    if (idx instanceof Literal && idx.literal instanceof data.StringData) {
      const v = idx.literal.value;
      return [...head, { name: v.toLowerCase(), raw: v, token: idx.token }];
    }
    return [...head, { name: undefined, raw: "[...]", token: head[head.length - 1]!.token }];
  }
  return undefined;
}

function walk(e: Expr, out: Found): void {
  const segs = chain(e);
  if (segs) {
    out.refs.push({ segments: segs });
    // Computed indexes can hold references of their own: matrix[inputs.key].
    let cur: Expr = e;
    while (cur instanceof IndexAccess) {
      if (!(cur.index instanceof Literal) && !(cur.index instanceof Star)) walk(cur.index, out);
      cur = cur.expr;
    }
    return;
  }
  if (e instanceof IndexAccess) {
    walk(e.expr, out);
    walk(e.index, out);
  } else if (e instanceof FunctionCall) {
    out.calls.push({ name: e.functionName.lexeme, token: e.functionName });
    const first = e.args[0];
    if (e.functionName.lexeme.toLowerCase() === "format" && first instanceof Literal) {
      if (first.literal instanceof data.StringData)
        out.formats.push({ template: first.literal.value, argc: e.args.length - 1, token: e.functionName });
    }
    for (const a of e.args) walk(a, out);
  } else {
    if (e instanceof Binary && (e.operator.lexeme === "==" || e.operator.lexeme === "!=")) {
      const [l, r] = [chain(e.left), chain(e.right)];
      if (l && e.right instanceof Literal)
        out.comparisons.push({ segments: l, literal: e.right, operator: e.operator });
      if (r && e.left instanceof Literal)
        out.comparisons.push({ segments: r, literal: e.left, operator: e.operator });
    }
    const o = e as unknown as { expr?: Expr; left?: Expr; right?: Expr; group?: Expr; args?: Expr[] };
    for (const k of [o.expr, o.left, o.right, o.group]) if (k) walk(k, out);
    for (const a of o.args ?? []) walk(a, out);
  }
}

/** An expression's parse, once per text (results are only read). */
export const parseExpr: (expr: string) => ParsedExpr = memoByText((expr) => parseUncached(expr));

function parseUncached(expr: string): ParsedExpr {
  let tokens: Token[];
  try {
    tokens = new Lexer(expr).lex().tokens;
  } catch (e) {
    const msg = (e as Error).message;
    return {
      ok: false,
      message: lexMessage(msg).replace(/\. Located at position.*/s, ""),
      ...lexErrorPos(expr, msg),
    };
  }
  let ast: Expr;
  try {
    ast = new Parser(tokens, ALL_CONTEXTS, EXTRA_FUNCTIONS).parse();
  } catch (e) {
    const err = e as Error & { pos?: { line: number; column: number } };
    return { ok: false, message: err.message, line: err.pos?.line ?? 0, column: err.pos?.column ?? 0 };
  }
  const found: Found = { refs: [], calls: [], formats: [], comparisons: [] };
  walk(ast, found);
  return { ok: true, ...found };
}
