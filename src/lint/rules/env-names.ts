// Environment variable names cannot hold '=' (it ends the name in the process environment),
// whitespace, or NUL; GitHub rejects such names or the step never sees them as written.
import type { Node } from "yaml";
import { type LintContext, report } from "../context.js";
import { entries, get, items } from "../source.js";

const BAD = /[=\s\0]/;

function checkEnv(ctx: LintContext, env: Node | undefined): void {
  for (const e of entries(env)) {
    if (e.key !== "" && !BAD.test(e.key)) continue;
    const why = e.key === "" ? "is empty" : e.key.includes("=") ? "contains '='" : "contains whitespace";
    report(ctx, "env-var-name", e.keyNode, `environment variable name ${JSON.stringify(e.key)} ${why}`, {
      fix: "use letters, digits and underscores, such as MY_VAR",
    });
  }
}

export function checkEnvNames(ctx: LintContext): void {
  const root = ctx.src.doc.contents;
  if (ctx.src.kind === "action") {
    for (const step of items(get(get(root, "runs"), "steps"))) checkEnv(ctx, get(step, "env"));
    return;
  }
  checkEnv(ctx, get(root, "env"));
  for (const job of ctx.model?.jobs.values() ?? []) {
    checkEnv(ctx, get(job.node, "env"));
    checkEnv(ctx, get(get(job.node, "container"), "env"));
    for (const s of entries(get(job.node, "services"))) checkEnv(ctx, get(s.value, "env"));
    for (const step of job.steps) checkEnv(ctx, get(step.node, "env"));
  }
}
