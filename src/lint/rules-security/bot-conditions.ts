// `if: github.actor == 'dependabot[bot]'` trusts whoever caused the latest event, not who wrote
// the code: anyone can get the bot to act on their pull request (a rebase, a comment) and the
// privileged workflow then runs on their commits as if the bot had written them.
import { type AuditContext, report } from "./context.js";
import { fileExpressions } from "./expressions.js";

const PRIVILEGED = ["pull_request_target", "workflow_run", "issue_comment"];
const ACTOR = String.raw`github\s*\.\s*(?:actor|triggering_actor)`;
const BOT = String.raw`'[^']*\[bot\]'`;
const CHECKS = [
  new RegExp(String.raw`\b(${ACTOR})\s*==\s*${BOT}`, "gi"),
  new RegExp(String.raw`${BOT}\s*==\s*(${ACTOR})\b`, "gi"),
  new RegExp(String.raw`\bendswith\s*\(\s*(${ACTOR})\s*,\s*'\[bot\]'\s*\)`, "gi"),
];

export function checkBotConditions(ctx: AuditContext): void {
  const triggers = ctx.model?.triggers;
  const on = PRIVILEGED.filter((t) => triggers?.has(t));
  if (on.length === 0 || !ctx.src.text.includes("[bot]")) return;
  for (const { found, inIf } of fileExpressions(ctx.src)) {
    if (!inIf || !found.closed || !found.expr.includes("[bot]")) continue;
    for (const re of CHECKS) {
      for (const m of found.expr.matchAll(re)) {
        const actor = m[1]!;
        const at = found.offset + m.index + m[0].indexOf(actor);
        report(
          ctx,
          "bot-conditions",
          at,
          `${actor.replace(/\s+/g, "")} names who caused the latest event, not who wrote the code: a bot check here can be triggered for anyone's pull request (${on.join(", ")})`,
          { end: at + actor.length },
        );
      }
    }
  }
}
