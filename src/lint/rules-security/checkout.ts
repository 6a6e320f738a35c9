// pull_request_target, workflow_run and issue_comment run with the base repository's secrets and a
// write token. Checking out the pull request's code there and building it hands both to the author.
import { isScalar } from "yaml";
import { str } from "../source.js";
import { type AuditContext, report, usesAction, withInput } from "./context.js";

const PRIVILEGED = ["pull_request_target", "workflow_run", "issue_comment"];

const UNTRUSTED_REF =
  /github\.event\.pull_request\.head\.(sha|ref)|github\.event\.pull_request\.merge_commit_sha|github\.head_ref|github\.event\.workflow_run\.(head_sha|head_branch|head_commit\.id)|refs\/pull\/|github\.event\.pull_request\.head\.repo\.full_name/i;
const RUN_CHECKOUT =
  /gh\s+pr\s+checkout|\bgit\b[^\n]*\b(fetch|checkout|switch|pull)\b[^\n]*(pull\/|head\.sha|head_ref|head\.ref|head_sha|head_branch)/;

export function checkUntrustedCheckout(ctx: AuditContext): void {
  const triggers = ctx.model?.triggers;
  const privileged = PRIVILEGED.filter((t) => triggers?.has(t));
  if (privileged.length === 0) return;
  const on = privileged.join(", ");
  for (const step of ctx.steps) {
    if (usesAction(step, "actions/checkout")) {
      for (const key of ["ref", "repository"]) {
        const v = withInput(step, key);
        const s = str(v);
        if (isScalar(v) && s && UNTRUSTED_REF.test(s)) {
          report(
            ctx,
            "untrusted-checkout",
            v,
            `checks out pull request code in a workflow triggered by ${on}`,
          );
          break;
        }
      }
    }
    const run = step.run;
    if (!run?.range) continue;
    const m = RUN_CHECKOUT.exec(String(run.value));
    if (!m) continue;
    const raw = ctx.src.text.slice(run.range[0], run.range[1]);
    const at = raw.indexOf(m[0]);
    report(
      ctx,
      "untrusted-checkout",
      at >= 0 ? run.range[0] + at : run,
      `script fetches pull request code in a workflow triggered by ${on}`,
    );
  }
}
