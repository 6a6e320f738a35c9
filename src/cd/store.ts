// The continuous-delivery tables (migration 11): approval requests with each reviewer's
// decision, deployments and incidents. Portable SQL for SQLite and PostgreSQL; rows are per
// repository (the Db's `repo`).
import type { Db } from "../db/db.js";
import type { Deployment, DeploymentKind, DeploymentStatus, Incident } from "./types.js";

export type ApprovalState = "waiting" | "approved" | "rejected" | "withdrawn";

export interface ApprovalRow {
  id: string;
  run: number;
  queued: number | null;
  job: string;
  name: string;
  environment: string;
  ref: string;
  sha: string;
  actor: string;
  state: ApprovalState;
  requested_at: number;
  last_asked: number;
  decided_at: number | null;
  decided_by: string | null;
  reason: string | null;
  rollback_of: number | null;
}

export interface Review {
  reviewer: string;
  approved: boolean;
  bypass: boolean;
  comment: string | null;
  at: number;
}

const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function approvalRow(r: ApprovalRow): ApprovalRow {
  return {
    ...r,
    run: Number(r.run),
    queued: n(r.queued),
    requested_at: Number(r.requested_at),
    last_asked: Number(r.last_asked),
    decided_at: n(r.decided_at),
    rollback_of: n(r.rollback_of),
  };
}

const A_COLS =
  "id, run, queued, job, name, environment, ref, sha, actor, state, requested_at, last_asked, decided_at, decided_by, reason, rollback_of";

