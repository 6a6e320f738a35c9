import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NoOperationTraceWriter } from "@actions/workflow-parser";
import {
  type ActionTemplate,
  convertActionTemplate,
  parseAction,
} from "@actions/workflow-parser/actions/index";
import { ErrorPolicy } from "@actions/workflow-parser/model/convert";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { nestingPastLimit } from "../../workflow/depth-scan.js";
import { PARSER_NESTING_GUARD, TOO_DEEP } from "../../workflow/fast-yaml.js";
import { fixActionIfs } from "../../workflow/if-blocks.js";
import { field, rawSteps } from "../../workflow/tokens.js";

export const NODE_RUNTIMES = ["node12", "node16", "node20", "node24"] as const;
const USING = ["composite", "docker", ...NODE_RUNTIMES];

/** An action.yml, parsed and validated, with the raw tokens the typed model drops. */
export interface LoadedAction {
  /** Folder of the action: GITHUB_ACTION_PATH. */
  dir: string;
  /** action.yml path as shown to the user. */
  file: string;
  template: ActionTemplate;
  /** Raw `runs.steps[i]` mappings (shell, working-directory and with live only here). */
  rawSteps: TemplateToken[];
}

export type LoadActionResult = { ok: true; action: LoadedAction } | { ok: false; error: string };

/**
 * Reads `<dir>/action.yml` (or .yaml). `shown` is how the folder is named in messages
 * (the `uses:` value, or a path relative to the workspace).
 */
export function loadAction(dir: string, shown: string): LoadActionResult {
  const path = ["action.yml", "action.yaml"].map((f) => join(dir, f)).find((p) => existsSync(p));
  if (!path) {
    if (existsSync(join(dir, "Dockerfile")))
      return {
        ok: false,
        error: `${shown} is a Dockerfile action, which needs a container executor (this machine has none)`,
      };
    return {
      ok: false,
      error: existsSync(dir)
        ? `${shown}: no action.yml or action.yaml in ${dir}`
        : `${shown}: the folder ${dir} does not exist (is the path right, and is the repository checked out?)`,
    };
  }
  const file = join(shown, path.slice(dir.length + 1)).replace(/^\.\//, "./");
  const content = readFileSync(path, "utf8");
  // The yaml package recurses per level: deep nesting is refused before it runs out of stack.
  const deep = nestingPastLimit(content, PARSER_NESTING_GUARD);
  if (deep !== undefined) {
    const before = content.slice(0, deep);
    const line = before.split("\n").length;
    return { ok: false, error: `${file}:${line}:${deep - before.lastIndexOf("\n")}: ${TOO_DEEP}` };
  }
  const parsed = parseAction({ name: file, content }, new NoOperationTraceWriter());
  // GitHub's runner accepts an action.yml without name or description; the schema does not.
  const errors = parsed.context.errors
    .getErrors()
    .filter((e) => !/^Required property is missing: (name|description)$/.test(e.rawMessage));
  if (errors.length || !parsed.value) {
    const first = errors[0];
    const where = first?.range ? `${file}:${first.range.start.line}:${first.range.start.column}` : file;
    let msg = first?.rawMessage.split("\n")[0] ?? "cannot read the file";
    const using = field(field(parsed.value, "runs"), "using");
    const usingValue = using && "value" in using ? String((using as { value: unknown }).value) : undefined;
    if (
      usingValue !== undefined &&
      !USING.includes(usingValue) &&
      first?.range &&
      using?.range?.start.line === first.range.start.line
    )
      msg = `unknown runs.using '${usingValue}' (expected composite, ${NODE_RUNTIMES.join(", ")} or docker)`;
    else if (msg === "Required property is missing: shell")
      msg = "a run step of a composite action needs `shell:`";
    const more =
      errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? "s" : ""})` : "";
    return { ok: false, error: `${where}: ${msg}${more}` };
  }
  fixActionIfs(parsed.value);
  const template = convertActionTemplate(parsed.context, parsed.value, {
    errorPolicy: ErrorPolicy.TryConversion,
  });
  const runs = field(parsed.value, "runs");
  return { ok: true, action: { dir, file, template, rawSteps: rawSteps(runs) } };
}
