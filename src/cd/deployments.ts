// Deployments as the server sees them happen: a job approved for an environment is queued to
// the agents (in progress, and it gets the environment's secrets), its result comes back
// (active, replacing the environment's previous one; or failed), and its run ends (with
// `auto-rollback: true`, a run that failed after its deployment succeeded has the deployment
// marked failed, an incident opened, and the last good deployment redeployed).
import type { Db } from "../db/db.js";
import { jobsOfRun } from "../db/reads.js";
import { getQueued } from "../db/server-queue.js";
import { evaluateTemplate, type Json } from "../expr/index.js";
import { environmentOf } from "../plan/gates.js";
import type { JobAssignment } from "../run/assignment.js";
import type { LegResult } from "../run/job.js";
import type { Approvals } from "../server/approvals.js";
import type { Queued, RunRequest } from "../server/queue.js";
import { liveToken } from "../workflow/token-json.js";
import { field } from "../workflow/tokens.js";
import type { CdConfig } from "./config.js";
import type { EnvSecrets } from "./env-secrets.js";
import { type CdListener, tell } from "./events.js";
import { tagAt } from "./git.js";
import { good, rollbackRequest } from "./rollback.js";
import {
  closeIncident,
  type DeploymentRecord,
  deploymentOfLeg,
  deploymentsOf,
  deploymentsOfRun,
  incidentsOf,
  insertDeployment,
  openIncident,
  retireActive,
  reviewsOf,
  updateDeployment,
} from "./store.js";

export interface DeploymentsOptions {
  db: Db;
  config: CdConfig;
  approvals: Approvals;
  secrets: EnvSecrets;
  root: string;
  /** Queues a run (the server's queue). */
  enqueue: (r: RunRequest) => Promise<{ id: number }>;
  log: (t: string) => void;
  now?: () => number;
  /** Told when a deployment starts and ends, an incident opens, a rollback is queued (notifications). */
  listener?: CdListener;
}

export class Deployments {
  private readonly now: () => number;

