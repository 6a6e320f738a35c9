import type { ReusableWorkflowJob } from "@actions/workflow-parser/model/workflow-template";
import type { ExprHost } from "../../expr/index.js";
import type { JobOutcome, SchedulerOptions, WorkflowRun } from "../scheduler.js";
import type { Semaphore } from "../semaphore.js";

export interface ReusableCall {
  job: ReusableWorkflowJob;
  key: string;
  run: WorkflowRun;
  host: ExprHost;
  options: SchedulerOptions;
  slots: Semaphore;
}

/** `jobs.<id>.uses: ./.github/workflows/x.yml` — comes with the actions work (issue 3). */
export async function runReusableJob(call: ReusableCall): Promise<JobOutcome> {
  const reason = `reusable workflow '${call.job.ref.value}' is not supported yet`;
  call.options.emit({ type: "log", job: call.key, stream: "stderr", text: reason });
  call.options.emit({ type: "job-end", job: call.key, name: call.job.id.value, result: "failure", durationMs: 0, reason, outputs: {} });
  return { result: "failure", outputs: {}, continueOnError: false };
}
