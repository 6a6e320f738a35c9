import { type Baseline, benchBaseline as query } from "../db/bench-reads.js";
import { openHistory } from "../db/open.js";

export type { Baseline };

/**
 * The baseline of `suite` from the history of the repository at `root`: its SQLite file, or
 * the PostgreSQL database at `url` (the run's --db or SLIPWAY_DATABASE_URL).
 */
export async function benchBaseline(
  root: string,
  url: string | undefined,
  suite: string,
  ref: string,
): Promise<Baseline | undefined> {
  const db = await openHistory(root, false, url);
  if (!db) return undefined;
  try {
    return await query(db, suite, ref);
  } finally {
    await db.close();
  }
}
