// Rollback: redeploy an earlier successful deployment by running its deployment job again, at
// its commit, with its run's trigger and inputs (`slipway run --sha SHA --job ID -W FILE`).
import type { RunRequest } from "../server/queue.js";
import type { DeploymentRecord } from "./store.js";

/** A deployment that went live and was not found failing: one that may be redeployed (`to`). */
export function succeeded(d: DeploymentRecord): boolean {
  return (
    d.status !== "failed" &&
    d.status !== "in_progress" &&
    d.finishedAt !== undefined &&
    d.failedAt === undefined
  );
}

/** One to go back to when none is named: succeeded, and not itself undone by a rollback. */
export function good(d: DeploymentRecord): boolean {
  return succeeded(d) && d.status !== "rolled_back";
}

/**
 * What to go back to, from the environment's deployments (newest first): `to` when given (it must
 * be a good one of this environment), else the newest good one before the current deployment.
 */
export function rollbackTarget(
  history: DeploymentRecord[],
  to?: number,
): { ok: true; target: DeploymentRecord } | { ok: false; status: number; error: string } {
  if (to !== undefined) {
    const t = history.find((d) => d.id === to);
    if (!t) return { ok: false, status: 404, error: `no deployment ${to} of this environment` };
    if (!succeeded(t))
      return {
        ok: false,
        status: 409,
        error: `deployment ${to} is ${t.status}: only a successful deployment can be redeployed`,
      };
    return { ok: true, target: t };
  }
  const current = history.find(
    (d) => d.status === "active" || d.status === "failed" || d.status === "in_progress",
  );
  const t = history.find((d) => good(d) && d.id !== current?.id && (!current || d.id < current.id));
  return t
    ? { ok: true, target: t }
    : { ok: false, status: 409, error: "no earlier successful deployment to roll back to" };
}

/** The queue request that redeploys `target`. */
export function rollbackRequest(target: DeploymentRecord, by: string, incident?: number): RunRequest {
  const was: Partial<RunRequest> = target.request ? (JSON.parse(target.request) as RunRequest) : {};
  return {
    event: was.event ?? "push",
    ref: target.ref,
    payload: was.payload ?? {},
    ...(was.inputs ? { inputs: was.inputs } : {}),
    ...(was.base ? { base: was.base } : {}),
    actor: /^[\w.@[\]-]{1,100}$/.test(by) ? by : "slipway",
    sha: target.sha,
    pinSha: true,
    job: target.jobId,
    workflow: target.workflow,
    rollback: { of: target.id, environment: target.environment, by, ...(incident ? { incident } : {}) },
  };
}
