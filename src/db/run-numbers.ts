import { type Db, errorMessage } from "./db.js";
import { openHistory } from "./open.js";

/**
 * Run numbers taken in the database, for machines that share a repository's history
 * (SLIPWAY_HISTORY_REPO: replicas on several machines, each its own clone): a run's folder is
 * on one machine, so its number is taken where all of them see it. Without that variable (or
 * without PostgreSQL, or history) the number is the run folder's alone, as before. A database
 * error is said through `warn` and the folder's number is used: a run goes on without history.
 */
export interface SharedHistory {
  root: string;
  /** The PostgreSQL database (--db), if any. */
  url: string | undefined;
  warn: (m: string) => void;
}

const shared = (h: SharedHistory) =>
  !!h.url && !!process.env.SLIPWAY_HISTORY_REPO && process.env.SLIPWAY_HISTORY !== "0";

async function withHistory<T>(h: SharedHistory, fallback: T, q: (db: Db) => Promise<T>): Promise<T> {
  let db: Db | undefined;
  try {
    db = (await openHistory(h.root, true, h.url))!;
    return await q(db);
  } catch (e) {
    h.warn(`run number not taken in the shared history: ${errorMessage(e)}`);
    return fallback;
  } finally {
    await db?.close();
  }
}

/** The first number to try: `from` (the folder's next), or past every number taken or recorded. */
export function firstRunNumber(h: SharedHistory, from: number): Promise<number> {
  if (!shared(h)) return Promise.resolve(from);
  return withHistory(h, from, async (db) => {
    const r = await db.get<{ n: number | null }>(
      `SELECT max(n) AS n FROM (SELECT max(number) AS n FROM run_numbers WHERE repo = ?1
                                UNION ALL SELECT max(number) AS n FROM runs WHERE repo = ?1) AS t`,
      [db.repo],
    );
    return Math.max(from, Number(r?.n ?? 0) + 1);
  });
}

/** Takes number `n`; false when another machine took it first. */
export function takeRunNumber(h: SharedHistory, n: number): Promise<boolean> {
  if (!shared(h)) return Promise.resolve(true);
  return withHistory(h, true, async (db) => {
    const r = await db.get<{ number: number }>(
      "INSERT INTO run_numbers (repo, number) VALUES (?, ?) ON CONFLICT (repo, number) DO NOTHING RETURNING number",
      [db.repo, n],
    );
    return r !== undefined;
  });
}
