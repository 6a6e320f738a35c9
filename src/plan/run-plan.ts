import type { Json } from "../expr/index.js";
import type { StepMeta } from "../workflow/job-steps.js";
import type { TokenJson } from "../workflow/token-json.js";

// The run plan: what `slipway plan --json` prints, what `slipway run --plan` reads, and the
// only thing run/ obeys. Plain JSON (tokens in their token-json form). Secret values are
// never in it: secrets are named, and their values are given to the run.

export const PLAN_VERSION = 1;

export interface RunPlan {
  version: typeof PLAN_VERSION;
  /** Replaced by the run's own when a saved plan is run. */
  runId: string;
  runNumber: number;
  trigger: Trigger;
  /** Names of the secrets given to the planner; their values are given to the run. */
  secretNames: string[];
  options: PlanOptions;
  /** Load and selection errors, as said when planning: a run of this plan fails whatever its jobs do. */
  errors: string[];
  workflows: WorkflowNode[];
}

export interface Trigger {
  event: string;
  ref: string;
  sha: string;
  actor: string;
  payload: Json;
}

/** Command-line decisions, applied again when a deferred node is expanded. */
export interface PlanOptions {
  /** --platform: where a runs-on label runs. */
  platforms: Record<string, "host" | "skip">;
  /** --matrix: only legs with these values run. */
  matrix?: Record<string, string[]>;
}

/** One selected workflow (or, at run time, one called workflow). */
export interface WorkflowNode {
  /** As shown to the user (relative to its repository). */
  file: string;
  name: string;
  /** Where the file's `./` references resolve; absent: the run's repository. Run time only. */
  root?: string;
  /** Job keys start with it: `ci.` when several workflows run, `call.` inside a called workflow. */
  keyPrefix: string;
  /** A called workflow's jobs are shown as `caller / callee`: this is `caller / `. */
  namePrefix: string;
  /** 1 for a triggered workflow, +1 per reusable-workflow call. */
  depth: number;
  /** github (without its token), inputs, vars: fixed for the run. */
  contexts: Record<string, Json>;
  /** The secrets context's names; values come at run time. */
  secretNames: string[];
  /** GitHub's variables that do not depend on the job (CI, GITHUB_SHA, ...). */
  runnerEnv: Record<string, string>;
  /** --env values: the lowest layer of the workflow env. */
  extraEnv: Record<string, string>;
  /** The workflow's own `env:`, `concurrency:` and `defaults:`, and a callee's `on.workflow_call`. */
  env?: TokenJson;
  concurrency?: TokenJson;
  defaults?: TokenJson;
  workflowCall?: TokenJson;
  stages: string[][];
  /** The needs graph's errors: such a workflow does not run. */
  errors: string[];
  jobs: JobNode[];
}

export interface JobNode {
  id: string;
  key: string;
  needs: string[];
  stage: number;
  kind: "job" | "reusable";
  /**
   * A reusable job's `uses:`. Its called workflow's jobs are a deferred node: planned when the
   * call is reached (planCall), as its inputs and secrets are known then.
   */
  uses?: string;
  /** The `if:` expression (success() when none), always decided at run time: it reads needs. */
  if: string;
  /** The job's mapping as written: steps and every field, with positions. */
  body: TokenJson;
  /** Its steps' ids and conditions, as the loader worked them out. */
  steps: StepMeta[];
  /** What could be decided before the run, or why it waits for the run. */
  legs: Legs | Deferred;
}

/** A node the planner expands when its inputs exist (needs outputs, secrets, a callee). */
export interface Deferred {
  deferred: string;
}

export function isDeferred(l: Legs | Deferred): l is Deferred {
  return "deferred" in l;
}

export interface Legs {
  isMatrix: boolean;
  failFast: boolean;
  maxParallel: number;
  /** The job's continue-on-error (its last leg's, as GitHub reads it per leg). */
  continueOnError: boolean;
  /** Said in each leg's log before it runs. */
  notes: string[];
  legs: LegNode[];
}

export interface LegNode {
  key: string;
  index: number;
  /** Undefined when `name:` could not be evaluated (then the leg fails). */
  name?: string;
  /** The matrix context ({} for a job without a matrix). */
  matrix: Record<string, Json>;
  strategy: Record<string, Json>;
  decision: Decision;
  environment?: { name: string; url?: string };
  concurrency?: { group: string; cancel: boolean };
  labels: string[];
}

export type Decision = { run: true } | { run: false; result: "skipped" | "failure"; reason: string };