export async function insertApproval(db: Db, a: ApprovalRow): Promise<void> {
  await db.run(
    `INSERT INTO cd_approvals (repo, ${A_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      db.repo,
      a.id,
      a.run,
      a.queued,
      a.job,
      a.name,
      a.environment,
      a.ref,
      a.sha,
      a.actor,
      a.state,
      a.requested_at,
      a.last_asked,
      a.decided_at,
      a.decided_by,
      a.reason,
      a.rollback_of,
    ],
  );
}

export async function approvalById(db: Db, id: string): Promise<ApprovalRow | undefined> {
  const r = await db.get<ApprovalRow>(`SELECT ${A_COLS} FROM cd_approvals WHERE repo = ? AND id = ?`, [
    db.repo,
    id,
  ]);
  return r && approvalRow(r);
}

/** The run's request for a job and environment (not withdrawn). */
export async function approvalOf(
  db: Db,
  run: number,
  job: string,
  environment?: string,
): Promise<ApprovalRow | undefined> {
  const r = await db.get<ApprovalRow>(
    `SELECT ${A_COLS} FROM cd_approvals WHERE repo = ? AND run = ? AND job = ? AND state <> 'withdrawn'
     ${environment ? "AND lower(environment) = lower(?)" : ""} ORDER BY requested_at DESC LIMIT 1`,
    environment ? [db.repo, run, job, environment] : [db.repo, run, job],
  );
  return r && approvalRow(r);
}

/** The request a queued run made for a job and environment (the newest). */
export async function approvalOfQueued(
  db: Db,
  queued: number,
  job: string,
  environment: string,
): Promise<ApprovalRow | undefined> {
  const r = await db.get<ApprovalRow>(
    `SELECT ${A_COLS} FROM cd_approvals WHERE repo = ? AND queued = ? AND job = ? AND lower(environment) = lower(?)
     ORDER BY requested_at DESC LIMIT 1`,
    [db.repo, queued, job, environment],
  );
  return r && approvalRow(r);
}

export async function waitingApprovals(db: Db): Promise<ApprovalRow[]> {
  const rows = await db.all<ApprovalRow>(
    `SELECT ${A_COLS} FROM cd_approvals WHERE repo = ? AND state = 'waiting' ORDER BY requested_at, id`,
    [db.repo],
  );
  return rows.map(approvalRow);
}

export async function touchApproval(db: Db, id: string, at: number): Promise<void> {
  await db.run("UPDATE cd_approvals SET last_asked = ? WHERE repo = ? AND id = ?", [at, db.repo, id]);
}

/** Decides a waiting request; false when it was decided meanwhile (another replica). */
export async function settleApproval(
  db: Db,
  id: string,
  s: { state: Exclude<ApprovalState, "waiting">; by: string; reason?: string; at: number },
): Promise<boolean> {
  const r = await db.get<{ id: string }>(
    `UPDATE cd_approvals SET state = ?, decided_by = ?, reason = ?, decided_at = ?
     WHERE repo = ? AND id = ? AND state = 'waiting' RETURNING id`,
    [s.state, s.by, s.reason ?? null, s.at, db.repo, id],
  );
  return r !== undefined;
}

export async function addReview(db: Db, approval: string, r: Review): Promise<void> {
  await db.run(
    "INSERT INTO cd_reviews (approval, reviewer, approved, bypass, comment, at) VALUES (?, ?, ?, ?, ?, ?)",
    [approval, r.reviewer, r.approved ? 1 : 0, r.bypass ? 1 : 0, r.comment, r.at],
  );
}

export async function reviewsOf(db: Db, approval: string): Promise<Review[]> {
  const rows = await db.all<{
    reviewer: string;
    approved: number;
    bypass: number;
    comment: string | null;
    at: number;
  }>("SELECT reviewer, approved, bypass, comment, at FROM cd_reviews WHERE approval = ? ORDER BY id", [
    approval,
  ]);
  return rows.map((r) => ({
    reviewer: r.reviewer,
    approved: Number(r.approved) === 1,
    bypass: Number(r.bypass) === 1,
    comment: r.comment,
    at: Number(r.at),
  }));
}

/** Earlier requests for the environment from other runs that still hold it (waiting, or deploying now). */
export async function holdersBefore(db: Db, a: ApprovalRow, staleBefore: number): Promise<number[]> {
  const rows = await db.all<{ run: number }>(
    `SELECT a.run FROM cd_approvals a
     WHERE a.repo = ?1 AND lower(a.environment) = lower(?2) AND a.run <> ?3
       AND (a.requested_at < ?4 OR (a.requested_at = ?4 AND a.id < ?5))
       AND ((a.state = 'waiting' AND a.last_asked >= ?6)
         OR (a.state = 'approved' AND EXISTS (SELECT 1 FROM cd_deployments d WHERE d.repo = a.repo
              AND d.run = a.run AND d.job = a.job AND d.status = 'in_progress'
              -- a run whose server died holds nothing (its queue row was settled)
              AND (d.queued IS NULL OR EXISTS (SELECT 1 FROM server_queue q WHERE q.id = d.queued
                AND q.state = 'running')))))
     ORDER BY a.requested_at`,
    [db.repo, a.environment, a.run, a.requested_at, a.id, staleBefore],
  );
  return rows.map((r) => Number(r.run));
}

// Deployments.

interface DeploymentRow {
  id: number;
  environment: string;
  sha: string;
  ref: string;
  version: string | null;
  run: number;
  queued: number | null;
  job: string;
  job_id: string;
  workflow: string;
  attempt: number;
  url: string | null;
  approved_by: string;
  started_at: number;
  finished_at: number | null;
  status: DeploymentStatus;
  kind: DeploymentKind;
  rollback_of: number | null;
  failed_at: number | null;
  request: string | null;
}

/** A deployment with what a rollback needs to run it again. */
export interface DeploymentRecord extends Deployment {
  jobId: string;
  workflow: string;
  queued?: number;
  /** The run's trigger as the queue had it (JSON). */
  request?: string;
}

const D_COLS =
  "id, environment, sha, ref, version, run, queued, job, job_id, workflow, attempt, url, approved_by, started_at, finished_at, status, kind, rollback_of, failed_at, request";

function deployment(repo: string, r: DeploymentRow): DeploymentRecord {
  const d: DeploymentRecord = {
    id: Number(r.id),
    repo,
    environment: r.environment,
    sha: r.sha,
    ref: r.ref,
    run: Number(r.run),
    job: r.job,
    jobId: r.job_id,
    workflow: r.workflow,
    attempt: Number(r.attempt),
    approvedBy: JSON.parse(r.approved_by) as string[],
    startedAt: Number(r.started_at),
    status: r.status,
    kind: r.kind,
  };
  if (r.version) d.version = r.version;
  if (r.url) d.url = r.url;
  if (r.finished_at !== null) d.finishedAt = Number(r.finished_at);
  if (r.rollback_of !== null) d.rollbackOf = Number(r.rollback_of);
  if (r.failed_at !== null) d.failedAt = Number(r.failed_at);
  if (r.queued !== null) d.queued = Number(r.queued);
  if (r.request) d.request = r.request;
  return d;
}

export async function insertDeployment(db: Db, d: Omit<DeploymentRecord, "id" | "repo">): Promise<number> {
  const r = await db.get<{ id: number }>(
    `INSERT INTO cd_deployments (repo, environment, sha, ref, version, run, queued, job, job_id, workflow, attempt,
       url, approved_by, started_at, finished_at, status, kind, rollback_of, failed_at, request)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      db.repo,
      d.environment,
      d.sha,
      d.ref,
      d.version ?? null,
      d.run,
      d.queued ?? null,
      d.job,
      d.jobId,
      d.workflow,
      d.attempt,
      d.url ?? null,
      JSON.stringify(d.approvedBy),
      d.startedAt,
      d.finishedAt ?? null,
      d.status,
      d.kind,
      d.rollbackOf ?? null,
      d.failedAt ?? null,
      d.request ?? null,
    ],
  );
  return Number(r!.id);
}

export async function deploymentById(db: Db, id: number): Promise<DeploymentRecord | undefined> {
  const r = await db.get<DeploymentRow>(`SELECT ${D_COLS} FROM cd_deployments WHERE repo = ? AND id = ?`, [
    db.repo,
    id,
  ]);
  return r && deployment(db.repo, r);
}

