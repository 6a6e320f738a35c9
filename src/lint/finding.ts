/** One result of lint or audit; every finding points at the YAML. */
export type Severity = "error" | "warning" | "info";

export interface Finding {
  rule: string; // stable id, e.g. "expression-syntax", "unpinned-action"
  severity: Severity;
  message: string;
  fix?: string; // one line: how to fix it
  file: string; // path relative to the repository root
  line: number;
  col: number;
  endLine?: number;
  endCol?: number;
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/**
 * Sorts by file (in the locale's order), line and column. The few distinct file names are ranked
 * once: localeCompare on every comparison was 2% of a cold lint of the corpus.
 */
export function sortFindings(findings: Finding[]): void {
  const files = [...new Set(findings.map((f) => f.file))].sort((a, b) => a.localeCompare(b));
  const rank = new Map(files.map((f, i) => [f, i]));
  findings.sort((a, b) => rank.get(a.file)! - rank.get(b.file)! || a.line - b.line || a.col - b.col);
}
