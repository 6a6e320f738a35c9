import { isBasicExpression, isMapping, isSequence, isString } from "@actions/workflow-parser";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { type ExprHost, evaluateTemplate, type Json } from "../expr/index.js";

/**
 * Evaluates `strategy:`. Inside a matrix list, an item written as one expression that
 * yields a list contributes its items (`- ${{ fromJSON('[..]') }}`), as on GitHub.
 */
export function evaluateStrategy(token: TemplateToken, host: ExprHost): Json {
  if (!isMapping(token)) return evaluateTemplate(token, host);
  const out: Record<string, Json> = {};
  for (const { key, value } of token) {
    const k = isString(key) ? key.value : String(evaluateTemplate(key, host));
    out[k] = k === "matrix" && isMapping(value) ? evaluateMatrix(value, host) : evaluateTemplate(value, host);
  }
  return out;
}

function evaluateMatrix(token: TemplateToken, host: ExprHost): Json {
  if (!isMapping(token)) return evaluateTemplate(token, host);
  const out: Record<string, Json> = {};
  for (const { key, value } of token) {
    const k = isString(key) ? key.value : String(evaluateTemplate(key, host));
    if (!isSequence(value)) {
      out[k] = evaluateTemplate(value, host);
      continue;
    }
    const items: Json[] = [];
    for (const item of value) {
      const v = evaluateTemplate(item, host);
      if (isBasicExpression(item) && Array.isArray(v)) items.push(...v);
      else items.push(v);
    }
    out[k] = items;
  }
  return out;
}
