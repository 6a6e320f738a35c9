// An `if:` that is always true (text around its `${{ }}`, or a block scalar's final line break)
// runs the job or step whatever the condition says: a guard such as "only for our own branches"
// protects nothing. Lint reports it as if-always-true; audit reports it as the security finding.
import type { Scalar } from "yaml";
import { ifAlwaysTrue } from "../if-always-true.js";
import { type AuditContext, report } from "./context.js";
import { fileExpressions } from "./expressions.js";

export function checkUnsoundCondition(ctx: AuditContext): void {
  const seen = new Set<Scalar>();
  for (const { scalar, inIf } of fileExpressions(ctx.src)) {
    if (!inIf || seen.has(scalar)) continue;
    seen.add(scalar);
    if (!ifAlwaysTrue(scalar.value)) continue;
    const v = scalar.value.trim();
    const shown = JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
    report(
      ctx,
      "unsound-condition",
      scalar,
      `if: ${shown} is always true: GitHub reads the text around \${{ }} as a non-empty string`,
    );
  }
}
