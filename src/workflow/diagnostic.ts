/** A problem found in a file, pointing at the YAML where we know the place. */
export interface Diagnostic {
  file: string;
  line?: number;
  col?: number;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line ? `${d.file}:${d.line}:${d.col ?? 1}` : d.file;
  return `${where}: ${d.message}`;
}

/** Thrown inside Slipway and rendered once by the CLI; never shown as a stack trace. */
export class SlipwayError extends Error {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
  }
}
