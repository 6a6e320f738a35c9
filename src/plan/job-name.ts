import type { WorkflowJob } from "@actions/workflow-parser/model/workflow-template";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { type ExprHost, evaluateTemplate, toStr } from "../expr/index.js";
import { type Json, legName, legSuffix } from "./matrix.js";

/**
 * A job's or matrix leg's name as GitHub shows it: `name:` evaluated with the leg's
 * contexts, else the job id; a matrix leg whose `name:` is not an expression gets its
 * values appended (`test (20, linux)`), those an `include` adds too (as GitHub shows them).
 * `matrix` is undefined for a job without one. Throws when `name:` cannot be evaluated.
 */
export function jobDisplayName(job: WorkflowJob, host: ExprHost, matrix?: Record<string, Json>): string {
  return displayName(job.id.value, job.name, host, matrix);
}

/** jobDisplayName from the job's id and its raw `name:` token. */
export function displayName(
  id: string,
  name: TemplateToken | undefined,
  host: ExprHost,
  matrix?: Record<string, Json>,
): string {
  const shown = name ? toStr(evaluateTemplate(name, host)) : id;
  return matrix !== undefined && !name?.isExpression ? legName(shown, legSuffix(matrix)) : shown;
}