  constructor(private readonly o: DeploymentsOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * A run queues a leg for the agents: when it is an approved deployment, it is recorded (in
   * progress) and its assignment gets the environment's secrets — not a fork's.
   */
  async legQueued(run: number, a: JobAssignment, untrusted: boolean): Promise<JobAssignment> {
    const ap = await this.o.approvals.approvedFor(run, a.key);
    if (!ap) return a;
    const db = this.o.db;
    const github = (a.contexts.github ?? {}) as Record<string, Json>;
    const q = ap.queued ? await getQueued(db, ap.queued) : undefined;
    const ref = ap.ref || String(github.ref ?? "");
    const sha = ap.sha || String(github.sha ?? "");
    const tag = /^refs\/tags\/(.+)$/.exec(ref)?.[1] ?? tagAt(this.o.root, sha);
    const record: Omit<DeploymentRecord, "id" | "repo"> = {
      environment: ap.environment,
      sha,
      ref,
      ...(tag ? { version: tag } : {}),
      run,
      queued: ap.queued ?? undefined,
      job: a.key,
      jobId: a.jobId,
      workflow: a.workflow.file,
      attempt: Number(github.run_attempt ?? 1) || 1,
      ...(environmentUrl(a) ? { url: environmentUrl(a) } : {}),
      // The people who approved (none when the rules asked for no review); a rollback's: who asked.
      approvedBy: ap.rollback_of
        ? [ap.decided_by ?? ""]
        : (await reviewsOf(db, ap.id)).filter((r) => r.approved).map((r) => r.reviewer),
      startedAt: this.now(),
      status: "in_progress",
      kind: ap.rollback_of ? "rollback" : "deploy",
      ...(ap.rollback_of ? { rollbackOf: ap.rollback_of } : {}),
      ...(q ? { request: q.request } : {}),
    };
    const id = await insertDeployment(db, record);
    this.o.log(`run #${run}: ${a.key} deploys ${sha.slice(0, 12)} to ${ap.environment}`);
    this.said("deployment-started", { ...record, id, repo: db.repo });
    if (untrusted) return a;
    const values = this.o.secrets.valuesFor(ap.environment);
    if (!Object.keys(values).length) return a;
    return {
      ...a,
      // The environment's secrets win over the repository's of the same name, as on GitHub.
      secrets: { ...(a.secrets ?? {}), ...values },
      secretNames: [...new Set([...a.secretNames, ...Object.keys(values)])],
    };
  }

  /** A leg's result reached its run: the deployment it was is live, failed or stopped. */
  async legDone(run: number, key: string, r: LegResult): Promise<void> {
    const db = this.o.db;
    const d = await deploymentOfLeg(db, run, key);
    if (d?.status !== "in_progress") return;
    const now = this.now();
    // environment.url as the job's steps made it (GitHub evaluates it after them).
    const url = r.environmentUrl ? { url: r.environmentUrl } : {};
    let done: DeploymentRecord;
    if (r.result === "success") {
      done = { ...d, ...url, status: "active", finishedAt: now };
      await updateDeployment(db, d.id, { status: "active", finishedAt: now, ...url });
      await retireActive(db, d.environment, d.id, d.kind === "rollback" ? "rolled_back" : "inactive");
      // Restored (a rollback, or a fix deployed): the environment's open incidents are over.
      for (const i of await incidentsOf(db, d.environment))
        if (i.closedAt === undefined) await closeIncident(db, i.id, now);
    } else if (r.result === "failure") {
      done = { ...d, ...url, status: "failed", finishedAt: now, failedAt: now };
      await updateDeployment(db, d.id, { status: "failed", finishedAt: now, failedAt: now, ...url });
    } else {
      done = { ...d, ...url, status: "inactive", finishedAt: now };
      await updateDeployment(db, d.id, { status: "inactive", finishedAt: now, ...url });
    }
    this.o.log(`run #${run}: deployment ${d.id} to ${d.environment}: ${r.result}`);
    this.said("deployment-finished", done);
  }

  /** A run ended: deployments it left in progress are closed; a failure after a deployment may roll it back. */
  async runFinished(q: Queued, result: string): Promise<void> {
    if (q.run === undefined) return;
    const db = this.o.db;
    const now = this.now();
    const mine = (await deploymentsOfRun(db, q.run)).filter(
      (d) => d.queued === undefined || d.queued === q.id,
    );
    for (const d of mine)
      if (d.status === "in_progress")
        await updateDeployment(db, d.id, {
          status: result === "cancelled" ? "inactive" : "failed",
          finishedAt: now,
          ...(result === "cancelled" ? {} : { failedAt: now }),
        });
    if (result !== "failure") return;
    const jobs = await jobsOfRun(db, q.run);
    for (const d of mine) {
      if (d.status !== "active" || d.kind === "rollback" || d.finishedAt === undefined) continue;
      // Jobs that started once the deployment was done (its health checks) and failed: a job
      // failing beside it says nothing about the deployment.
      const after = jobs.filter(
        (j) => j.result === "failure" && (j.startedAt ?? j.endedAt ?? 0) >= d.finishedAt!,
      );
      if (!after.length) continue;
      const rule = this.o.config.environments.get(d.environment.toLowerCase());
      // A change failure either way; with auto-rollback the deployment is also undone.
      await updateDeployment(db, d.id, {
        failedAt: now,
        ...(rule?.autoRollback ? { status: "failed" as const } : {}),
      });
      const reason = `run #${q.run} failed after ${d.job} deployed ${d.sha.slice(0, 12)} to ${d.environment}: ${after.map((j) => j.name).join(", ")} failed`;
      const incident = await openIncident(db, {
        environment: d.environment,
        deployment: d.id,
        reason,
        at: now,
      });
      this.o.log(`${reason}: incident ${incident}`);
      tell(
        this.o.listener,
        {
          type: "incident-opened",
          incident: { id: incident, environment: d.environment, deployment: d.id, reason },
        },
        this.o.log,
      );
      if (!rule?.autoRollback) continue;
      const target = (await deploymentsOf(db, d.environment, 500)).find((x) => x.id < d.id && good(x));
      if (!target) {
        this.o.log(`auto-rollback of ${d.environment}: no earlier successful deployment to go back to`);
        continue;
      }
      await this.rollback(target, "auto-rollback", incident);
    }
  }

  /**
   * Tells the listener about a deployment as it was just written. Built from what was written,
   * not read back: a read left running on the shared connection after the caller went on would
   * overlap its next statements (PostgreSQL's one connection takes one caller at a time).
   */
  private said(type: "deployment-started" | "deployment-finished", d: DeploymentRecord): void {
    if (!this.o.listener) return;
    const { request, queued, jobId, workflow, ...deployment } = d;
    tell(this.o.listener, { type, deployment }, this.o.log);
  }

  /** Queues the run that redeploys `target`. */
  async rollback(target: DeploymentRecord, by: string, incident?: number): Promise<{ queued: number }> {
    const q = await this.o.enqueue(rollbackRequest(target, by, incident));
    tell(
      this.o.listener,
      { type: "rollback-queued", environment: target.environment, to: target.id, by, queued: q.id },
      this.o.log,
    );
    this.o.log(
      `rollback of ${target.environment} to deployment ${target.id} (${target.sha.slice(0, 12)}) by ${by}: queued ${q.id}`,
    );
    return { queued: q.id };
  }
}

/** The environment's url as the job gives it (`environment: {name, url}`), evaluated with its contexts. */
function environmentUrl(a: JobAssignment): string | undefined {
  try {
    const tok = field(liveToken(a.body), "environment");
    if (!tok) return undefined;
    const env = environmentOf(evaluateTemplate(tok, { contexts: a.contexts, status: "success" } as never));
    return env?.url || undefined;
  } catch {
    return undefined;
  }
}
