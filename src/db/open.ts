import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { markInterrupted } from "./interrupted.js";
import { migrate } from "./migrations.js";
import { sqlite } from "./sqlite.js";

/** The run history of the repository at `root`. */
export function historyPath(root: string): string {
  return join(root, ".slipway", "slipway.db");
}

/**
 * Opens (and creates, unless `create` is false: then undefined when there is none) the
 * repository's run history, at the newest schema, with runs whose process died marked.
 * WAL lets `slipway history` read while runs write; a writer waits up to 5 s for another
 * (two runs at once); foreign keys keep jobs and steps attached to their run.
 */
export function openHistory(root: string, create = true): DatabaseSync | undefined {
  const path = historyPath(root);
  if (!create && !existsSync(path)) return undefined;
  mkdirSync(join(root, ".slipway"), { recursive: true });
  const { DatabaseSync } = sqlite();
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA journal_mode = WAL");
    // WAL is safe from corruption with NORMAL; a power cut may lose the last batch, not the file.
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    migrate(db);
    markInterrupted(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}
