// ACTIONS_ALLOW_UNSECURE_COMMANDS turns the retired `::set-env::` and `::add-path::` log commands
// back on: anything a step prints (a pull request title, a test name) can then set variables such
// as LD_PRELOAD or NODE_OPTIONS for every later step.
import { isScalar, type Node } from "yaml";
import { entries, get, str } from "../source.js";
import { type AuditContext, report } from "./context.js";

const NAME = "ACTIONS_ALLOW_UNSECURE_COMMANDS";
const FALSY = /^(false|0|no|off|)$/i;

/** Every `env:` mapping of the file: workflow, jobs and steps (of a job or a composite action). */
function envMaps(ctx: AuditContext): Node[] {
  const root = ctx.src.doc.contents as Node | undefined;
  const out: (Node | undefined)[] = [get(root, "env")];
  for (const job of ctx.model?.jobs.values() ?? []) out.push(get(job.node, "env"));
  for (const step of ctx.steps) out.push(get(step.node, "env"));
  return out.filter((n): n is Node => n !== undefined);
}

export function checkInsecureCommands(ctx: AuditContext): void {
  if (!ctx.src.text.includes(NAME)) return;
  for (const env of envMaps(ctx)) {
    for (const e of entries(env)) {
      if (e.key !== NAME || !isScalar(e.value)) continue;
      const v = (str(e.value) ?? "").trim();
      if (FALSY.test(v)) continue;
      const expr = v.includes("${{");
      report(
        ctx,
        "insecure-commands",
        e.keyNode,
        expr
          ? `${NAME} is set from an expression: when true, output of any step can set environment variables and PATH`
          : `${NAME} re-enables ::set-env:: and ::add-path::: output of any step can set environment variables and PATH`,
      );
    }
  }
}
