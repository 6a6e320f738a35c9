// The server's secrets as rows of the history database, keyed by repository like the other
// server tables: replicas on one PostgreSQL share them (src/server/secrets-db.ts keeps each
// replica's cache). Values arrive sealed (AES-256-GCM, the server's key): nothing here sees one.
import type { Db } from "./db.js";

export interface SecretRow {
  /** 'repository', or 'environment:' and the environment's name in lower case. */
  scope: string;
  name: string;
  /** iv.tag.data in base64. */
  sealed: string;
  /** ms */
  updated_at: number;
}

/** Sets (or replaces) one secret; done once the row is committed. */
export async function putSecret(db: Db, r: SecretRow): Promise<void> {
  await db.run(
    `INSERT INTO server_secrets (repo, scope, name, sealed, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (repo, scope, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
    [db.repo, r.scope, r.name, r.sealed, r.updated_at],
  );
}

/**
 * A secret from an older store (a clone's file), kept unless the database has the same name
 * set at the same time or later: true when it was written.
 */
export async function importSecret(db: Db, r: SecretRow): Promise<boolean> {
  const written = await db.get<{ name: string }>(
    `INSERT INTO server_secrets (repo, scope, name, sealed, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (repo, scope, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at
       WHERE server_secrets.updated_at < excluded.updated_at
     RETURNING name`,
    [db.repo, r.scope, r.name, r.sealed, r.updated_at],
  );
  return written !== undefined;
}

/** False when there was no such secret. */
export async function deleteSecret(db: Db, scope: string, name: string): Promise<boolean> {
  const gone = await db.get<{ name: string }>(
    "DELETE FROM server_secrets WHERE repo = ? AND scope = ? AND name = ? RETURNING name",
    [db.repo, scope, name],
  );
  return gone !== undefined;
}

/** Every secret of the repository, sealed, by scope and name. */
export async function listSecrets(db: Db): Promise<SecretRow[]> {
  const rows = await db.all<SecretRow>(
    "SELECT scope, name, sealed, updated_at FROM server_secrets WHERE repo = ? ORDER BY scope, name",
    [db.repo],
  );
  return rows.map((r) => ({ ...r, updated_at: Number(r.updated_at) }));
}
