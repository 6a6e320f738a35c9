// Where the DORA figures read deployments and incidents from. The environments code keeps
// them (its table); the server connects that here. Incidents opened through /api/incidents
// are kept by metrics/incidents.ts and added to the source's.
import type { CommitTime, Deployment, Incident } from "../cd/types.js";

export interface CdSource {
  /** Deployments of `repo` started at or after `sinceMs`, any order. */
  deployments(repo: string, sinceMs: number): Promise<Deployment[]>;
  /** Incidents of `repo` opened at or after `sinceMs`, any order. */
  incidents(repo: string, sinceMs: number): Promise<Incident[]>;
}

/**
 * The commits a deployment brought: reachable from its commit and not from `previous`, the
 * previous successful deployment of its environment (none: the first one recorded).
 * metrics/git-commits.ts reads them from git; the bench and tests give stored ones.
 */
export type CommitsOf = (d: Deployment, previous: Deployment | undefined) => CommitTime[];
