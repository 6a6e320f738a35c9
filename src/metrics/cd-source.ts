// The CD source over the environments' tables (src/cd/store.ts writes them): every deployment
// of the repository from cd_deployments, every incident from cd_incidents (those the
// deployments opened and those opened through /api/incidents).
import type { Deployment, DeploymentKind, DeploymentStatus } from "../cd/types.js";
import type { Db } from "../db/db.js";
import { listIncidents } from "./incidents.js";
import type { CdSource } from "./source.js";

interface Row {
  id: number | string;
  environment: string;
  sha: string;
  ref: string;
  version: string | null;
  run: number | string;
  job: string;
  attempt: number | string;
  url: string | null;
  approved_by: string;
  started_at: number | string;
  finished_at: number | string | null;
  status: DeploymentStatus;
  kind: DeploymentKind;
  rollback_of: number | string | null;
  failed_at: number | string | null;
}

function deployment(repo: string, r: Row): Deployment {
  return {
    id: Number(r.id),
    repo,
    environment: r.environment,
    sha: r.sha,
    ref: r.ref,
    ...(r.version ? { version: r.version } : {}),
    run: Number(r.run),
    job: r.job,
    attempt: Number(r.attempt),
    ...(r.url ? { url: r.url } : {}),
    approvedBy: JSON.parse(r.approved_by) as string[],
    startedAt: Number(r.started_at),
    ...(r.finished_at !== null ? { finishedAt: Number(r.finished_at) } : {}),
    status: r.status,
    kind: r.kind,
    ...(r.rollback_of !== null ? { rollbackOf: Number(r.rollback_of) } : {}),
    ...(r.failed_at !== null ? { failedAt: Number(r.failed_at) } : {}),
  };
}

export function cdTables(withDb: <T>(fn: (db: Db) => Promise<T>) => Promise<T>): CdSource {
  return {
    deployments: (repo, sinceMs) =>
      withDb(async (db) =>
        (
          await db.all<Row>(
            `SELECT id, environment, sha, ref, version, run, job, attempt, url, approved_by, started_at,
               finished_at, status, kind, rollback_of, failed_at
             FROM cd_deployments WHERE repo = ? AND started_at >= ? ORDER BY id`,
            [repo, sinceMs],
          )
        ).map((r) => deployment(repo, r)),
      ),
    incidents: (_repo, sinceMs) => withDb((db) => listIncidents(db, sinceMs)),
  };
}
