import type { WorkflowJob } from "@actions/workflow-parser/model/workflow-template";
import { type ExprHost, evaluateTemplate, toStr } from "../expr/index.js";
import { type Json, legName, legSuffix } from "./matrix.js";

/**
 * A job's or matrix leg's name as GitHub shows it: `name:` evaluated with the leg's
 * contexts, else the job id; a matrix leg whose `name:` is not an expression gets its
 * values appended (`test (20, linux)`), those an `include` adds too (as GitHub shows them).
 * `matrix` is undefined for a job without one. Throws when `name:` cannot be evaluated.
 */
export function jobDisplayName(job: WorkflowJob, host: ExprHost, matrix?: Record<string, Json>): string {
  const name = job.name ? toStr(evaluateTemplate(job.name, host)) : job.id.value;
  return matrix !== undefined && !job.name?.isExpression ? legName(name, legSuffix(matrix)) : name;
}
