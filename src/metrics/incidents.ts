// Incidents opened through the API: failures found outside the pipeline (a page from
// monitoring, a customer's report). Slipway sees its own deployments fail and opens those
// incidents itself (src/cd/deployments.ts); both kinds are kept in the same table, cd_incidents
// of the run history, per repository.
import type { Incident } from "../cd/types.js";
import type { Db } from "../db/db.js";

interface Row {
  id: number | string;
  repo: string;
  environment: string;
  deployment: number | string | null;
  reason: string;
  opened_at: number | string;
  closed_at: number | string | null;
  root_cause_sha: string | null;
}

const COLUMNS = "id, repo, environment, deployment, reason, opened_at, closed_at, root_cause_sha";

// PostgreSQL's BIGINT comes back as a string.
function incident(r: Row): Incident {
  return {
    id: Number(r.id),
    repo: r.repo,
    environment: r.environment,
    ...(r.deployment !== null ? { deployment: Number(r.deployment) } : {}),
    reason: r.reason,
    openedAt: Number(r.opened_at),
    ...(r.closed_at !== null ? { closedAt: Number(r.closed_at) } : {}),
    ...(r.root_cause_sha !== null ? { rootCauseSha: r.root_cause_sha } : {}),
  };
}

export async function openIncident(
  db: Db,
  i: { environment: string; reason: string; deployment?: number },
  now = Date.now(),
): Promise<Incident> {
  const row = await db.get<Row>(
    `INSERT INTO cd_incidents (repo, environment, deployment, reason, opened_at)
     VALUES (?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
    [db.repo, i.environment, i.deployment ?? null, i.reason, now],
  );
  return incident(row!);
}

/** Closes incident `id`: undefined when there is none, "closed" when it was already. */
export async function closeIncident(
  db: Db,
  id: number,
  rootCauseSha: string | undefined,
  now = Date.now(),
): Promise<Incident | "closed" | undefined> {
  const row = await db.get<Row>(
    `UPDATE cd_incidents SET closed_at = ?, root_cause_sha = coalesce(?, root_cause_sha)
     WHERE id = ? AND repo = ? AND closed_at IS NULL RETURNING ${COLUMNS}`,
    [now, rootCauseSha ?? null, id, db.repo],
  );
  if (row) return incident(row);
  const was = await db.get<Row>(`SELECT ${COLUMNS} FROM cd_incidents WHERE id = ? AND repo = ?`, [
    id,
    db.repo,
  ]);
  return was ? "closed" : undefined;
}

/** The repository's incidents opened at or after `sinceMs`, oldest first. */
export async function listIncidents(db: Db, sinceMs: number): Promise<Incident[]> {
  const rows = await db.all<Row>(
    `SELECT ${COLUMNS} FROM cd_incidents WHERE repo = ? AND opened_at >= ? ORDER BY opened_at, id`,
    [db.repo, sinceMs],
  );
  return rows.map(incident);
}
