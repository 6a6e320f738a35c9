// The continuous-delivery records the server keeps: deployments (one per job with an
// `environment:` that ran), and incidents (a failure after a deployment, or one opened through
// the API for a failure found outside the pipeline). Shared by the environments code that writes
// them and by the DORA metrics, the pages and the notifications that read them.

/** active: the environment's current one; inactive: replaced by a later one. */
export type DeploymentStatus = "in_progress" | "active" | "inactive" | "failed" | "rolled_back";

/** deploy: a run's deployment job; rollback: a previous deployment redeployed; fix: a fix-forward. */
export type DeploymentKind = "deploy" | "rollback" | "fix";

export interface Deployment {
  id: number;
  /** The repository (the Db's `repo`, '' for a one-repository SQLite history). */
  repo: string;
  environment: string;
  /** The commit deployed (full sha). */
  sha: string;
  /** refs/heads/main, refs/tags/v1.2.0 … */
  ref: string;
  /** The tag or version deployed, when there is one. */
  version?: string;
  /** The run (its number in the repository), the job key and the run's attempt. */
  run: number;
  job: string;
  attempt: number;
  /** The environment's url as the job set it. */
  url?: string;
  /** Who approved it (empty when no review was required). */
  approvedBy: string[];
  /** Epoch ms. */
  startedAt: number;
  finishedAt?: number;
  status: DeploymentStatus;
  kind: DeploymentKind;
  /** For a rollback: the deployment it redeployed. */
  rollbackOf?: number;
  /** When a later job of its run (a health check) failed, or it was marked failed: a change failure. */
  failedAt?: number;
}

export interface Incident {
  id: number;
  repo: string;
  environment: string;
  /** The deployment that caused it, when known. */
  deployment?: number;
  reason: string;
  openedAt: number;
  closedAt?: number;
  /** The commit that caused it, when someone said (API). */
  rootCauseSha?: string;
}

/** A commit as the lead-time figures need it. */
export interface CommitTime {
  sha: string;
  /** Commit time (committer date), epoch ms. */
  time: number;
}
