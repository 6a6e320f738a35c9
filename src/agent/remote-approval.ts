// A run `slipway serve` started asks the server whether a deployment may go: the request waits
// there (GET /api/approvals) until the environment's reviewers decide it (src/cd/). Environments
// named by --approve are approved without asking, as on the command line.
import type { Approver } from "../run/approval.js";
import { post, sleep } from "./http.js";

export interface RemoteApproverOptions {
  url: string;
  token: string;
  run: number;
  /** The server's queue row of this run (SLIPWAY_DISPATCH_QUEUED): the server trusts its own record of the trigger. */
  queued?: number;
  /** What the run deploys: the server checks branch policies and self-review against it. */
  trigger?: { event: string; ref: string; sha: string; actor?: string };
}

export function remoteApprover(o: RemoteApproverOptions, approved: string[]): Approver {
  const names = new Set(approved.map((a) => a.toLowerCase()));
  return async (r, signal) => {
    if (names.has("*") || names.has(r.environment.toLowerCase())) return { approved: true, by: "--approve" };
    while (!signal?.aborted) {
      try {
        const a = await post<{ decided: boolean; approved?: boolean; by?: string; rejected?: string }>(
          o.url,
          "/api/dispatch/approval",
          o.token,
          {
            run: o.run,
            job: r.job,
            name: r.name,
            environment: r.environment,
            wait: 20_000,
            ...(o.queued ? { queued: o.queued } : {}),
            ...(o.trigger ? { trigger: o.trigger } : {}),
          },
          signal,
        );
        if (a?.decided)
          return {
            approved: a.approved === true,
            by: a.by ?? "the server",
            ...(a.approved !== true && a.rejected ? { rejected: a.rejected } : {}),
          };
      } catch {
        // The server restarting, or the wait cut: ask again.
        await sleep(1000, signal);
      }
    }
    return { approved: false, by: "nobody (the run was cancelled)" };
  };
}
