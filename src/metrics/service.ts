// What the server's DORA page, /api/dora, /api/stats and /metrics read: the figures of every
// environment, computed from the deployments and incidents of the CD source, the incidents
// opened through the API, and the commits git says each deployment brought.
import type { Incident } from "../cd/types.js";
import type { Db } from "../db/db.js";
import { openHistory } from "../db/open.js";
import { stats } from "../db/stats.js";
import { type DoraFigures, doraByEnvironment, landedAt } from "./dora.js";
import { GitCommits, pullRequestHeads } from "./git-commits.js";
import { closeIncident, listIncidents, openIncident } from "./incidents.js";
import { PipelineHistory } from "./pipeline.js";
import type { CdSource, CommitsOf } from "./source.js";

export interface MetricsOptions {
  root: string;
  /** The run history, opened (created when missing) for `fn` and closed after. */
  withDb: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
  /**
   * The environments' deployments and incidents (metrics/cd-source.ts: the cd_ tables; the
   * incidents opened through the API are in the same table). None: the table's incidents only.
   */
  source?: CdSource;
  now?: () => number;
}

export interface DoraReport {
  repo: string;
  days: number;
  at: number;
  environments: DoraFigures[];
}

/** The windows the page, the API and /metrics offer. */
export const WINDOWS = [7, 30, 90] as const;

/** Figures are this fresh at most: a page and a scrape in the same seconds share them. */
const FRESH_MS = 10_000;

export class MetricsService {
  private readonly heads = new Map<number, string[]>();
  readonly commits: GitCommits;
  private readonly cache = new Map<number, { at: number; report: Promise<DoraReport> }>();
  private readonly pipeline = new PipelineHistory();
  /** The commits of each deployment, kept while the deployments and pull request heads stay the same. */
  private provider?: { key: string; commitsOf: CommitsOf };

  constructor(private readonly o: MetricsOptions) {
    this.commits = new GitCommits(o.root, { prHeads: (n) => this.heads.get(n) ?? [] });
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** Every environment's figures over `days` (one environment's when `env` is given). */
  async dora(days: number, env?: string): Promise<DoraReport> {
    const now = this.now();
    let hit = this.cache.get(days);
    if (!hit || now - hit.at > FRESH_MS) {
      hit = { at: now, report: this.compute(days, now) };
      this.cache.set(days, hit);
      hit.report.catch(() => this.cache.delete(days));
    }
    const r = await hit.report;
    return env === undefined
      ? r
      : { ...r, environments: r.environments.filter((f) => f.environment === env) };
  }

  private async compute(days: number, now: number): Promise<DoraReport> {
    const { repo, ours, heads } = await this.o.withDb(async (db) => ({
      repo: db.repo,
      ours: this.o.source ? [] : await listIncidents(db, 0),
      heads: await pullRequestHeads(db),
    }));
    for (const [n, h] of heads) this.heads.set(n, h);
    // Everything, not only the window: a commit's first deployment and a deployment's
    // predecessor may be older than the window.
    const deployments = (await this.o.source?.deployments(repo, 0)) ?? [];
    const incidents = this.o.source ? await this.o.source.incidents(repo, 0) : ours;
    const key = `${[...heads.values()].flat().length}|${deployments.map((d) => `${d.id}:${d.sha}:${d.status}:${landedAt(d)}`).join(",")}`;
    if (this.provider?.key !== key) this.provider = { key, commitsOf: this.commits.commitsFor(deployments) };
    const environments = doraByEnvironment({
      deployments,
      incidents,
      commitsOf: this.provider.commitsOf,
      days,
      now,
    });
    return { repo, days, at: now, environments };
  }

  /** `slipway stats` over the last runs, and the pipeline trends over `days`. */
  async stats(days: number, last = 50) {
    const now = this.now();
    return this.o.withDb(async (db) => {
      await this.pipeline.refresh(db);
      return { stats: await stats(db, last), trends: this.pipeline.trends(days, now) };
    });
  }

  async trends(days: number) {
    const now = this.now();
    await this.o.withDb((db) => this.pipeline.refresh(db));
    return this.pipeline.trends(days, now);
  }

  async openIncident(i: { environment: string; reason: string; deployment?: number }): Promise<Incident> {
    const made = await this.o.withDb((db) => openIncident(db, i, this.now()));
    this.cache.clear();
    return made;
  }

  async closeIncident(id: number, rootCauseSha?: string) {
    const r = await this.o.withDb((db) => closeIncident(db, id, rootCauseSha, this.now()));
    this.cache.clear();
    return r;
  }

  /** Every incident: the source's (which holds those of the API too), or the table's. */
  async incidents(): Promise<Incident[]> {
    const { repo, ours } = await this.o.withDb(async (db) => ({
      repo: db.repo,
      ours: this.o.source ? [] : await listIncidents(db, 0),
    }));
    const all = this.o.source ? await this.o.source.incidents(repo, 0) : ours;
    return [...all].sort((a, b) => a.openedAt - b.openedAt || a.id - b.id);
  }
}

/** `withDb` over the history of `root` (the PostgreSQL database `url` when given). */
export function historyAccess(root: string, url: string | undefined): MetricsOptions["withDb"] {
  return async (fn) => {
    const db = (await openHistory(root, true, url))!;
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
}
