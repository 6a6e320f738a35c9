import type { LineCut } from "./lines.js";

/**
 * Where steps run. Lifecycle, for every job: prepareJob once, then spawn once per step
 * process (sequentially; a job never runs two steps at once), then cleanupJob, also
 * after failure or cancel. Different jobs may be prepared and run concurrently, so an
 * executor keeps no per-job state outside the JobSpace it returns.
 * Host first; a sandbox, containers, remote agents and Kubernetes implement the same.
 */
export interface JobSpace {
  /** GITHUB_WORKSPACE */
  workspace: string;
  /** RUNNER_TEMP: empty at job start, removed at the end. */
  temp: string;
  /**
   * The runner's own small files (step scripts, file-command files), written for every
   * step; removed at the end. Not a user-visible folder, so it may live anywhere fast.
   */
  control: string;
  /** RUNNER_TOOL_CACHE: shared across jobs. */
  toolCache: string;
  /** Process groups of steps, killed at job end (background children live until then). */
  processGroups: Set<number>;
}

export interface PrepareSpec {
  /** Unique, file-system safe. */
  jobKey: string;
  repoRoot: string;
  /**
   * The run's own number here (its folder, .slipway/runs/<n>): a re-run's github.run_number
   * is its first attempt's. Undefined (an older plan or agent): github.run_number.
   */
  runNumber?: number;
  /** Commit to check out; undefined means use the live tree (bind). */
  sha?: string;
  bind: boolean;
  /** Folder for this run's job folders (workspace, temp). */
  workRoot: string;
  /** Shared RUNNER_TOOL_CACHE. */
  toolCache: string;
  /** The run history's PostgreSQL URL (--db, SLIPWAY_DATABASE_URL); undefined: the repository's SQLite file. */
  historyUrl?: string;
}

export interface SpawnSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /**
   * Called per complete line (without the newline). A line longer than MAX_LINE (lines.ts)
   * comes cut, with `cut` saying how much was dropped.
   */
  onLine: (stream: "stdout" | "stderr", line: string, cut?: LineCut) => void;
  signal: AbortSignal;
  space: JobSpace;
}

export interface SpawnResult {
  exitCode: number;
  /** Killed because the signal fired. */
  aborted: boolean;
  /** Could not start at all (e.g. the shell is missing). */
  startError?: string;
}

export interface Executor {
  readonly name: string;
  prepareJob(spec: PrepareSpec): Promise<JobSpace>;
  spawn(spec: SpawnSpec): Promise<SpawnResult>;
  /**
   * Ends the job's processes and frees its folders. May return before the slow part (the
   * host executor resets folders for the next job in the background); close() waits.
   */
  cleanupJob(space: JobSpace, spec: PrepareSpec): Promise<void>;
  /** May start preparing a job that will run later (a hint; prepareJob must still work without it). */
  prefetch?(spec: PrepareSpec): void;
  /** After the last job of a run: removes what the executor kept for the run. */
  close?(): Promise<void>;
  /** What close does, synchronously, for a process about to exit (a second Ctrl-C). */
  abandon?(): void;
}
