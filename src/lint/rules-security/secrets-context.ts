// The secrets context handed over whole: `toJSON(secrets)` or `secrets[<computed>]` gives a step
// every secret of the repository (overprovisioned-secrets). And `fromJSON(secrets.X).field`: the
// runner masks the secret's whole text, not the fields taken out of it (unredacted-secrets).
import { type AuditContext, report } from "./context.js";
import { blankStrings } from "./expr-taint.js";
import { fileExpressions } from "./expressions.js";

const WHOLE = /\btojson\s*\(\s*secrets\s*\)/gi;
const COMPUTED = /\bsecrets\s*\[\s*(?!['\s])/gi;
const ANY = /tojson\s*\(\s*secrets|secrets\s*\[|fromjson\s*\(\s*secrets/i;
const FIELD = /\bfromjson\s*\(\s*secrets\s*(?:\.\s*[\w-]+|\[\s*'[^']*'\s*\])\s*\)\s*[.[]/gi;

export function checkSecretsContext(ctx: AuditContext): void {
  if (!ANY.test(ctx.src.text)) return; // most files: no expression to look at

  for (const { found } of fileExpressions(ctx.src)) {
    if (!found.closed || !ANY.test(found.expr)) continue;
    const s = blankStrings(found.expr);
    const flag = (re: RegExp, rule: "overprovisioned-secrets" | "unredacted-secrets", msg: string) => {
      for (const m of s.matchAll(re)) {
        const at = found.offset + m.index;
        report(ctx, rule, at, msg, { end: at + m[0].length });
      }
    };
    flag(
      WHOLE,
      "overprovisioned-secrets",
      "toJSON(secrets) hands every secret of the repository to this place",
    );
    flag(
      COMPUTED,
      "overprovisioned-secrets",
      "secrets[...] with a computed name makes every secret reachable",
    );
    flag(
      FIELD,
      "unredacted-secrets",
      "a field of a JSON secret is not masked in logs: only the secret's whole text is",
    );
  }
}
