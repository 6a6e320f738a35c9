import type { BasicExpressionToken } from "@actions/workflow-parser/templates/tokens/basic-expression-token";
import type { BooleanToken } from "@actions/workflow-parser/templates/tokens/boolean-token";
import type { MappingToken } from "@actions/workflow-parser/templates/tokens/mapping-token";
import type { NumberToken } from "@actions/workflow-parser/templates/tokens/number-token";
import type { SequenceToken } from "@actions/workflow-parser/templates/tokens/sequence-token";
import type { StringToken } from "@actions/workflow-parser/templates/tokens/string-token";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { toStr } from "./convert.js";
import { evaluate } from "./evaluate.js";
import { multilineValue } from "./multiline.js";
import { splitTemplate } from "./split.js";
import { ExprError, type ExprHost, type Json } from "./types.js";

// Numeric values of the parser's TokenType enum; compared by number so that a second copy
// of the package (bundling, vitest inlining) cannot break instanceof checks.
const T = {
  String: 0,
  Sequence: 1,
  Mapping: 2,
  BasicExpression: 3,
  InsertExpression: 4,
  Boolean: 5,
  Number: 6,
};

function isPlainObject(v: Json): v is { [k: string]: Json } {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Mapping key as text; expression keys are evaluated. */
function keyOf(key: TemplateToken, host: ExprHost): string {
  const v = evaluateTemplate(key, host);
  return toStr(v);
}

/**
 * Evaluate a parsed workflow value: literals as they are, `${{ }}` expressions evaluated,
 * mappings and sequences recursively, and `${{ insert }}` keys merging a mapping in place.
 */
export function evaluateTemplate(token: TemplateToken, host: ExprHost): Json {
  switch (token.templateTokenType) {
    case T.String:
      return (token as StringToken).value;
    case T.Number:
      return (token as NumberToken).value;
    case T.Boolean:
      return (token as BooleanToken).value;
    case T.BasicExpression: {
      const multi = multilineValue(token as BasicExpressionToken);
      if (multi !== null) {
        const parts = splitTemplate(multi.trim());
        // A block holding one expression alone yields its value, not text (matrix: |- ${{ fromJSON(..) }}).
        if (parts.length === 1 && parts[0]!.expr) return evaluate(parts[0]!.text, host);
        return interpolate(multi, host);
      }
      return evaluate((token as BasicExpressionToken).expression, host);
    }
    case T.Sequence: {
      const out: Json[] = [];
      for (const item of token as SequenceToken) out.push(evaluateTemplate(item, host));
      return out;
    }
    case T.Mapping: {
      const out: { [k: string]: Json } = {};
      for (const { key, value } of token as MappingToken) {
        if (key.templateTokenType === T.InsertExpression) {
          const v = evaluateTemplate(value, host);
          if (!isPlainObject(v)) {
            throw new ExprError("evaluation", "An insert expression must produce a mapping");
          }
          Object.assign(out, v);
          continue;
        }
        out[keyOf(key, host)] = evaluateTemplate(value, host);
      }
      return out;
    }
    case T.InsertExpression:
      throw new ExprError("evaluation", "An insert expression is only allowed as a mapping key");
    default:
      return null;
  }
}

/** Replace each `${{ expr }}` in raw text with its value as text (action.yml fields and the like). */
export function interpolate(text: string, host: ExprHost): string {
  let out = "";
  for (const part of splitTemplate(text)) out += part.expr ? toStr(evaluate(part.text, host)) : part.text;
  return out;
}
