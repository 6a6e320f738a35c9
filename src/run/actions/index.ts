import type { ExprHost } from "../../expr/index.js";
import type { JobState } from "../job-state.js";
import type { StepSpec } from "../step.js";
import { annotate } from "../step-process.js";

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

/** `uses:` steps. Built-ins, local and stored actions come with the actions work (issue 3). */
export async function runActionStep(job: JobState, call: ActionCall): Promise<ActionResult> {
  const uses = "uses" in call.spec.model ? call.spec.model.uses.value : "";
  const msg = uses.startsWith("docker://")
    ? `step uses '${uses}': Docker actions need a container executor, which this machine does not have`
    : `step uses '${uses}': actions are not supported yet`;
  annotate(job, call.index, "error", msg, {});
  return { ok: false, outputs: {} };
}
