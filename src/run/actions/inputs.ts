import type { ActionInputDefinition } from "@actions/workflow-parser/actions/index";
import { type ExprHost, evaluateTemplate, type Json, toStr } from "../../expr/index.js";

export type InputsResult =
  | { ok: true; inputs: Record<string, string>; unexpected: string[] }
  | { ok: false; error: string };

/** `with:` values, as strings, by lower-cased name (input names are case-insensitive). */
export function withValues(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === "object" && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) out[k.toLowerCase()] = toStr(x);
  return out;
}

/**
 * An action's inputs: given values over the defaults of action.yml (defaults may be
 * expressions, evaluated like the runner does). A required input with neither is an error.
 */
export function resolveActionInputs(
  defs: ActionInputDefinition[] | undefined,
  given: Record<string, string>,
  host: ExprHost,
): InputsResult {
  const inputs: Record<string, string> = {};
  const declared = new Set<string>();
  for (const def of defs ?? []) {
    const key = def.id.toLowerCase();
    declared.add(key);
    if (key in given) {
      inputs[def.id] = given[key]!;
      continue;
    }
    if (def.default !== undefined) {
      try {
        inputs[def.id] = toStr(evaluateTemplate(def.default, host));
      } catch (e) {
        return { ok: false, error: `default of input '${def.id}': ${(e as Error).message}` };
      }
      continue;
    }
    if (def.required)
      return { ok: false, error: `input '${def.id}' is required and was not given (add it under with:)` };
    inputs[def.id] = "";
  }
  const unexpected = Object.keys(given).filter((k) => !declared.has(k));
  for (const k of unexpected) inputs[k] = given[k]!;
  return { ok: true, inputs, unexpected };
}

/** INPUT_<NAME> variables as @actions/core reads them: upper case, spaces to underscores. */
export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, "_").toUpperCase()}`] = v;
  return env;
}
