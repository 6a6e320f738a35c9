import type { Db } from "./db.js";

/**
 * The schema, one step per version, for each back end: the same tables and columns, in each
 * one's types (SQLite: INTEGER PRIMARY KEY ids; PostgreSQL: identity columns, BIGINT ms times).
 * Steps are only ever appended (a released step never changes), so any older database
 * reaches the newest schema by running the steps it lacks, in one transaction. SQLite counts
 * them in PRAGMA user_version; PostgreSQL in a schema_migrations table.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
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
  // 4: one database, many repositories (PostgreSQL's; a SQLite file is one repository's: '').
  `ALTER TABLE runs ADD COLUMN repo TEXT NOT NULL DEFAULT '';
   CREATE INDEX runs_repo_started ON runs (repo, started_at);`,
  // 5: what else a run is: its event's payload, where each job ran, the artifacts and caches.
  `ALTER TABLE runs ADD COLUMN payload TEXT;       -- event.json as written, masked
   ALTER TABLE jobs ADD COLUMN runner TEXT;        -- JSON: executor (host, sandbox) and runner name
   CREATE TABLE artifacts (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     name TEXT NOT NULL,
     files INTEGER NOT NULL,
     size INTEGER NOT NULL,            -- bytes
     path TEXT NOT NULL,               -- relative to the run folder
     created_at INTEGER NOT NULL
   );
   CREATE INDEX artifacts_job ON artifacts (job);
   CREATE TABLE caches (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     action TEXT NOT NULL,             -- restore or save
     key TEXT NOT NULL,
     hit INTEGER NOT NULL,             -- 1: the key itself was found
     matched_key TEXT,                 -- the key restored (the key, or a restore key), NULL: a miss
     size INTEGER,
     at INTEGER NOT NULL
   );
   CREATE INDEX caches_job ON caches (job);`,
  // 6: every test case a test-report step read (its JUnit XML), for the report, flaky and slow tests.
  `CREATE TABLE test_cases (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     report TEXT NOT NULL,             -- the step's check name
     suite TEXT NOT NULL,
     name TEXT NOT NULL,
     file TEXT,
     line INTEGER,
     duration_ms INTEGER NOT NULL,
     outcome TEXT NOT NULL,            -- passed, failed, error or skipped
     message TEXT
   );
   CREATE INDEX test_cases_job ON test_cases (job);
   CREATE INDEX test_cases_name ON test_cases (suite, name);`,
  // 7: every benchmark result a benchmark step read, for the regression gate's baseline and stats --bench.
  `CREATE TABLE benchmarks (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     suite TEXT NOT NULL,              -- the step's name input
     tool TEXT NOT NULL,
     name TEXT NOT NULL,
     value REAL NOT NULL,
     unit TEXT NOT NULL,
     value_range TEXT,
     extra TEXT,
     bigger_is_better INTEGER NOT NULL -- 1: bigger is better
   );
   CREATE INDEX benchmarks_job ON benchmarks (job);
   CREATE INDEX benchmarks_suite ON benchmarks (suite, name);`,
  // 8: line coverage per file a codecov step read, for the report, its gates and the change against main.
  `CREATE TABLE coverage_files (
     id INTEGER PRIMARY KEY,
     job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     path TEXT NOT NULL,               -- relative to the workspace when the file is in it
     lines INTEGER NOT NULL,           -- lines the report lists (found)
     hit INTEGER NOT NULL
   );
   CREATE INDEX coverage_files_job ON coverage_files (job);`,
  // 9: job reuse: the leg's reuse key (hex) and its parts' hashes (JSON), looked up by key.
  `ALTER TABLE jobs ADD COLUMN reuse_key TEXT;
   ALTER TABLE jobs ADD COLUMN reuse_parts TEXT;
   CREATE INDEX jobs_reuse_key ON jobs (reuse_key);`, // 10: the server's queue of runs, shared by its replicas (PostgreSQL) and kept over a restart.
  `CREATE TABLE server_queue (
     id INTEGER PRIMARY KEY,
     repo TEXT NOT NULL,
     request TEXT NOT NULL,            -- what the trigger asked for (JSON; no secret values)
     state TEXT NOT NULL,              -- queued, running, done or cancelled
     owner TEXT,                       -- the server (host:pid:nonce) running it
     heartbeat BIGINT,                 -- its owner's last sign of life (ms)
     cancel INTEGER NOT NULL DEFAULT 0,
     attempt INTEGER NOT NULL DEFAULT 1,
     rerun_of BIGINT,
     run INTEGER,
     exit_code INTEGER,
     message TEXT,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX server_queue_next ON server_queue (repo, state, id);`,
  // 11: continuous delivery (src/cd/): approval requests and each reviewer's decision, deployments
  // (one per job with an environment that ran), incidents.
  `CREATE TABLE cd_approvals (
     id TEXT PRIMARY KEY,
     repo TEXT NOT NULL,
     run INTEGER NOT NULL,
     queued INTEGER,                     -- the server_queue row of its run
     job TEXT NOT NULL,
     name TEXT NOT NULL,
     environment TEXT NOT NULL,
     ref TEXT NOT NULL,
     sha TEXT NOT NULL,
     actor TEXT NOT NULL,
     state TEXT NOT NULL,              -- waiting, approved, rejected, withdrawn
     requested_at INTEGER NOT NULL,
     last_asked INTEGER NOT NULL,
     decided_at INTEGER,
     decided_by TEXT,
     reason TEXT,
     rollback_of INTEGER
   );
   CREATE INDEX cd_approvals_env ON cd_approvals (repo, state, lower(environment));
   CREATE INDEX cd_approvals_run ON cd_approvals (repo, run, job);
   CREATE TABLE cd_reviews (
     id INTEGER PRIMARY KEY,
     approval TEXT NOT NULL,
     reviewer TEXT NOT NULL,
     approved INTEGER NOT NULL,
     bypass INTEGER NOT NULL,
     comment TEXT,
     at INTEGER NOT NULL
   );
   CREATE INDEX cd_reviews_approval ON cd_reviews (approval);
   CREATE TABLE cd_deployments (
     id INTEGER PRIMARY KEY,
     repo TEXT NOT NULL,
     environment TEXT NOT NULL,
     sha TEXT NOT NULL,
     ref TEXT NOT NULL,
     version TEXT,
     run INTEGER NOT NULL,
     queued INTEGER,
     job TEXT NOT NULL,                -- the leg's key
     job_id TEXT NOT NULL,             -- the job's id (a rollback runs --job it)
     workflow TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     url TEXT,
     approved_by TEXT NOT NULL,        -- JSON array
     started_at INTEGER NOT NULL,
     finished_at INTEGER,
     status TEXT NOT NULL,
     kind TEXT NOT NULL,
     rollback_of INTEGER,
     failed_at INTEGER,
     request TEXT                      -- the run's trigger (JSON), so a rollback runs it again
   );
   CREATE INDEX cd_deployments_env ON cd_deployments (repo, lower(environment), id);
   CREATE INDEX cd_deployments_run ON cd_deployments (repo, run, job);
   CREATE TABLE cd_incidents (
     id INTEGER PRIMARY KEY,
     repo TEXT NOT NULL,
     environment TEXT NOT NULL,
     deployment INTEGER,
     reason TEXT NOT NULL,
     opened_at INTEGER NOT NULL,
     closed_at INTEGER,
     root_cause_sha TEXT
   );
   CREATE INDEX cd_incidents_env ON cd_incidents (repo, lower(environment), id);`,
  // 12: workflow-level concurrency groups across the server's runs (one holds, the newest waits),
  // and the agents' legs in the database (shared by replicas on PostgreSQL).
  `CREATE TABLE server_groups (
     repo TEXT NOT NULL,
     grp TEXT NOT NULL,
     queued INTEGER NOT NULL,               -- the server_queue row of the run
     state TEXT NOT NULL,              -- pending, holding, or replaced (by a newer pending run)
     cancel INTEGER NOT NULL DEFAULT 0, -- cancel-in-progress
     created_at BIGINT NOT NULL,
     PRIMARY KEY (repo, grp, queued)
   );
   CREATE UNIQUE INDEX server_groups_holder ON server_groups (repo, grp) WHERE state = 'holding';
   -- Agents and the legs they run, shared by replicas on PostgreSQL (src/server/legs-db.ts).
   CREATE TABLE server_agents (
     id TEXT PRIMARY KEY,
     repo TEXT NOT NULL,
     token_hash TEXT NOT NULL UNIQUE,  -- sha256 of the agent's token
     name TEXT NOT NULL,
     labels TEXT NOT NULL,             -- JSON
     platform TEXT NOT NULL,           -- JSON {os, arch}
     capacity INTEGER NOT NULL,
     sandbox INTEGER NOT NULL,
     last_seen BIGINT NOT NULL,
     done INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE server_legs (
     id TEXT PRIMARY KEY,
     repo TEXT NOT NULL,
     run INTEGER NOT NULL,
     queued INTEGER,                        -- the server_queue row of its run
     job TEXT NOT NULL,                -- the assignment's key (the leg's job)
     assignment TEXT NOT NULL,         -- JSON; the secret values sealed (AES-256-GCM)
     runs_on TEXT NOT NULL,            -- JSON
     untrusted INTEGER NOT NULL,
     state TEXT NOT NULL,              -- waiting, leased or done
     attempt INTEGER NOT NULL DEFAULT 1,
     lease TEXT,
     agent TEXT,
     expires BIGINT,
     acked INTEGER NOT NULL DEFAULT 0, -- the last seq of this lease stored
     cancel INTEGER NOT NULL DEFAULT 0,
     result TEXT,                      -- JSON LegResult, once done
     enqueued_at BIGINT NOT NULL,
     started_at BIGINT
   );
   CREATE INDEX server_legs_state ON server_legs (repo, state, enqueued_at);
   CREATE INDEX server_legs_lease ON server_legs (lease);
   CREATE TABLE server_leg_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     leg TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     seq INTEGER NOT NULL,             -- the agent's seq within its lease (0: the server's own line)
     event TEXT NOT NULL,              -- JSON RunEvent, masked by the agent
     UNIQUE (leg, attempt, seq)
   );
   CREATE INDEX server_leg_events_leg ON server_leg_events (leg, id);`,
  // 13: which jobs of a running run wait for a concurrency group, seen by every replica.
  `ALTER TABLE server_queue ADD COLUMN jobs_waiting TEXT; -- JSON {job: why}`,
  // 14: an agent an admin removed (DELETE /api/agents/ID): every replica refuses its token.
  `ALTER TABLE server_agents ADD COLUMN removed_at BIGINT; -- ms; NULL: not removed`,
  // 15: a run's event lines as its run folder's events.jsonl has them (masked JSON, in batches),
  // so that a replica on another machine streams and shows the run (PostgreSQL's; SQLite
  // has the same table, empty: one machine reads the folder); the machine a run ran on; and the
  // run numbers that machines sharing a repository took.
  `CREATE TABLE run_event_lines (     -- one row per recorder batch: the lines of seqs first..last
     repo TEXT NOT NULL,
     run INTEGER NOT NULL,             -- the run's number in its repository
     first_seq INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     lines TEXT NOT NULL,              -- events.jsonl's lines of those seqs, each ending in a newline
     PRIMARY KEY (repo, run, last_seq)
   );
   ALTER TABLE runs ADD COLUMN host TEXT;  -- the machine of the run's process (its pid is that machine's)
   CREATE TABLE run_numbers (          -- numbers taken by machines sharing a repository (SLIPWAY_HISTORY_REPO)
     repo TEXT NOT NULL,
     number INTEGER NOT NULL,
     PRIMARY KEY (repo, number)
   );`,
  // 16: the notifications waiting to be sent (src/notify/outbox-db.ts): kept over a restart and
  // shared by replicas, each claiming a row while it sends it.
  `CREATE TABLE notify_outbox (
     id TEXT PRIMARY KEY,              -- the delivery id (X-Slipway-Delivery)
     repo TEXT NOT NULL,
     target TEXT NOT NULL,             -- the target's name in slipway-server.yml
     event TEXT NOT NULL,              -- JSON NotifyEvent, masked
     body TEXT NOT NULL,               -- as sent, masked (signed at each attempt)
     attempt INTEGER NOT NULL DEFAULT 0, -- attempts made
     due_at BIGINT NOT NULL,           -- ms: the next attempt
     claimed_until BIGINT,             -- ms: a server sends it until then (NULL: nobody)
     created_at BIGINT NOT NULL
   );
   CREATE INDEX notify_outbox_due ON notify_outbox (repo, due_at);`,
  // 17: a re-run is a new attempt of its run, as on GitHub: its attempt (1, 2, ...) and the
  // number of the run's first attempt (NULL for a first attempt), whose github.run_id and
  // run_number it keeps.
  `ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE runs ADD COLUMN attempt_of INTEGER;
   CREATE INDEX runs_attempt_of ON runs (repo, attempt_of);`,
  // 18: the server's sealed secrets (repository and environment) in the database, shared by
  // replicas on PostgreSQL (src/db/server-secrets.ts); SQLite's stays empty (one machine keeps
  // them in its clone's files).
  `CREATE TABLE server_secrets (
     repo TEXT NOT NULL,
     scope TEXT NOT NULL,              -- 'repository', or 'environment:' and its name in lower case
     name TEXT NOT NULL,
     sealed TEXT NOT NULL,             -- AES-256-GCM: iv.tag.data in base64, bound to repo, scope, name
     updated_at BIGINT NOT NULL,       -- ms
     PRIMARY KEY (repo, scope, name)
   );`,
];

/** The same steps for PostgreSQL. */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     number INTEGER NOT NULL,
     run_id TEXT NOT NULL,
     workflows TEXT NOT NULL,
     event TEXT NOT NULL,
     ref TEXT NOT NULL,
     sha TEXT NOT NULL,
     actor TEXT NOT NULL,
     result TEXT,
     started_at BIGINT NOT NULL,
     ended_at BIGINT,
     interrupted TEXT,
     pid INTEGER NOT NULL,
     folder TEXT NOT NULL
   );
   CREATE INDEX runs_started ON runs (started_at);
   CREATE INDEX runs_open ON runs (ended_at) WHERE ended_at IS NULL;
   CREATE TABLE jobs (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     run BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     key TEXT NOT NULL,
     job TEXT NOT NULL,
     leg INTEGER,
     name TEXT NOT NULL,
     workflow TEXT,
     result TEXT,
     reason TEXT,
     outputs TEXT,
     started_at BIGINT,
     ended_at BIGINT,
     UNIQUE (run, key)
   );
   CREATE TABLE steps (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     number INTEGER NOT NULL,
     name TEXT NOT NULL,
     outcome TEXT,
     conclusion TEXT,
     started_at BIGINT,
     ended_at BIGINT,
     UNIQUE (job, number)
   );`,
  `CREATE TABLE annotations (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
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
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     markdown TEXT NOT NULL
   );
   CREATE INDEX summaries_job ON summaries (job);
   CREATE TABLE log_index (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER,
     file TEXT NOT NULL,
     first_seq INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     first_line INTEGER NOT NULL,
     last_line INTEGER NOT NULL
   );
   CREATE INDEX log_index_job ON log_index (job);`,
  `CREATE TABLE approvals (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     environment TEXT NOT NULL,
     requested_at BIGINT NOT NULL,
     decided_at BIGINT,
     approved INTEGER,
     decided_by TEXT
   );
   CREATE INDEX approvals_job ON approvals (job);`,
  // 4: one database, many repositories: a run's number is unique within its repository.
  `ALTER TABLE runs ADD COLUMN repo TEXT NOT NULL DEFAULT '';
   ALTER TABLE runs ADD CONSTRAINT runs_repo_number UNIQUE (repo, number);
   ALTER TABLE runs ADD CONSTRAINT runs_repo_run_id UNIQUE (repo, run_id);
   CREATE INDEX runs_repo_started ON runs (repo, started_at);`,
  `ALTER TABLE runs ADD COLUMN payload TEXT;
   ALTER TABLE jobs ADD COLUMN runner TEXT;
   CREATE TABLE artifacts (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     name TEXT NOT NULL,
     files INTEGER NOT NULL,
     size BIGINT NOT NULL,
     path TEXT NOT NULL,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX artifacts_job ON artifacts (job);
   CREATE TABLE caches (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     action TEXT NOT NULL,
     key TEXT NOT NULL,
     hit INTEGER NOT NULL,
     matched_key TEXT,
     size BIGINT,
     at BIGINT NOT NULL
   );
   CREATE INDEX caches_job ON caches (job);`,
  `CREATE TABLE test_cases (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     report TEXT NOT NULL,
     suite TEXT NOT NULL,
     name TEXT NOT NULL,
     file TEXT,
     line INTEGER,
     duration_ms BIGINT NOT NULL,
     outcome TEXT NOT NULL,
     message TEXT
   );
   CREATE INDEX test_cases_job ON test_cases (job);
   CREATE INDEX test_cases_name ON test_cases (suite, name);`,
  `CREATE TABLE benchmarks (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     suite TEXT NOT NULL,
     tool TEXT NOT NULL,
     name TEXT NOT NULL,
     value DOUBLE PRECISION NOT NULL,
     unit TEXT NOT NULL,
     value_range TEXT,
     extra TEXT,
     bigger_is_better INTEGER NOT NULL
   );
   CREATE INDEX benchmarks_job ON benchmarks (job);
   CREATE INDEX benchmarks_suite ON benchmarks (suite, name);`,
  `CREATE TABLE coverage_files (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     job BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     path TEXT NOT NULL,
     lines INTEGER NOT NULL,
     hit INTEGER NOT NULL
   );
   CREATE INDEX coverage_files_job ON coverage_files (job);`,
  // 9: job reuse: the leg's reuse key (hex) and its parts' hashes (JSON), looked up by key.
  `ALTER TABLE jobs ADD COLUMN reuse_key TEXT;
   ALTER TABLE jobs ADD COLUMN reuse_parts TEXT;
   CREATE INDEX jobs_reuse_key ON jobs (reuse_key);`, // 10: the server's queue of runs, shared by its replicas and kept over a restart.
  `CREATE TABLE server_queue (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     repo TEXT NOT NULL,
     request TEXT NOT NULL,            -- what the trigger asked for (JSON; no secret values)
     state TEXT NOT NULL,              -- queued, running, done or cancelled
     owner TEXT,                       -- the server (host:pid:nonce) running it
     heartbeat BIGINT,                 -- its owner's last sign of life (ms)
     cancel INTEGER NOT NULL DEFAULT 0,
     attempt INTEGER NOT NULL DEFAULT 1,
     rerun_of BIGINT,
     run INTEGER,
     exit_code INTEGER,
     message TEXT,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX server_queue_next ON server_queue (repo, state, id);`,
  // 11: continuous delivery (src/cd/): approval requests and each reviewer's decision, deployments
  // (one per job with an environment that ran), incidents.
  `CREATE TABLE cd_approvals (
     id TEXT PRIMARY KEY,
     repo TEXT NOT NULL,
     run INTEGER NOT NULL,
     queued BIGINT,                     -- the server_queue row of its run
     job TEXT NOT NULL,
     name TEXT NOT NULL,
     environment TEXT NOT NULL,
     ref TEXT NOT NULL,
     sha TEXT NOT NULL,
     actor TEXT NOT NULL,
     state TEXT NOT NULL,              -- waiting, approved, rejected, withdrawn
     requested_at BIGINT NOT NULL,
     last_asked BIGINT NOT NULL,
     decided_at BIGINT,
     decided_by TEXT,
     reason TEXT,
     rollback_of BIGINT
   );
   CREATE INDEX cd_approvals_env ON cd_approvals (repo, state, lower(environment));
   CREATE INDEX cd_approvals_run ON cd_approvals (repo, run, job);
   CREATE TABLE cd_reviews (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     approval TEXT NOT NULL,
     reviewer TEXT NOT NULL,
     approved INTEGER NOT NULL,
     bypass INTEGER NOT NULL,
     comment TEXT,
     at BIGINT NOT NULL
   );
   CREATE INDEX cd_reviews_approval ON cd_reviews (approval);
   CREATE TABLE cd_deployments (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     repo TEXT NOT NULL,
     environment TEXT NOT NULL,
     sha TEXT NOT NULL,
     ref TEXT NOT NULL,
     version TEXT,
     run INTEGER NOT NULL,
     queued BIGINT,
     job TEXT NOT NULL,                -- the leg's key
     job_id TEXT NOT NULL,             -- the job's id (a rollback runs --job it)
     workflow TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     url TEXT,
     approved_by TEXT NOT NULL,        -- JSON array
     started_at BIGINT NOT NULL,
     finished_at BIGINT,
     status TEXT NOT NULL,
     kind TEXT NOT NULL,
     rollback_of BIGINT,
     failed_at BIGINT,
     request TEXT                      -- the run's trigger (JSON), so a rollback runs it again
   );
   CREATE INDEX cd_deployments_env ON cd_deployments (repo, lower(environment), id);
   CREATE INDEX cd_deployments_run ON cd_deployments (repo, run, job);
   CREATE TABLE cd_incidents (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     repo TEXT NOT NULL,
     environment TEXT NOT NULL,
     deployment BIGINT,
     reason TEXT NOT NULL,
     opened_at BIGINT NOT NULL,
     closed_at BIGINT,
     root_cause_sha TEXT
   );
   CREATE INDEX cd_incidents_env ON cd_incidents (repo, lower(environment), id);`,
  // 12: workflow-level concurrency groups across the server's runs (one holds, the newest waits),
  // and the agents' legs in the database (shared by replicas on PostgreSQL).
  `CREATE TABLE server_groups (
     repo TEXT NOT NULL,
     grp TEXT NOT NULL,
     queued BIGINT NOT NULL,               -- the server_queue row of the run
     state TEXT NOT NULL,              -- pending, holding, or replaced (by a newer pending run)
     cancel INTEGER NOT NULL DEFAULT 0, -- cancel-in-progress
     created_at BIGINT NOT NULL,
     PRIMARY KEY (repo, grp, queued)
   );
   CREATE UNIQUE INDEX server_groups_holder ON server_groups (repo, grp) WHERE state = 'holding';
   -- Agents and the legs they run, shared by replicas on PostgreSQL (src/server/legs-db.ts).
   CREATE TABLE server_agents (
     id TEXT PRIMARY KEY,
     repo TEXT NOT NULL,
     token_hash TEXT NOT NULL UNIQUE,  -- sha256 of the agent's token
     name TEXT NOT NULL,
     labels TEXT NOT NULL,             -- JSON
     platform TEXT NOT NULL,           -- JSON {os, arch}
     capacity INTEGER NOT NULL,
     sandbox INTEGER NOT NULL,
     last_seen BIGINT NOT NULL,
     done INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE server_legs (
     id TEXT PRIMARY KEY,
     repo TEXT NOT NULL,
     run INTEGER NOT NULL,
     queued BIGINT,                        -- the server_queue row of its run
     job TEXT NOT NULL,                -- the assignment's key (the leg's job)
     assignment TEXT NOT NULL,         -- JSON; the secret values sealed (AES-256-GCM)
     runs_on TEXT NOT NULL,            -- JSON
     untrusted INTEGER NOT NULL,
     state TEXT NOT NULL,              -- waiting, leased or done
     attempt INTEGER NOT NULL DEFAULT 1,
     lease TEXT,
     agent TEXT,
     expires BIGINT,
     acked INTEGER NOT NULL DEFAULT 0, -- the last seq of this lease stored
     cancel INTEGER NOT NULL DEFAULT 0,
     result TEXT,                      -- JSON LegResult, once done
     enqueued_at BIGINT NOT NULL,
     started_at BIGINT
   );
   CREATE INDEX server_legs_state ON server_legs (repo, state, enqueued_at);
   CREATE INDEX server_legs_lease ON server_legs (lease);
   CREATE TABLE server_leg_events (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     leg TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     seq INTEGER NOT NULL,             -- the agent's seq within its lease (0: the server's own line)
     event TEXT NOT NULL,              -- JSON RunEvent, masked by the agent
     UNIQUE (leg, attempt, seq)
   );
   CREATE INDEX server_leg_events_leg ON server_leg_events (leg, id);`,
  // 13: which jobs of a running run wait for a concurrency group, seen by every replica.
  `ALTER TABLE server_queue ADD COLUMN jobs_waiting TEXT; -- JSON {job: why}`,
  // 14: an agent an admin removed (DELETE /api/agents/ID): every replica refuses its token.
  `ALTER TABLE server_agents ADD COLUMN removed_at BIGINT; -- ms; NULL: not removed`,
  // 15: a run's event lines as its run folder's events.jsonl has them (masked JSON, in batches),
  // so that a replica on another machine streams and shows the run (PostgreSQL's; SQLite
  // has the same table, empty: one machine reads the folder); the machine a run ran on; and the
  // run numbers that machines sharing a repository took.
  `CREATE TABLE run_event_lines (     -- one row per recorder batch: the lines of seqs first..last
     repo TEXT NOT NULL,
     run INTEGER NOT NULL,             -- the run's number in its repository
     first_seq INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     lines TEXT NOT NULL,              -- events.jsonl's lines of those seqs, each ending in a newline
     PRIMARY KEY (repo, run, last_seq)
   );
   ALTER TABLE runs ADD COLUMN host TEXT;  -- the machine of the run's process (its pid is that machine's)
   CREATE TABLE run_numbers (          -- numbers taken by machines sharing a repository (SLIPWAY_HISTORY_REPO)
     repo TEXT NOT NULL,
     number INTEGER NOT NULL,
     PRIMARY KEY (repo, number)
   );`,
  // 16: the notifications waiting to be sent (src/notify/outbox-db.ts): kept over a restart and
  // shared by replicas, each claiming a row while it sends it.
  `CREATE TABLE notify_outbox (
     id TEXT PRIMARY KEY,              -- the delivery id (X-Slipway-Delivery)
     repo TEXT NOT NULL,
     target TEXT NOT NULL,             -- the target's name in slipway-server.yml
     event TEXT NOT NULL,              -- JSON NotifyEvent, masked
     body TEXT NOT NULL,               -- as sent, masked (signed at each attempt)
     attempt INTEGER NOT NULL DEFAULT 0, -- attempts made
     due_at BIGINT NOT NULL,           -- ms: the next attempt
     claimed_until BIGINT,             -- ms: a server sends it until then (NULL: nobody)
     created_at BIGINT NOT NULL
   );
   CREATE INDEX notify_outbox_due ON notify_outbox (repo, due_at);`,
  // 17: a re-run is a new attempt of its run, as on GitHub: its attempt (1, 2, ...) and the
  // number of the run's first attempt (NULL for a first attempt), whose github.run_id and
  // run_number it keeps.
  `ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE runs ADD COLUMN attempt_of INTEGER;
   CREATE INDEX runs_attempt_of ON runs (repo, attempt_of);`,
  // 18: the server's sealed secrets (repository and environment) in the database, shared by
  // replicas on PostgreSQL (src/db/server-secrets.ts); SQLite's stays empty (one machine keeps
  // them in its clone's files).
  `CREATE TABLE server_secrets (
     repo TEXT NOT NULL,
     scope TEXT NOT NULL,              -- 'repository', or 'environment:' and its name in lower case
     name TEXT NOT NULL,
     sealed TEXT NOT NULL,             -- AES-256-GCM: iv.tag.data in base64, bound to repo, scope, name
     updated_at BIGINT NOT NULL,       -- ms
     PRIMARY KEY (repo, scope, name)
   );`,
];

export class NewerDatabaseError extends Error {}

const newer = (from: number, known: number) =>
  new NewerDatabaseError(
    `the database has schema version ${from}; this Slipway knows up to ${known} (upgrade Slipway)`,
  );

/** Brings the database to the newest schema; a database from a newer Slipway is refused. */
export async function migrate(db: Db, steps?: readonly string[]): Promise<void> {
  if (db.dialect === "sqlite") return migrateSqlite(db, steps ?? SQLITE_MIGRATIONS);
  return migratePostgres(db, steps ?? POSTGRES_MIGRATIONS);
}

async function migrateSqlite(db: Db, steps: readonly string[]): Promise<void> {
  const version = async () => (await db.get<{ user_version: number }>("PRAGMA user_version"))!.user_version;
  if ((await version()) === steps.length) return;
  await db.transaction(async () => {
    // Read again inside the write lock: another process may have migrated meanwhile.
    const from = await version();
    if (from > steps.length) throw newer(from, steps.length);
    for (let v = from; v < steps.length; v++) await db.exec(steps[v]!);
    await db.exec(`PRAGMA user_version = ${steps.length}`);
  });
}

/** Any number shared by every Slipway: the advisory lock that lets one process migrate at a time. */
const MIGRATION_LOCK = 0x51177a7;

async function migratePostgres(db: Db, steps: readonly string[]): Promise<void> {
  const version = async () =>
    (await db.get<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations"))!.v ?? 0;
  // One round trip when nothing is to do (every start); an empty database has no table yet.
  const current = await version().catch((e: { code?: string }) => {
    if (e.code === "42P01") return -1;
    throw e;
  });
  if (current === steps.length) return;
  await db.transaction(async () => {
    // Two processes starting at once: the second waits here, then finds the work done.
    await db.get("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK]);
    await db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
    );
    const from = await version();
    if (from > steps.length) throw newer(from, steps.length);
    for (let v = from; v < steps.length; v++) {
      await db.exec(steps[v]!);
      await db.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [v + 1, Date.now()]);
    }
  });
}
