import type { DatabaseSync } from "node:sqlite";
import { transaction } from "./transaction.js";

/**
 * The schema, one step per version: PRAGMA user_version is the number of steps applied.
 * Steps are only ever appended (a released step never changes), so any older database
 * reaches the newest schema by running the steps it lacks, in one transaction.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: runs, their jobs (one row per job or matrix leg) and steps.
  `CREATE TABLE runs (
     id INTEGER PRIMARY KEY,
     number INTEGER NOT NULL UNIQUE,
     run_id TEXT NOT NULL UNIQUE,
     workflows TEXT NOT NULL,          -- JSON array of workflow files
     event TEXT NOT NULL,
     ref TEXT NOT NULL,
     sha TEXT NOT NULL,
     actor TEXT NOT NULL,
     result TEXT,                      -- NULL while running
     started_at INTEGER NOT NULL,      -- ms since the epoch
     ended_at INTEGER,
     interrupted TEXT,                 -- the signal that stopped it, or 'lost' (process gone)
     pid INTEGER NOT NULL,             -- the Slipway process running it
     folder TEXT NOT NULL              -- .slipway/runs/<n>, relative to the repository
   );
   CREATE INDEX runs_started ON runs (started_at);
   CREATE INDEX runs_open ON runs (ended_at) WHERE ended_at IS NULL;
   CREATE TABLE jobs (
     id INTEGER PRIMARY KEY,
     run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     key TEXT NOT NULL,                -- as in the events: 'build', 'ci.yml/build.2' for a leg
     job TEXT NOT NULL,                -- the key without the leg number
     leg INTEGER,                      -- matrix leg number from 1, NULL for a plain job
     name TEXT NOT NULL,
     workflow TEXT,
     result TEXT,
     reason TEXT,
     outputs TEXT,                     -- JSON object
     started_at INTEGER,
     ended_at INTEGER,
     UNIQUE (run, key)
   );
   CREATE TABLE steps (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     number INTEGER NOT NULL,          -- from 0, as in the events
     name TEXT NOT NULL,
     outcome TEXT,
     conclusion TEXT,
     started_at INTEGER,
     ended_at INTEGER,
     UNIQUE (job, number)
   );`,
  // 2: annotations, step summaries and where each step's log lines are in the run folder.
  `CREATE TABLE annotations (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER,
     seq INTEGER NOT NULL,
     level TEXT NOT NULL,
     message TEXT NOT NULL,
     title TEXT,
     file TEXT,
     line INTEGER,
     col INTEGER
   );
   CREATE INDEX annotations_job ON annotations (job);
   CREATE TABLE summaries (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     markdown TEXT NOT NULL
   );
   CREATE INDEX summaries_job ON summaries (job);
   -- The log text stays in the run folder's files; this says where each job's and step's
   -- lines are: the events' seq range and the line range (from 1) in 'file'.
   CREATE TABLE log_index (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER,                     -- NULL: the job's own lines (set-up, job end)
     file TEXT NOT NULL,               -- relative to the run folder
     first_seq INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     first_line INTEGER NOT NULL,
     last_line INTEGER NOT NULL
   );
   CREATE INDEX log_index_job ON log_index (job);`,
  // 3: deployments waiting for a decision, and the decision (who, when, yes or no).
  `CREATE TABLE approvals (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     environment TEXT NOT NULL,
     requested_at INTEGER NOT NULL,
     decided_at INTEGER,                -- NULL while waiting
     approved INTEGER,                  -- 1 or 0 once decided
     decided_by TEXT
   );
   CREATE INDEX approvals_job ON approvals (job);`,
];

export class NewerDatabaseError extends Error {}

/** Brings the database to the newest schema; a database from a newer Slipway is refused. */
export function migrate(db: DatabaseSync, steps: readonly string[] = MIGRATIONS): void {
  const version = () => (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (version() === steps.length) return;
  transaction(db, () => {
    // Read again inside the write lock: another process may have migrated meanwhile.
    const from = version();
    if (from > steps.length)
      throw new NewerDatabaseError(
        `the database has schema version ${from}; this Slipway knows up to ${steps.length} (upgrade Slipway)`,
      );
    for (let v = from; v < steps.length; v++) db.exec(steps[v]!);
    db.exec(`PRAGMA user_version = ${steps.length}`);
  });
}
