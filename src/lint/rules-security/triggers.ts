// pull_request_target and workflow_run run with the base repository's secrets and a write token
// for events anyone with a fork can cause. Reported at the trigger itself: a warning when the
// workflow also checks out the untrusted code (untrusted-checkout says where), otherwise info.
import { isMap, isScalar, isSeq, type Node } from "yaml";
import { get, keyNode } from "../source.js";
import { type AuditContext, report } from "./context.js";

const DANGEROUS = ["pull_request_target", "workflow_run"];

/** The scalar naming `event` under `on:` (the key of a mapping, an item of a list, or `on:` itself). */
function triggerNode(on: Node | undefined, event: string): Node | undefined {
  if (isScalar(on)) return String(on.value).toLowerCase() === event ? on : undefined;
  if (isSeq(on)) return on.items.find((n) => isScalar(n) && String(n.value).toLowerCase() === event) as Node;
  if (isMap(on)) {
    for (const p of on.items)
      if (isScalar(p.key) && String(p.key.value).toLowerCase() === event) return p.key;
  }
  return keyNode(on, event);
}

export function checkDangerousTriggers(ctx: AuditContext): void {
  const triggers = ctx.model?.triggers;
  const found = DANGEROUS.filter((t) => triggers?.has(t));
  if (found.length === 0) return;
  const on = get(ctx.src.doc.contents, "on") ?? get(ctx.src.doc.contents, "true");
  const checksOut = ctx.findings.some((f) => f.rule === "untrusted-checkout");
  for (const event of found) {
    const what =
      event === "workflow_run"
        ? "runs with secrets and a write token after workflows that forks can trigger"
        : "runs with secrets and a write token for pull requests from forks";
    report(
      ctx,
      "dangerous-triggers",
      triggerNode(on, event),
      checksOut
        ? `${event} ${what}, and this workflow checks out their code`
        : `${event} ${what}; keep untrusted code and values out of it`,
      { severity: checksOut ? "warning" : "info" },
    );
  }
}
