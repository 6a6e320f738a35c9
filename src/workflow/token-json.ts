import {
  BasicExpressionToken,
  BooleanToken,
  InsertExpressionToken,
  MappingToken,
  NullToken,
  NumberToken,
  type ScalarToken,
  SequenceToken,
  StringToken,
  type TemplateToken,
} from "@actions/workflow-parser/templates/tokens/index";
import type { TokenRange } from "@actions/workflow-parser/templates/tokens/token-range";
import { TokenType } from "@actions/workflow-parser/templates/tokens/types";

// The parser's own toJSON drops positions; a plan read back from a file must still point
// errors at file:line:col, so tokens are written with their ranges and file id.

/** [start line, start column, end line, end column], one-based. */
export type RangeJson = [number, number, number, number];

interface Where {
  /** The parser's file id. */
  file?: number;
  range?: RangeJson;
}

/** JSON has no NaN or infinities; YAML's `.nan` and `.inf` are numbers. */
type NumberJson = number | "NaN" | "Infinity" | "-Infinity";

export type TokenJson =
  | ({ type: "string"; value: string; source?: string; block?: string } & Where)
  | ({ type: "number"; value: NumberJson } & Where)
  | ({ type: "boolean"; value: boolean } & Where)
  | ({ type: "null" } & Where)
  | ({ type: "mapping"; pairs: [TokenJson, TokenJson][] } & Where)
  | ({ type: "sequence"; items: TokenJson[] } & Where)
  | ({
      type: "expression";
      expr: string;
      source?: string;
      block?: string;
      exprRange?: RangeJson;
      originals?: TokenJson[];
    } & Where)
  | ({ type: "insert" } & Where);

/** A token read from JSON that does not have the shape of one. */
export class TokenJsonError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

function rangeOut(r: TokenRange | undefined): RangeJson | undefined {
  return r ? [r.start.line, r.start.column, r.end.line, r.end.column] : undefined;
}

function where(t: TemplateToken): Where {
  const w: Where = {};
  if (t.file !== undefined) w.file = t.file;
  const r = rangeOut(t.range);
  if (r) w.range = r;
  return w;
}

function numberOut(n: number): NumberJson {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "Infinity";
  if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
  return n;
}

