import type { DatabaseSync } from "node:sqlite";

/**
 * Runs `fn` in one write transaction. IMMEDIATE takes the write lock at the start, so a
 * second Slipway process waits (busy_timeout) instead of failing when it would upgrade a
 * read lock mid-transaction.
 */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = fn();
    db.exec("COMMIT");
    return out;
  } catch (e) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw e;
  }
}
