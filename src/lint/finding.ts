/** One result of lint or audit; every finding points at the YAML. */
export type Severity = "error" | "warning" | "info";
/** How sure an audit rule is that the finding is real (zizmor's confidence levels). */
export type Confidence = "low" | "medium" | "high";

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
  /** Audit findings only. */
  confidence?: Confidence;
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/**
 * Sorts by file, line and column. Files in code-unit order, as discovery lists them: the same on
 * every machine whatever its locale, and without the first localeCompare's 11 ms of ICU set-up
 * (a tenth of a one-file lint).
 */
export function sortFindings(findings: Finding[]): void {
  findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}
