// The workflow loader's diagnostics (YAML, schema, and what GitHub's parser checks in expressions
// and needs) as findings. Where our own rules already flag the same line, theirs go: it is the
// same problem told twice, and ours says more.
import type { Diagnostic } from "../workflow/diagnostic.js";
import { isMissingCallee } from "../workflow/load.js";
import { ALL_CONTEXTS } from "./expr-refs.js";
import type { Finding } from "./finding.js";
import type { LintRuleId } from "./rule-docs.js";

const BARE_MISSING = "Unable to find reusable workflow";
const SPECIAL_FUNCTIONS = /^Unrecognized function: '(always|success|failure|cancelled|hashFiles)'/i;

function ruleOf(message: string): LintRuleId {
  const named = /^Unrecognized named-value: '(.*)'/.exec(message);
  if (named)
    return ALL_CONTEXTS.includes(named[1]!.toLowerCase()) ? "context-availability" : "unknown-context";
  if (SPECIAL_FUNCTIONS.test(message)) return "context-availability";
  if (
    /^(Unexpected (symbol|end of expression)|Too (few|many) parameters|Unrecognized function|Exceeded max)/.test(
      message,
    )
  ) {
    return "expression-syntax";
  }
  if (/depends on unknown job/.test(message)) return "needs-unknown-job";
  if (/creates a cycle|at least one job with no dependencies/.test(message)) return "needs-cycle";
  return "syntax";
}

/**
 * `callSite(callee)`: where the file calls that workflow. Errors the loader met in a called
 * workflow are not this file's: they become one finding at the call, naming the callee's first
 * error (the callee's own lint reports each of them in place).
 */
export function loaderFindings(
  diags: Diagnostic[],
  file: string,
  ours: Finding[],
  callSite: (callee: string) => { line: number; col: number } | undefined = () => undefined,
): Finding[] {
  const lines = new Set(ours.map((f) => f.line));
  const cycle = ours.some((f) => f.rule === "needs-cycle");
  const out: Finding[] = [];
  // A remote callee not in the action store is said at its uses: line (a warning: the workflow is
  // valid, this machine lacks the file). A missing local one, whose message has no store hint, is
  // rules/reusable.ts's.
  const shown = diags.filter((d) => !isMissingCallee(d) || d.message !== BARE_MISSING);
  const elsewhere = (d: Diagnostic) => !!d.file && d.file !== file;
  const inCallees = Map.groupBy(shown.filter(elsewhere), (d) => d.file!);
  for (const d of shown) {
    if (elsewhere(d)) continue;
    const rule = ruleOf(d.message);
    const line = d.line ?? 1;
    if (lines.has(line) || (rule === "needs-cycle" && cycle)) continue;
    if (isMissingCallee(d)) {
      out.push({
        rule: "reusable-workflow",
        severity: "warning",
        message: d.message,
        file,
        line,
        col: d.col ?? 1,
      });
      continue;
    }
    out.push({ rule, severity: "error", message: d.message, file, line, col: d.col ?? 1 });
  }
  for (const [callee, list] of inCallees) {
    const first = list[0]!;
    const at = callSite(callee) ?? { line: 1, col: 1 };
    const more = list.length > 1 ? ` (and ${list.length - 1} more)` : "";
    out.push({
      rule: "reusable-workflow",
      severity: "error",
      message: `the called workflow ${callee} has errors: ${first.line ?? 1}:${first.col ?? 1} ${first.message}${more}`,
      file,
      line: at.line,
      col: at.col,
    });
  }
  return out;
}