export async function deploymentOfLeg(
  db: Db,
  run: number,
  job: string,
): Promise<DeploymentRecord | undefined> {
  const r = await db.get<DeploymentRow>(
    `SELECT ${D_COLS} FROM cd_deployments WHERE repo = ? AND run = ? AND job = ? ORDER BY id DESC LIMIT 1`,
    [db.repo, run, job],
  );
  return r && deployment(db.repo, r);
}

export async function deploymentsOfRun(db: Db, run: number): Promise<DeploymentRecord[]> {
  const rows = await db.all<DeploymentRow>(
    `SELECT ${D_COLS} FROM cd_deployments WHERE repo = ? AND run = ? ORDER BY id`,
    [db.repo, run],
  );
  return rows.map((r) => deployment(db.repo, r));
}

/** An environment's deployments, newest first. */
export async function deploymentsOf(db: Db, environment: string, limit = 100): Promise<DeploymentRecord[]> {
  const rows = await db.all<DeploymentRow>(
    `SELECT ${D_COLS} FROM cd_deployments WHERE repo = ? AND lower(environment) = lower(?) ORDER BY id DESC LIMIT ?`,
    [db.repo, environment, limit],
  );
  return rows.map((r) => deployment(db.repo, r));
}

/** Every environment deployed to, with its newest deployment. */
export async function latestPerEnvironment(db: Db): Promise<DeploymentRecord[]> {
  const rows = await db.all<DeploymentRow>(
    `SELECT ${D_COLS} FROM cd_deployments WHERE id IN (SELECT max(id) FROM cd_deployments WHERE repo = ?1
       GROUP BY lower(environment)) AND repo = ?1
     ORDER BY lower(environment)`,
    [db.repo],
  );
  return rows.map((r) => deployment(db.repo, r));
}

export async function updateDeployment(
  db: Db,
  id: number,
  f: { status?: DeploymentStatus; finishedAt?: number; failedAt?: number; url?: string },
): Promise<void> {
  await db.run(
    `UPDATE cd_deployments SET status = coalesce(?, status), finished_at = coalesce(?, finished_at),
       failed_at = coalesce(?, failed_at), url = coalesce(?, url) WHERE repo = ? AND id = ?`,
    [f.status ?? null, f.finishedAt ?? null, f.failedAt ?? null, f.url ?? null, db.repo, id],
  );
}

/** Deployments a run left in progress when its server died: they stopped (inactive). */
export async function stopDeploymentsOfQueued(db: Db, queued: number, at: number): Promise<void> {
  await db.run(
    `UPDATE cd_deployments SET status = 'inactive', finished_at = ? WHERE repo = ? AND queued = ? AND status = 'in_progress'`,
    [at, db.repo, queued],
  );
}

/** The environment's other active deployments become `status` (a newer one is active now). */
export async function retireActive(
  db: Db,
  environment: string,
  except: number,
  status: "inactive" | "rolled_back",
): Promise<void> {
  await db.run(
    `UPDATE cd_deployments SET status = ? WHERE repo = ? AND lower(environment) = lower(?) AND status = 'active' AND id <> ?`,
    [status, db.repo, environment, except],
  );
}

// Incidents.

interface IncidentRow {
  id: number;
  environment: string;
  deployment: number | null;
  reason: string;
  opened_at: number;
  closed_at: number | null;
  root_cause_sha: string | null;
}

function incident(repo: string, r: IncidentRow): Incident {
  const i: Incident = {
    id: Number(r.id),
    repo,
    environment: r.environment,
    reason: r.reason,
    openedAt: Number(r.opened_at),
  };
  if (r.deployment !== null) i.deployment = Number(r.deployment);
  if (r.closed_at !== null) i.closedAt = Number(r.closed_at);
  if (r.root_cause_sha) i.rootCauseSha = r.root_cause_sha;
  return i;
}

export async function openIncident(
  db: Db,
  i: { environment: string; deployment?: number; reason: string; at: number },
): Promise<number> {
  const r = await db.get<{ id: number }>(
    "INSERT INTO cd_incidents (repo, environment, deployment, reason, opened_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    [db.repo, i.environment, i.deployment ?? null, i.reason, i.at],
  );
  return Number(r!.id);
}

export async function closeIncident(db: Db, id: number, at: number): Promise<void> {
  await db.run("UPDATE cd_incidents SET closed_at = ? WHERE repo = ? AND id = ? AND closed_at IS NULL", [
    at,
    db.repo,
    id,
  ]);
}

export async function incidentsOf(db: Db, environment: string, limit = 50): Promise<Incident[]> {
  const rows = await db.all<IncidentRow>(
    `SELECT id, environment, deployment, reason, opened_at, closed_at, root_cause_sha FROM cd_incidents
     WHERE repo = ? AND lower(environment) = lower(?) ORDER BY id DESC LIMIT ?`,
    [db.repo, environment, limit],
  );
  return rows.map((r) => incident(db.repo, r));
}
