// A run `slipway serve` started asks the server whether a deployment may go: the request waits
// there (GET /api/approvals) until someone with the admin token decides it. Environments named
// by --approve are approved without asking, as on the command line.
import type { Approver } from "../run/approval.js";
import { post, sleep } from "./http.js";

export function remoteApprover(o: { url: string; token: string; run: number }, approved: string[]): Approver {
  const names = new Set(approved.map((a) => a.toLowerCase()));
  return async (r, signal) => {
    if (names.has("*") || names.has(r.environment.toLowerCase())) return { approved: true, by: "--approve" };
    while (!signal?.aborted) {
      try {
        const a = await post<{ decided: boolean; approved?: boolean; by?: string }>(
          o.url,
          "/api/dispatch/approval",
          o.token,
          { run: o.run, job: r.job, name: r.name, environment: r.environment, wait: 20_000 },
          signal,
        );
        if (a?.decided) return { approved: a.approved === true, by: a.by ?? "the server" };
      } catch {
        // The server restarting, or the wait cut: ask again.
        await sleep(1000, signal);
      }
    }
    return { approved: false, by: "nobody (the run was cancelled)" };
  };
}
