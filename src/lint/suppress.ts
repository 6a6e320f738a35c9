// Inline suppressions: `# slipway-ignore: rule-a, rule-b` on the finding's line or the line above.
import type { Finding } from "./finding.js";

const COMMENT = /#\s*slipway-ignore:\s*([\w-]+(?:\s*,\s*[\w-]+)*)/;

/** Line number (1-based) -> rule ids suppressed by a comment on that line. */
export function suppressions(text: string): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  if (!text.includes("slipway-ignore")) return out;
  text.split("\n").forEach((line, i) => {
    const m = COMMENT.exec(line);
    if (m) out.set(i + 1, new Set(m[1]!.split(",").map((s) => s.trim())));
  });
  return out;
}

export function isSuppressed(f: Finding, marks: Map<number, Set<string>>): boolean {
  return Boolean(marks.get(f.line)?.has(f.rule) || marks.get(f.line - 1)?.has(f.rule));
}
