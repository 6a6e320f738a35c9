// `shell:` must name a shell GitHub knows or be a command template holding `{0}` (the script
// file). Anything else fails the step before it runs.
import { isScalar, type Node } from "yaml";
import { type LintContext, report } from "../context.js";
import { didYouMean } from "../did-you-mean.js";
import { get, isExpression, items } from "../source.js";

const SHELLS = ["bash", "sh", "pwsh", "powershell", "cmd", "python"];

function checkShell(ctx: LintContext, node: Node | undefined): void {
  if (!isScalar(node) || typeof node.value !== "string") return;
  const v = node.value.trim();
  if (v.includes("{0}") || isExpression(v) || SHELLS.includes(v)) return;
  const near = didYouMean(v.split(/\s+/)[0]!, SHELLS);
  const args = /\s/.test(v) ? `; a command with arguments needs {0} where the script goes: '${v} {0}'` : "";
  report(ctx, "shell-name", node, `unknown shell '${v}'${near ? `; did you mean '${near}'?` : ""}${args}`, {
    fix: `use one of ${SHELLS.join(", ")}, or a command template such as 'bash -x {0}'`,
  });
}

export function checkShells(ctx: LintContext): void {
  const root = ctx.src.doc.contents;
  if (!/\bshell\s*:/.test(ctx.src.text)) return;
  if (ctx.src.kind === "action") {
    for (const step of items(get(get(root, "runs"), "steps"))) checkShell(ctx, get(step, "shell"));
    return;
  }
  checkShell(ctx, get(get(get(root, "defaults"), "run"), "shell"));
  for (const job of ctx.model?.jobs.values() ?? []) {
    checkShell(ctx, get(get(get(job.node, "defaults"), "run"), "shell"));
    for (const step of job.steps) checkShell(ctx, get(step.node, "shell"));
  }
}
