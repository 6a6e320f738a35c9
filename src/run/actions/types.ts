import type { ExprHost } from "../../expr/index.js";
import type { JobState } from "../job-state.js";
import type { StepSpec } from "../step.js";

export interface ActionCall {
  spec: StepSpec;
  index: number;
  /** Env of the step (job env + step env). */
  env: Record<string, string>;
  host: ExprHost;
  /** Adds the runner's own variables (GITHUB_*, RUNNER_*) to a step env. */
  baseEnv: (env: Record<string, string>) => Record<string, string>;
  timeoutMs?: number;
}

export interface ActionResult {
  ok: boolean;
  outputs: Record<string, string>;
}

/** A user error of a step: shown as one annotation, no stack. */
export class StepError extends Error {}

/** What a built-in action gets: its inputs (defaults applied) and a few helpers. */
export interface BuiltinContext {
  job: JobState;
  call: ActionCall;
  /** The `@ref` of the uses: value (dtolnay/rust-toolchain reads its toolchain from it). */
  ref: string;
  /** Inputs by lower-cased name, defaults applied. */
  inputs: Record<string, string>;
  /** The step as named in the log. */
  label: string;
  workspace: string;
  log(text: string): void;
  warn(text: string): void;
  /** The env a tool started by the built-in sees (runner variables, step env, PATH). */
  processEnv(): Record<string, string>;
  /** GITHUB_ENV: the rest of the job sees it. */
  setEnv(name: string, value: string): void;
  /** GITHUB_PATH */
  addPath(dir: string): void;
  /** Queues a post step (at job end, reverse order). */
  addPost(name: string, cond: string, run: (log: (t: string) => void) => Promise<boolean>): void;
}

export interface Builtin {
  /** Inputs the built-in understands, with their defaults. Others get a warning. */
  inputs: Record<string, string>;
  /** Inputs the built-in accepts but ignores, with the note to show when they are set. */
  ignored?: Record<string, string>;
  run(ctx: BuiltinContext): Promise<Record<string, string>>;
}
