import { data, Evaluator, type Expr, ExpressionError, Lexer, Parser } from "@actions/expressions";
import { Binary, FunctionCall, Grouping, IndexAccess, Logical, Unary } from "@actions/expressions/ast";
import type { FunctionDefinition, FunctionInfo } from "@actions/expressions/funcs/info";
import { TokenType } from "@actions/expressions/lexer";
import { fromExpressionData, toExpressionData, truthy } from "./convert.js";
import { lexMessage } from "./lex-message.js";
import { splitTemplate } from "./split.js";
import { ExprError, type ExprHost, type Json } from "./types.js";

/** Every context a workflow can name; used when checking syntax without a host. */
export const ALL_CONTEXTS = [
  "github",
  "env",
  "vars",
  "secrets",
  "inputs",
  "matrix",
  "strategy",
  "needs",
  "steps",
  "job",
  "jobs",
  "runner",
];

const STATUS_FUNCTIONS = ["success", "failure", "cancelled", "always"];
const HASH_FILES: FunctionInfo = { name: "hashFiles", minArgs: 1, maxArgs: 255 };
const ALL_FUNCTIONS: FunctionInfo[] = [
  ...STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  HASH_FILES,
];

/**
 * Absolute offset of a parser position. The lexer counts lines inside string literals but only
 * moves its line start on newlines outside them, so replay that to map (line, column) back.
 */
function offsetOf(expr: string, line: number, column: number): number {
  const starts = [0];
  let lineStart = 0;
  let inString = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === "'") inString = !inString;
    else if (c === "\n") {
      if (!inString) lineStart = i + 1;
      starts.push(lineStart);
    }
  }
  return (starts[line] ?? 0) + column;
}

/** Lex and parse; errors become ExprError with GitHub's kind and wording. Undefined for "". */
export function compile(expr: string, contexts: string[], functions: FunctionInfo[]): Expr | undefined {
  let tokens: ReturnType<Lexer["lex"]>["tokens"];
  try {
    tokens = new Lexer(expr).lex().tokens;
    // The package unescapes only the first '' of a string literal; redo it from the lexeme.
    for (const t of tokens) {
      if (t.type === TokenType.STRING && t.lexeme.length >= 2)
        t.value = t.lexeme.slice(1, -1).replaceAll("''", "'");
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg !== lexMessage(msg)) throw new ExprError("parsing", lexMessage(msg), expr);
    throw new ExprError("lexing", msg, expr);
  }
  try {
    return new Parser(tokens, contexts, functions).parse();
  } catch (e) {
    if (e instanceof ExpressionError) {
      const at = offsetOf(expr, e.pos.line, e.pos.column) + 1;
      throw new ExprError(
        "parsing",
        `${e.message}. Located at position ${at} within expression: ${expr}`,
        expr,
      );
    }
    throw new ExprError("parsing", e instanceof Error ? e.message : String(e), expr);
  }
}

/** The extra functions a host enables, as parse-time info and run-time definitions. */
function hostFunctions(host: ExprHost): FunctionDefinition[] {
  const out: FunctionDefinition[] = [];
  const st = host.status;
  if (st) {
    const flag = (name: string, get: () => boolean): FunctionDefinition => ({
      name,
      minArgs: 0,
      maxArgs: 0,
      call: () => new data.BooleanData(get()),
    });
    out.push(
      flag("success", () => st.success),
      flag("failure", () => st.failure),
      flag("cancelled", () => st.cancelled),
      flag("always", () => true),
    );
  }
  const hf = host.hashFiles;
  if (hf) {
    out.push({
      ...HASH_FILES,
      call: (...args) => new data.StringData(hf(args.map((a) => a.coerceString()))),
    });
  }
  return out;
}

