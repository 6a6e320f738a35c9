/**
 * A deployment to an environment waits for a decision made outside the scheduler: the CLI's
 * --approve list and its terminal question are one source, the server's web page will be
 * another. The scheduler only asks, records the request and the decision as events, and obeys.
 */
export interface ApprovalRequest {
  /** The job's key in the run. */
  job: string;
  /** The job's display name. */
  name: string;
  environment: string;
}

export interface ApprovalDecision {
  approved: boolean;
  /** Who or what decided, in words for the log ("--approve", "you, at the prompt"). */
  by: string;
  /**
   * A reviewer's rejection (the reason, in words): the job fails, and so does the run, as on
   * GitHub. Without it, a deployment not approved is skipped (the CLI's --approve).
   */
  rejected?: string;
}

/** `signal` aborts when the answer is no longer needed (the run or the job was cancelled). */
export type Approver = (request: ApprovalRequest, signal?: AbortSignal) => Promise<ApprovalDecision>;

/**
 * The CLI's decisions: an environment named by --approve (or '*') is approved; otherwise the
 * person at the terminal is asked when there is one; otherwise the answer is no.
 */
export function listApprover(
  approved: string[],
  ask?: (environment: string, job: string) => Promise<boolean>,
): Approver {
  const names = new Set(approved.map((a) => a.toLowerCase()));
  return async ({ environment, name }) => {
    if (names.has("*") || names.has(environment.toLowerCase())) return { approved: true, by: "--approve" };
    if (ask)
      return (await ask(environment, name))
        ? { approved: true, by: "you, at the prompt" }
        : { approved: false, by: "you, at the prompt" };
    return { approved: false, by: "nobody (not named by --approve)" };
  };
}
