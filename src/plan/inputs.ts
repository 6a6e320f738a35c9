import type { InputConfig } from "@actions/workflow-parser/model/workflow-template";
import type { Json } from "../expr/index.js";

export type InputsResult =
  | { ok: true; inputs: Record<string, Json>; strings: Record<string, string> }
  | { ok: false; error: string };

/**
 * workflow_dispatch / workflow_call inputs: given values over defaults, typed as the
 * workflow declares them (the `inputs` context keeps booleans and numbers, while
 * github.event.inputs holds strings).
 */
export function resolveInputs(
  defs: Record<string, InputConfig> | undefined,
  given: Record<string, string>,
  event: string,
): InputsResult {
  const inputs: Record<string, Json> = {};
  const strings: Record<string, string> = {};
  const known = defs ?? {};
  for (const k of Object.keys(given)) {
    if (!Object.keys(known).some((d) => d.toLowerCase() === k.toLowerCase()))
      return {
        ok: false,
        error: `unexpected input '${k}' for ${event} (declared: ${Object.keys(known).join(", ") || "none"})`,
      };
  }
  for (const [name, def] of Object.entries(known)) {
    const key = Object.keys(given).find((k) => k.toLowerCase() === name.toLowerCase());
    const raw = key !== undefined ? given[key] : def.default !== undefined ? String(def.default) : undefined;
    if (raw === undefined) {
      if (def.required) return { ok: false, error: `input '${name}' is required (pass --input ${name}=...)` };
      inputs[name] = def.type === "boolean" ? false : def.type === ("number" as string) ? null : "";
      strings[name] = def.type === "boolean" ? "false" : "";
      continue;
    }
    switch (def.type as string) {
      case "boolean": {
        if (!/^(true|false)$/i.test(raw))
          return { ok: false, error: `input '${name}' must be true or false, got '${raw}'` };
        inputs[name] = raw.toLowerCase() === "true";
        break;
      }
      case "number": {
        const n = Number(raw);
        if (raw.trim() === "" || Number.isNaN(n))
          return { ok: false, error: `input '${name}' must be a number, got '${raw}'` };
        inputs[name] = n;
        break;
      }
      case "choice":
        if (def.options && !def.options.includes(raw))
          return {
            ok: false,
            error: `input '${name}' must be one of ${def.options.join(", ")}, got '${raw}'`,
          };
        inputs[name] = raw;
        break;
      default:
        inputs[name] = raw;
    }
    strings[name] = raw;
  }
  return { ok: true, inputs, strings };
}
