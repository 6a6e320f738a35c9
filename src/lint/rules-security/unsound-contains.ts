// `contains('refs/heads/main refs/heads/release', github.ref)` tests for a substring, not for one
// of the names: a branch called `main refs/heads/rel` (or just `mai`) passes too. contains() is an
// exact match only when the haystack is an array: contains(fromJSON('["a", "b"]'), x).
import { type AuditContext, report } from "./context.js";
import { blankStrings } from "./expr-taint.js";
import { fileExpressions } from "./expressions.js";

const CALL =
  /\bcontains\s*\(\s*'[^']*'\s*,\s*((?:github|inputs|env|vars|steps|needs|matrix|job|runner)(?:\s*\.\s*[\w-]+|\s*\[\s*'[^']*'\s*\])+)\s*\)/gi;
const ANY = /contains\s*\(\s*'/i;
/** Needles that whoever pushes a branch, opens a pull request or starts a run can choose. */
const CONTROLLED =
  /^(github\.(ref|ref_name|head_ref|base_ref|actor|triggering_actor|event\.)|inputs\.|env\.)/i;

export function checkUnsoundContains(ctx: AuditContext): void {
  if (!ANY.test(ctx.src.text)) return;
  for (const { found } of fileExpressions(ctx.src)) {
    if (!found.closed || !ANY.test(found.expr)) continue;
    for (const m of blankStrings(found.expr).matchAll(CALL)) {
      const needle = m[1]!.replace(/\s+/g, "");
      const at = found.offset + m.index;
      const haystack = found.expr.slice(m.index, m.index + m[0].length).match(/'[^']*'/)?.[0] ?? "";
      report(
        ctx,
        "unsound-contains",
        at,
        `contains(${haystack}, ${needle}) tests for a substring of the string, so other values of ${needle} pass too`,
        { end: at + m[0].length, ...(CONTROLLED.test(needle) ? {} : { severity: "warning" }) },
      );
    }
  }
}
