import type { Json } from "../expr/index.js";
import type { Emit, StepOutcome } from "./events.js";
import type { Executor, JobSpace } from "./executor/types.js";
import type { Masker } from "./mask.js";

export interface StepRecord {
  outputs: Record<string, string>;
  outcome: StepOutcome;
  conclusion: StepOutcome;
}

/** What one job (one matrix leg) accumulates while its steps run. */
export interface JobState {
  key: string;
  emit: Emit;
  masker: Masker;
  executor: Executor;
  space: JobSpace;
  /** The user's repository: the run folder (artifacts), checkout's source and the cache's scope. */
  repoRoot: string;
  /** The run's own number (its folder): not github.run_number, which a re-run keeps from its first attempt. */
  runNumber?: number;
  /** The run history's PostgreSQL URL; undefined: the repository's SQLite file (benchmark baselines). */
  historyUrl?: string;
  /** Workflow + job env, then every GITHUB_ENV write on top (GitHub mutates one dictionary). */
  env: Record<string, string>;
  /** GITHUB_PATH entries, newest first. */
  path: string[];
  steps: Record<string, StepRecord>;
  status: "success" | "failure" | "cancelled";
  /** Values saved with GITHUB_STATE / save-state, per action step id, read by its post step. */
  state: Record<string, Record<string, string>>;
  summaries: string[];
  /** Contexts that do not change between steps: github, vars, secrets, inputs, matrix, strategy, needs, job, runner. */
  contexts: Record<string, Json>;
  verbose: boolean;
  signal: AbortSignal;
  stepCounter: number;
  /** File-command files (GITHUB_ENV, ...) no step is using: emptied and handed to the next. */
  freeFileSets: Record<string, string>[];
  /** Post steps of actions, run in reverse order at job end, even after failure. */
  postSteps: (() => Promise<void>)[];
}
