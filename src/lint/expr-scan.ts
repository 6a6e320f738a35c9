// Finds `${{ }}` expressions inside a YAML scalar and maps positions inside them back to the file.
import { isScalar, type Node, Scalar } from "yaml";

export interface FoundExpr {
  /** Expression text between `${{` and `}}` (or the whole value of an implicit `if:`). */
  expr: string;
  /** File offset of expr[0]. */
  offset: number;
  /** Whether `}}` was found; an unclosed expression is a syntax error. */
  closed: boolean;
}

/** Offset of the `}}` closing an expression that starts at `from`, skipping string literals. */
function closeAt(s: string, from: number): number {
  let inString = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === "'")
      inString = !inString; // '' inside a string toggles twice: still inside
    else if (!inString && c === "}" && s[i + 1] === "}") return i;
  }
  return -1;
}

function scan(s: string, base: number): FoundExpr[] {
  const out: FoundExpr[] = [];
  let i = s.indexOf("${{");
  while (i >= 0) {
    const start = i + 3;
    const end = closeAt(s, start);
    if (end < 0) {
      out.push({ expr: s.slice(start), offset: base + start, closed: false });
      break;
    }
    out.push({ expr: s.slice(start, end), offset: base + start, closed: true });
    i = s.indexOf("${{", end + 2);
  }
  return out;
}

/**
 * Expressions in a scalar. Plain and block scalars are scanned in the raw source so positions are
 * exact; quoted scalars are scanned in their value (escapes would break lexing) with offsets that
 * are exact unless an escape precedes the expression.
 */
export function expressionsIn(text: string, node: Node | undefined, implicit = false): FoundExpr[] {
  if (!isScalar(node) || typeof node.value !== "string" || !node.range) return [];
  const value = node.value;
  const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
  if (implicit && !value.includes("${{")) {
    if (value.trim() === "") return [];
    const lead = value.length - value.trimStart().length;
    const raw = text.slice(node.range[0], node.range[1]);
    const at = quoted ? node.range[0] + 1 + lead : node.range[0] + Math.max(0, raw.indexOf(value.trim()));
    return [{ expr: value, offset: at, closed: true }];
  }
  if (!value.includes("${{")) return [];
  if (quoted) return scan(value, node.range[0] + 1);
  return scan(text.slice(node.range[0], node.range[1]), node.range[0]);
}

/** File offset of a (line, column) position reported by the expression lexer (both 0-based). */
export function offsetInExpr(found: FoundExpr, line: number, column: number): number {
  let idx = 0;
  for (let l = 0; l < line; l++) {
    const nl = found.expr.indexOf("\n", idx);
    if (nl < 0) break;
    idx = nl + 1;
  }
  return found.offset + idx + column;
}
