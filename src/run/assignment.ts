import type { Json } from "../expr/index.js";
import type { JobNode, LegNode, Legs, WorkflowNode } from "../plan/api.js";
import type { StepMeta } from "../workflow/job-steps.js";
import type { TokenJson } from "../workflow/token-json.js";
import type { PrepareSpec } from "./executor/types.js";

/**
 * One job (one matrix leg) ready to run, self-contained and serializable: what a job runner
 * needs and nothing that reaches back into the scheduler. The CLI hands it to runLeg in
 * process; a remote agent will receive it over the network and run it with its own executor.
 * Made by the scheduler at dispatch (it holds needs outputs), so it lives in run/, next to
 * the executor's PrepareSpec it carries; plan/ does not depend on run/.
 */
export interface JobAssignment {
  key: string;
  jobId: string;
  name: string;
  workflow: { file: string; name: string };
  /** The job's mapping as written (steps, env, outputs, defaults, timeout-minutes, ...). */
  body: TokenJson;
  /** Its steps' ids and conditions (the body holds the rest). */
  steps: StepMeta[];
  /** The workflow's `defaults:`. */
  workflowDefaults?: TokenJson;
  /** github, inputs, vars, needs, matrix, strategy: fixed for the job. No secrets. */
  contexts: Record<string, Json>;
  /** Names of the secrets context. */
  secretNames: string[];
  /**
   * The secrets context's values: added at dispatch, never written into a plan file. An agent
   * receives them over its authenticated channel.
   */
  secrets?: Record<string, Json>;
  /** The workflow's env (--env under `env:`), evaluated. */
  workflowEnv: Record<string, string>;
  /** GitHub's variables that do not depend on the job (CI, GITHUB_SHA, ...). */
  runnerEnv: Record<string, string>;
  /** Executor needs: the commit, the repository, the runs-on labels. */
  prepare: Omit<PrepareSpec, "jobKey">;
  runsOn: string[];
  /** The job's continue-on-error (the scheduler's concern; carried for whoever reports it). */
  continueOnError: boolean;
  verbose: boolean;
}

/** Where a leg stands when it is dispatched: its plan and what the run has learned. */
export interface Dispatch {
  job: JobNode;
  leg: LegNode;
  legs: Legs;
  workflow: WorkflowNode;
  /** The workflow's contexts at run time, the secrets context's values included. */
  contexts: Record<string, Json>;
  /** The needs context: the needed jobs' results and outputs. */
  needs: Record<string, Json>;
  /** The workflow's env, evaluated (workflowEnv of the planner API). */
  workflowEnv: Record<string, string>;
}

/** The assignment of a leg about to run; the secret values go in `secrets`, beside the rest. */
export function assignmentFor(
  d: Dispatch,
  o: { prepare: Omit<PrepareSpec, "jobKey">; verbose: boolean },
): JobAssignment {
  const { secrets, ...contexts } = d.contexts;
  return {
    key: d.leg.key,
    jobId: d.job.id,
    name: d.leg.name ?? d.job.id,
    workflow: { file: d.workflow.file, name: d.workflow.name },
    body: d.job.body,
    steps: d.job.steps,
    workflowDefaults: d.workflow.defaults,
    contexts: { ...contexts, needs: d.needs, matrix: d.leg.matrix, strategy: d.leg.strategy },
    secretNames: d.workflow.secretNames,
    secrets: secrets && typeof secrets === "object" && !Array.isArray(secrets) ? secrets : {},
    workflowEnv: d.workflowEnv,
    runnerEnv: d.workflow.runnerEnv,
    prepare: o.prepare,
    runsOn: d.leg.labels,
    continueOnError: d.legs.continueOnError,
    verbose: o.verbose,
  };
}
