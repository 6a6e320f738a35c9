// GitHub reads an `if:` from the YAML value. For a value spanning several lines (a block scalar
// such as `if: |-` or `if: >-`, a multi-line quoted string) @actions/workflow-parser builds the
// condition from the raw source instead (indentation, the final line break, quotes), which makes a
// format() of text around the expression: a non-empty string, always true. These conditions are
// rebuilt from the value before the package converts them.

import { isMapping, isSequence } from "@actions/workflow-parser";
import { BasicExpressionToken } from "@actions/workflow-parser/templates/tokens/basic-expression-token";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { multilineValue } from "../expr/multiline.js";
import { splitTemplate } from "../expr/split.js";
import { field } from "./tokens.js";

/** Fixes the `if:` of every job and step of a workflow's raw token tree, in place. */
export function fixWorkflowIfs(root: TemplateToken | undefined): void {
  const jobs = field(root, "jobs");
  if (!jobs || !isMapping(jobs)) return;
  for (let i = 0; i < jobs.count; i++) {
    const job = jobs.get(i).value;
    fixIf(job);
    fixStepIfs(field(job, "steps"));
  }
}

/** Fixes the `if:` of the steps of a composite action's raw token tree, in place. */
export function fixActionIfs(root: TemplateToken | undefined): void {
  fixStepIfs(field(field(root, "runs"), "steps"));
}

function fixStepIfs(steps: TemplateToken | undefined): void {
  if (!steps || !isSequence(steps)) return;
  for (let i = 0; i < steps.count; i++) fixIf(steps.get(i));
}

function fixIf(owner: TemplateToken | undefined): void {
  if (!owner || !isMapping(owner)) return;
  const pairs = (owner as unknown as { map: { key: TemplateToken; value: TemplateToken }[] }).map;
  for (const pair of pairs) {
    if (pair.key.toString() !== "if" || !(pair.value instanceof BasicExpressionToken)) continue;
    const fixed = fromValue(pair.value);
    if (fixed) pair.value = fixed;
  }
}

/** The condition GitHub evaluates for a multi-line `if:` value; undefined when nothing changes. */
function fromValue(t: BasicExpressionToken): BasicExpressionToken | undefined {
  const value = multilineValue(t);
  if (value === null) return undefined;
  const parts = splitTemplate(value);
  if (!parts.some((p) => p.expr)) return undefined;
  let expression: string;
  if (parts.length === 1) expression = parts[0]!.text;
  else {
    // Text around the expression stays, as on GitHub (`if: |` keeps its final line break: true).
    let format = "";
    const args: string[] = [];
    for (const p of parts) {
      if (p.expr) format += `{${args.push(p.text) - 1}}`;
      else format += p.text.replaceAll("'", "''").replaceAll("{", "{{").replaceAll("}", "}}");
    }
    expression = `format('${format}', ${args.join(", ")})`;
  }
  return new BasicExpressionToken(t.file, t.range, expression, t.definitionInfo, undefined, undefined);
}