/** A token tree as plain JSON, positions kept. */
export function tokenToJson(t: TemplateToken): TokenJson {
  const w = where(t);
  switch (t.templateTokenType) {
    case TokenType.String: {
      const s = t as StringToken;
      const out: TokenJson = { type: "string", value: s.value, ...w };
      if (s.source !== undefined) out.source = s.source;
      if (s.blockScalarHeader !== undefined) out.block = s.blockScalarHeader;
      return out;
    }
    case TokenType.Number:
      return { type: "number", value: numberOut((t as NumberToken).value), ...w };
    case TokenType.Boolean:
      return { type: "boolean", value: (t as BooleanToken).value, ...w };
    case TokenType.Null:
      return { type: "null", ...w };
    case TokenType.Mapping: {
      const m = t as MappingToken;
      const pairs: [TokenJson, TokenJson][] = [];
      for (let i = 0; i < m.count; i++) {
        const p = m.get(i);
        pairs.push([tokenToJson(p.key), tokenToJson(p.value)]);
      }
      return { type: "mapping", pairs, ...w };
    }
    case TokenType.Sequence: {
      const s = t as SequenceToken;
      const items: TokenJson[] = [];
      for (let i = 0; i < s.count; i++) items.push(tokenToJson(s.get(i)));
      return { type: "sequence", items, ...w };
    }
    case TokenType.BasicExpression: {
      const e = t as BasicExpressionToken;
      const out: TokenJson = { type: "expression", expr: e.expression, ...w };
      if (e.source !== undefined) out.source = e.source;
      if (e.blockScalarHeader !== undefined) out.block = e.blockScalarHeader;
      const er = rangeOut(e.expressionRange);
      if (er) out.exprRange = er;
      if (e.originalExpressions) out.originals = e.originalExpressions.map(tokenToJson);
      return out;
    }
    case TokenType.InsertExpression:
      return { type: "insert", ...w };
    default:
      throw new Error(`unknown token type ${t.templateTokenType}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function rangeIn(v: unknown, path: string): TokenRange | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== 4 || !v.every((n) => Number.isInteger(n)))
    throw new TokenJsonError("range must be [line, column, line, column]", path);
  return { start: { line: v[0], column: v[1] }, end: { line: v[2], column: v[3] } };
}

function optString(v: unknown, path: string): string | undefined {
  if (v === undefined || typeof v === "string") return v;
  throw new TokenJsonError("must be a string", path);
}

function numberIn(v: unknown, path: string): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  throw new TokenJsonError("a number token's value must be a number", path);
}

/** The token tree a tokenToJson value stands for; throws TokenJsonError naming the bad place. */
export function tokenFromJson(j: unknown, path = "token"): TemplateToken {
  if (!isObject(j)) throw new TokenJsonError("a token must be an object", path);
  const file = j.file;
  if (file !== undefined && !Number.isInteger(file))
    throw new TokenJsonError("file must be an integer", path);
  const f = file as number | undefined;
  const r = rangeIn(j.range, `${path}.range`);
  switch (j.type) {
    case "string":
      if (typeof j.value !== "string")
        throw new TokenJsonError("a string token's value must be a string", path);
      return new StringToken(
        f,
        r,
        j.value,
        undefined,
        optString(j.source, `${path}.source`),
        optString(j.block, `${path}.block`),
      );
    case "number":
      return new NumberToken(f, r, numberIn(j.value, `${path}.value`), undefined);
    case "boolean":
      if (typeof j.value !== "boolean")
        throw new TokenJsonError("a boolean token's value must be true or false", path);
      return new BooleanToken(f, r, j.value, undefined);
    case "null":
      return new NullToken(f, r, undefined);
    case "mapping": {
      if (!Array.isArray(j.pairs)) throw new TokenJsonError("a mapping needs pairs", path);
      const m = new MappingToken(f, r, undefined);
      j.pairs.forEach((p: unknown, i: number) => {
        const at = `${path}.pairs[${i}]`;
        if (!Array.isArray(p) || p.length !== 2) throw new TokenJsonError("a pair is [key, value]", at);
        const key = tokenFromJson(p[0], `${at}[0]`);
        if (!key.isScalar) throw new TokenJsonError("a mapping key must be a scalar", `${at}[0]`);
        m.add(key as ScalarToken, tokenFromJson(p[1], `${at}[1]`));
      });
      return m;
    }
    case "sequence": {
      if (!Array.isArray(j.items)) throw new TokenJsonError("a sequence needs items", path);
      const s = new SequenceToken(f, r, undefined);
      j.items.forEach((x: unknown, i: number) => {
        s.add(tokenFromJson(x, `${path}.items[${i}]`));
      });
      return s;
    }
    case "expression": {
      if (typeof j.expr !== "string") throw new TokenJsonError("an expression needs expr", path);
      let originals: BasicExpressionToken[] | undefined;
      if (j.originals !== undefined) {
        if (!Array.isArray(j.originals)) throw new TokenJsonError("originals must be a list", path);
        originals = j.originals.map((o: unknown, i: number) => {
          const t = tokenFromJson(o, `${path}.originals[${i}]`);
          if (!(t instanceof BasicExpressionToken))
            throw new TokenJsonError("must be an expression", `${path}.originals[${i}]`);
          return t;
        });
      }
      return new BasicExpressionToken(
        f,
        r,
        j.expr,
        undefined,
        originals,
        optString(j.source, `${path}.source`),
        rangeIn(j.exprRange, `${path}.exprRange`),
        optString(j.block, `${path}.block`),
      );
    }
    case "insert":
      return new InsertExpressionToken(f, r, undefined);
    default:
      throw new TokenJsonError(`unknown token type ${JSON.stringify(j.type)}`, path);
  }
}

// In one process the plan and its tokens travel together: the JSON form remembers the token it
// was made from, so the CLI's run decodes nothing; a plan read from a file decodes each body once.
const live = new WeakMap<object, TemplateToken>();

/** tokenToJson, remembering the token for liveToken. */
export function encodeToken(t: TemplateToken): TokenJson {
  const j = tokenToJson(t);
  live.set(j, t);
  return j;
}

/** The token a JSON form stands for: the original in this process, else decoded (once). */
export function liveToken(j: TokenJson): TemplateToken {
  let t = live.get(j);
  if (!t) {
    t = tokenFromJson(j);
    live.set(j, t);
  }
  return t;
}
