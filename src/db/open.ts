import { existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { type Db, isPostgresUrl, safeUrl } from "./db.js";
import { markInterrupted } from "./interrupted.js";
import { migrate } from "./migrations.js";
import { PgDb } from "./pg-db.js";
import { sqlite } from "./sqlite.js";
import { SqliteDb } from "./sqlite-db.js";

/** The run history of the repository at `root` when no database is given. */
export function historyPath(root: string): string {
  return join(root, ".slipway", "slipway.db");
}

export class DatabaseOptionError extends Error {}

/**
 * The PostgreSQL database given to a command: `--db`, else SLIPWAY_DATABASE_URL; undefined:
 * the repository's SQLite file. Anything but a postgres:// URL is refused.
 */
export function databaseUrl(flag: string | undefined): string | undefined {
  const [value, from] = flag ? [flag, "--db"] : [process.env.SLIPWAY_DATABASE_URL, "SLIPWAY_DATABASE_URL"];
  if (!value) return undefined;
  if (!isPostgresUrl(value))
    throw new DatabaseOptionError(
      `${from}: expected a postgres:// or postgresql:// URL, got '${safeUrl(value)}'`,
    );
  return value;
}

/** Where the history of `root` is, for messages (a URL without its password). */
export function historyWhere(root: string, url?: string): string {
  return url ? safeUrl(url) : historyPath(root);
}

/**
 * Opens (and creates, unless `create` is false: then undefined when there is none) the run
 * history of the repository at `root`, at the newest schema, with runs whose process died
 * marked: the repository's SQLite file, or the PostgreSQL database `database` names.
 */
export async function openHistory(root: string, create = true, url?: string): Promise<Db | undefined> {
  const db = url ? await openPostgres(url, root) : openSqlite(root, create);
  if (!db) return undefined;
  try {
    await migrate(db);
    await markInterrupted(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/**
 * WAL lets `slipway history` read while runs write; a writer waits up to 5 s for another
 * (two runs at once); foreign keys keep jobs and steps attached to their run.
 */
function openSqlite(root: string, create: boolean): SqliteDb | undefined {
  const path = historyPath(root);
  if (!create && !existsSync(path)) return undefined;
  mkdirSync(join(root, ".slipway"), { recursive: true });
  const { DatabaseSync } = sqlite();
  const raw = new DatabaseSync(path);
  try {
    raw.exec("PRAGMA busy_timeout = 5000");
    raw.exec("PRAGMA journal_mode = WAL");
    // WAL is safe from corruption with NORMAL; a power cut may lose the last batch, not the file.
    raw.exec("PRAGMA synchronous = NORMAL");
    raw.exec("PRAGMA foreign_keys = ON");
  } catch (e) {
    raw.close();
    throw e;
  }
  return new SqliteDb(raw, path);
}

function openPostgres(url: string, root: string): Promise<PgDb> {
  return PgDb.connect(url, historyRepo(root));
}

/**
 * One PostgreSQL database holds many repositories' runs: this machine's folder names ours; or,
 * for replicas on several machines (each its own clone), SLIPWAY_HISTORY_REPO with the folder's
 * name, the same on every machine.
 */
export function historyRepo(root: string): string {
  const shared = process.env.SLIPWAY_HISTORY_REPO;
  return shared ? `${shared}:${basename(root)}` : `${hostname()}:${root}`;
}
