import type { BasicExpressionToken } from "@actions/workflow-parser/templates/tokens/basic-expression-token";
import { parse } from "yaml";

const decoded = new WeakMap<BasicExpressionToken, string | null>();

/**
 * For a value spanning several lines, GitHub's parser builds its format() from the raw
 * YAML source (indentation, quotes and all: it serves editors, which want positions).
 * Running it needs the YAML value, so decode the source again. null: not such a token.
 */
export function multilineValue(t: BasicExpressionToken): string | null {
  const hit = decoded.get(t);
  if (hit !== undefined) return hit;
  let value: string | null = null;
  if (t.source && t.range && t.range.start.line !== t.range.end.line && t.originalExpressions) {
    try {
      const text = t.blockScalarHeader ? `${t.blockScalarHeader}\n${t.source}` : t.source;
      const v: unknown = parse(text);
      if (typeof v === "string") value = v;
    } catch {
      value = null;
    }
  }
  decoded.set(t, value);
  return value;
}
