import { type Baseline, benchBaseline as query } from "../db/bench-reads.js";
import { databaseUrl, openHistory } from "../db/open.js";

export type { Baseline };

/**
 * The baseline of `suite` from the history of the repository at `root`: its SQLite file, or
 * SLIPWAY_DATABASE_URL's database. (`slipway run --db URL` is not seen here: the step reads
 * the environment's database.)
 */
export async function benchBaseline(root: string, suite: string, ref: string): Promise<Baseline | undefined> {
  const db = await openHistory(root, false, databaseUrl(undefined));
  if (!db) return undefined;
  try {
    return await query(db, suite, ref);
  } finally {
    await db.close();
  }
}
