import type { Json } from "../expr/index.js";
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