function run(tree: Expr | undefined, host: ExprHost, funcs: FunctionDefinition[], expr: string): Json {
  if (tree === undefined) return null;
  // Convert only contexts whose names appear in the text (an over-approximation is harmless),
  // so a big github.event payload is not copied for every `matrix.os`.
  const words = new Set(expr.toLowerCase().match(/[a-z_][a-z0-9_-]*/g) ?? []);
  const ctx = new data.Dictionary();
  for (const [k, v] of Object.entries(host.contexts)) {
    if (words.has(k.toLowerCase())) ctx.add(k, toExpressionData(v));
  }
  const map = new Map(funcs.map((f) => [f.name.toLowerCase(), f]));
  try {
    return fromExpressionData(new Evaluator(tree, ctx, map).evaluate());
  } catch (e) {
    if (e instanceof ExprError) throw e;
    throw new ExprError("evaluation", e instanceof Error ? e.message : String(e), expr);
  }
}

/** Evaluate one expression (no `${{ }}`) against the host's contexts and functions. */
export function evaluate(expr: string, host: ExprHost): Json {
  const funcs = hostFunctions(host);
  const tree = compile(expr, Object.keys(host.contexts), funcs);
  return run(tree, host, funcs, expr);
}

/** Syntax check for lint: undefined when the expression parses with every context and function. */
export function parseCheck(expr: string, contexts: string[] = ALL_CONTEXTS): ExprError | undefined {
  try {
    compile(expr, contexts, ALL_FUNCTIONS);
    return undefined;
  } catch (e) {
    if (e instanceof ExprError) return e;
    return new ExprError("parsing", String(e), expr);
  }
}

/** True when the tree calls success(), failure(), cancelled() or always() anywhere. */
export function callsStatusFunction(tree: Expr | undefined): boolean {
  if (!tree) return false;
  if (tree instanceof FunctionCall) {
    if (STATUS_FUNCTIONS.includes(tree.functionName.lexeme.toLowerCase())) return true;
    return tree.args.some(callsStatusFunction);
  }
  if (tree instanceof Binary) return callsStatusFunction(tree.left) || callsStatusFunction(tree.right);
  if (tree instanceof Unary) return callsStatusFunction(tree.expr);
  if (tree instanceof Logical) return tree.args.some(callsStatusFunction);
  if (tree instanceof Grouping) return callsStatusFunction(tree.group);
  if (tree instanceof IndexAccess) return callsStatusFunction(tree.expr) || callsStatusFunction(tree.index);
  return false;
}

/** `'text'` as an expression string literal. */
function quote(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * Turn an `if:` value into one expression: `${{ x }}` alone unwraps to `x`; text mixed with
 * `${{ }}` becomes a format() call, as GitHub's template reader does.
 */
export function conditionExpression(cond: string): string {
  const parts = splitTemplate(cond.trim());
  if (!parts.some((p) => p.expr)) return cond.trim();
  if (parts.length === 1) return parts[0]!.text;
  let fmt = "";
  const args: string[] = [];
  for (const p of parts) {
    if (p.expr) {
      fmt += `{${args.length}}`;
      args.push(p.text);
    } else fmt += p.text.replaceAll("{", "{{").replaceAll("}", "}}");
  }
  return `format(${[quote(fmt), ...args].join(", ")})`;
}

/**
 * `if:` semantics: optional `${{ }}`; without a status function call the expression means
 * `success() && (expr)`. An absent or empty condition means success(). When the host has no
 * status, the implicit success() is taken as true (explicit status calls remain errors).
 */
export function evaluateCondition(cond: string | undefined, host: ExprHost): boolean {
  const expr = cond === undefined ? "" : conditionExpression(cond);
  const funcs = hostFunctions(host);
  const contexts = Object.keys(host.contexts);
  const tree = compile(expr, contexts, funcs);
  if (tree === undefined) return host.status ? host.status.success : true;
  if (callsStatusFunction(tree) || !host.status) return truthy(run(tree, host, funcs, expr));
  const wrapped = `success() && (${expr})`;
  return truthy(run(compile(wrapped, contexts, funcs), host, funcs, wrapped));
}
