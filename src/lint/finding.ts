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
