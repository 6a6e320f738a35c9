// An `if:` that reads nothing and calls nothing has the same value every run: `if: false` (or
// `${{ false }}`, `0`, `''`) never runs the job or step; `if: true` is the same as no `if:`.
// Text around `${{ }}` is if-always-true's case.
import { isScalar, type Node } from "yaml";
import { evaluate, truthy } from "../../expr/index.js";
import { type LintContext, report } from "../context.js";
import { parseExpr } from "../expr-refs.js";
import { ifAlwaysTrue } from "../if-always-true.js";
import { get, items } from "../source.js";

/** The constant truth of an `if:` value, or undefined when it depends on something. */
export function constantCondition(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value !== "string" || ifAlwaysTrue(value)) return undefined;
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(value);
  const expr = (m ? m[1]! : value).trim();
  if (expr === "") return undefined;
  const parsed = parseExpr(expr);
  if (!parsed.ok || parsed.refs.length > 0 || parsed.calls.length > 0) return undefined;
  try {
    return truthy(evaluate(expr, { contexts: {} }));
  } catch {
    return undefined;
  }
}

function checkIf(ctx: LintContext, node: Node | undefined, what: string): void {
  if (!isScalar(node)) return;
  const c = constantCondition(node.value);
  if (c === false) {
    report(ctx, "if-constant", node, `if: is always false: the ${what} never runs`, {
      fix: `remove the ${what}, or give the condition something to test`,
    });
  } else if (c === true) {
    report(ctx, "if-constant", node, `if: is always true: the ${what} runs as if it had no if:`, {
      severity: "info",
      fix: "remove the if:",
    });
  }
}

export function checkConstantIfs(ctx: LintContext): void {
  if (!/\bif\s*:/.test(ctx.src.text)) return;
  if (ctx.src.kind === "action") {
    for (const step of items(get(get(ctx.src.doc.contents, "runs"), "steps")))
      checkIf(ctx, get(step, "if"), "step");
    return;
  }
  for (const job of ctx.model?.jobs.values() ?? []) {
    checkIf(ctx, get(job.node, "if"), "job");
    for (const step of job.steps) checkIf(ctx, get(step.node, "if"), "step");
  }
}
