// The workflow loader's diagnostics (YAML, schema, and what GitHub's parser checks in expressions
// and needs) as findings. Where our own rules flag the same line for the same reason, theirs go.
import type { Diagnostic } from "../workflow/diagnostic.js";
import { ALL_CONTEXTS } from "./expr-refs.js";
import type { Finding } from "./finding.js";
import type { LintRuleId } from "./rule-docs.js";

function ruleOf(message: string): LintRuleId {
  const named = /^Unrecognized named-value: '(.*)'/.exec(message);
  if (named)
    return ALL_CONTEXTS.includes(named[1]!.toLowerCase()) ? "context-availability" : "unknown-context";
  if (/^(Unexpected |Too (few|many) parameters|Unrecognized function|Exceeded max|Expected )/.test(message)) {
    return "expression-syntax";
  }
  if (/depends on unknown job/.test(message)) return "needs-unknown-job";
  if (/creates a cycle/.test(message)) return "needs-cycle";
  return "syntax";
}

export function loaderFindings(diags: Diagnostic[], file: string, ours: Finding[]): Finding[] {
  const seen = new Set(ours.map((f) => `${f.rule}:${f.line}`));
  const out: Finding[] = [];
  for (const d of diags) {
    const rule = ruleOf(d.message);
    const line = d.line ?? 1;
    if (seen.has(`${rule}:${line}`)) continue;
    // A name our rules call unknown is the same problem GitHub calls unavailable, and vice versa.
    if (rule === "context-availability" && seen.has(`unknown-context:${line}`)) continue;
    if (rule === "unknown-context" && seen.has(`context-availability:${line}`)) continue;
    out.push({ rule, severity: "error", message: d.message, file, line, col: d.col ?? 1 });
  }
  return out;
}
