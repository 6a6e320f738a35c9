// What a rule sees: one source file, its workflow model, the config, and a way to report.
import type { Node } from "yaml";
import type { ActionMetaCache } from "./action-meta.js";
import type { LintConfig } from "./config.js";
import type { Finding, Severity } from "./finding.js";
import type { WorkflowModel } from "./model.js";
import { LINT_RULES, type LintRuleId } from "./rule-docs.js";
import { nodePos, type Pos, posAt, type SourceFile } from "./source.js";

export interface ReportOptions {
  severity?: Severity;
  fix?: string;
  /** End of the flagged text, as a file offset. */
  end?: number;
}

export interface LintContext {
  root: string;
  src: SourceFile;
  /** Present for workflows. */
  model: WorkflowModel | undefined;
  config: LintConfig;
  findings: Finding[];
  /** Inputs and outputs of the actions steps use; absent where no rule needs them. */
  actions?: ActionMetaCache;
}

export type Rule = (ctx: LintContext) => void | Promise<void>;

export function report(
  ctx: LintContext,
  rule: LintRuleId,
  at: Node | number | Pos | undefined,
  message: string,
  opts: ReportOptions = {},
): void {
  const pos = typeof at === "number" ? posAt(ctx.src, at) : at && "line" in at ? at : nodePos(ctx.src, at);
  const f: Finding = {
    rule,
    severity: opts.severity ?? LINT_RULES[rule].severity,
    message,
    file: ctx.src.file,
    line: pos.line,
    col: pos.col,
  };
  if (opts.fix) f.fix = opts.fix;
  if (opts.end !== undefined) {
    const e = posAt(ctx.src, opts.end);
    f.endLine = e.line;
    f.endCol = e.col;
  }
  ctx.findings.push(f);
}
