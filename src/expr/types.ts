/** Plain JSON value: what contexts hold and what expressions produce. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Job status as the runner sees it; drives success()/failure()/cancelled(). */
export interface StatusInfo {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

/** Everything an expression may see. Context names not in `contexts` are parse errors, as on GitHub. */
export interface ExprHost {
  contexts: Record<string, Json>;
  /** Enables success()/failure()/cancelled()/always(). */
  status?: StatusInfo;
  /** Enables hashFiles(); receives the patterns, returns the hex digest or "". */
  hashFiles?: (patterns: string[]) => string;
}

export type ExprErrorKind = "lexing" | "parsing" | "evaluation";

/** Any failure to read or evaluate an expression. Messages follow GitHub's wording. */
export class ExprError extends Error {
  readonly kind: ExprErrorKind;
  /** The expression that failed, when known. */
  readonly expression: string | undefined;

  constructor(kind: ExprErrorKind, message: string, expression?: string) {
    super(message);
    this.name = "ExprError";
    this.kind = kind;
    this.expression = expression;
  }
}
