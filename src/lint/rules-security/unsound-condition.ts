// An `if:` that is always true (text around its `${{ }}`, or a block scalar's final line break)
// runs the job or step whatever the condition says: a guard such as "only for our own branches"
// protects nothing. Lint reports it as if-always-true; audit reports it as the security finding.
import { isScalar } from "yaml";
import { ifAlwaysTrue } from "../if-always-true.js";
import { get } from "../source.js";
import { type AuditContext, report } from "./context.js";

export function checkUnsoundCondition(ctx: AuditContext): void {
  if (!ctx.src.text.includes("${{")) return;
  const conditions = [
    ...[...(ctx.model?.jobs.values() ?? [])].map((j) => get(j.node, "if")),
    ...ctx.steps.map((s) => get(s.node, "if")),
  ];
  for (const node of conditions) {
    if (!isScalar(node) || !ifAlwaysTrue(node.value)) continue;
    const v = node.value.trim();
    const shown = JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
    report(
      ctx,
      "unsound-condition",
      node,
      `if: ${shown} is always true: GitHub reads the text around \${{ }} as a non-empty string`,
    );
  }
}
