// .github/dependabot.yml: updates taken the day they are released (dependabot-cooldown; most
// compromised releases are pulled within days, so a week's wait keeps them out) and manifests
// whose code Dependabot may run while resolving (dependabot-execution: that code runs where
// Dependabot holds registry credentials).
import { isMap, isScalar } from "yaml";
import type { Finding } from "../finding.js";
import { get, items, keyNode, parseSource, posAt, str } from "../source.js";
import { type AuditContext, report } from "./context.js";
import type { Persona } from "./docs.js";
import { auditSuppressor } from "./ignore.js";

/** zizmor's recommended least cooldown, in days (Dependabot's own default is none). */
export const COOLDOWN_DAYS = 7;

export const isDependabot = (base: string) => /^dependabot\.ya?ml$/.test(base);

export function auditDependabot(text: string, file: string, persona: Persona = "regular"): Finding[] {
  const src = parseSource(text, file, file, "workflow");
  if (src.doc.errors.length > 0) {
    const e = src.doc.errors[0]!;
    const p = posAt(src, e.pos[0]);
    return [
      { rule: "syntax", severity: "error", message: `cannot audit: ${e.message.split("\n")[0]}`, file, ...p },
    ];
  }
  const ctx: AuditContext = {
    root: ".",
    src,
    model: undefined,
    steps: [],
    store: undefined,
    storeSeen: new Map(),
    findings: [],
    persona,
    forbiddenUses: undefined,
  };
  for (const update of items(get(src.doc.contents, "updates"))) {
    if (!isMap(update)) continue;
    const eco = str(get(update, "package-ecosystem")) ?? "?";
    const at = keyNode(update, "package-ecosystem") ?? update;
    const exec = get(update, "insecure-external-code-execution");
    if (isScalar(exec) && str(exec)?.trim().toLowerCase() === "allow")
      report(
        ctx,
        "dependabot-execution",
        keyNode(update, "insecure-external-code-execution"),
        `${eco} updates may run code from the manifests they resolve, with Dependabot's credentials`,
        { end: exec.range?.[1] },
      );
    const cooldown = get(update, "cooldown");
    if (cooldown === undefined) {
      report(
        ctx,
        "dependabot-cooldown",
        at,
        `${eco} updates have no cooldown: a release is proposed the day it is published`,
      );
      continue;
    }
    const days = get(cooldown, "default-days");
    const n = Number(str(days));
    if (days === undefined || !Number.isFinite(n))
      report(ctx, "dependabot-cooldown", keyNode(update, "cooldown"), `${eco} cooldown has no default-days`, {
        fix: `set default-days: ${COOLDOWN_DAYS} (or more)`,
      });
    else if (n < COOLDOWN_DAYS)
      report(
        ctx,
        "dependabot-cooldown",
        days,
        `${eco} cooldown of ${n} day${n === 1 ? "" : "s"} is shorter than ${COOLDOWN_DAYS}`,
        { fix: `set default-days: ${COOLDOWN_DAYS} (or more)` },
      );
  }
  const suppressed = auditSuppressor(text);
  return ctx.findings.filter((f) => !suppressed(f));
}
