// The four DORA figures of one repository's environment over a window of days, as pure
// functions of its deployments, its incidents and the commits each deployment brought.
// docs/metrics.md writes the definitions out; the tests build histories to prove them.
import type { Deployment, Incident } from "../cd/types.js";
import { percentile } from "../db/stats.js";
import type { CommitsOf } from "./source.js";

export const DAY = 86_400_000;

/** How often an environment gets deployments (DORA's bands; "none": not once in the window). */
export type Band = "daily" | "weekly" | "monthly" | "yearly" | "none";

export interface Spread {
  /** How many samples (commits for lead time, restored failures for time to restore). */
  count: number;
  /** Nearest-rank median and 90th percentile, ms; null without samples. */
  medianMs: number | null;
  p90Ms: number | null;
}

export interface DayPoint {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  deployments: number;
  /** Deployments of that day that were change failures. */
  failures: number;
  /** Median lead time of the commits first deployed that day, ms. */
  leadTimeMedianMs: number | null;
}

/** One failure and its restore: a failed deployment (with the incidents about it) or an incident alone. */
export interface Failure {
  deployment?: number;
  incidents: number[];
  startedAt: number;
  /** The next successful deployment's end (or the incident's close); none: not restored yet. */
  restoredAt?: number;
}

export interface DoraFigures {
  repo: string;
  environment: string;
  days: number;
  /** The window: (from, to], epoch ms. */
  from: number;
  to: number;
  frequency: {
    deployments: number;
    perDay: number;
    perWeek: number;
    band: Band;
  };
  leadTime: Spread;
  changeFailure: {
    deployments: number;
    failed: number;
    /** failed / deployments; null without deployments. */
    rate: number | null;
    /** The deployments counted as failed, each once. */
    failedIds: number[];
  };
  restore: Spread & { open: number };
  failures: Failure[];
  daily: DayPoint[];
}

export interface DoraInput {
  deployments: Deployment[];
  incidents: Incident[];
  commitsOf: CommitsOf;
  days: number;
  now: number;
}

/** When a deployment put its commit in the environment. */
export const landedAt = (d: Deployment) => d.finishedAt ?? d.startedAt;

/**
 * A successful deployment: its job succeeded and the commit reached the environment. One
 * still running has not; a `failed` one without `failedAt` is a deployment job that failed
 * (nothing changed); with `failedAt` it landed and a later health check failed.
 */
export const landed = (d: Deployment) =>
  d.status !== "in_progress" && !(d.status === "failed" && d.failedAt === undefined);

/** The figures of every (repository, environment) the deployments and incidents name. */
export function doraByEnvironment(input: DoraInput): DoraFigures[] {
  const keys = new Map<string, { repo: string; environment: string }>();
  for (const x of [...input.deployments, ...input.incidents])
    keys.set(`${x.repo}\0${x.environment}`, { repo: x.repo, environment: x.environment });
  return [...keys.values()]
    .sort((a, b) => a.repo.localeCompare(b.repo) || a.environment.localeCompare(b.environment))
    .map((k) => dora(input, k.repo, k.environment));
}

/** The figures of one environment of one repository. */
export function dora(input: DoraInput, repo: string, environment: string): DoraFigures {
  const { days, now } = input;
  const from = now - days * DAY;
  const inWindow = (t: number) => t > from && t <= now;
  const ours = <T extends { repo: string; environment: string }>(x: T) =>
    x.repo === repo && x.environment === environment;
  const deployments = input.deployments
    .filter((d) => ours(d) && landed(d))
    .sort((a, b) => landedAt(a) - landedAt(b) || a.id - b.id);
  const incidents = input.incidents.filter(ours);

  // Lead time: every commit once, at the first successful deployment that contained it (a
  // deployment after a rollback brings the rolled-back commits again: not counted again).
  const firstDeployed = new Map<string, Deployment>();
  const leadBy = new Map<number, number[]>();
  let previous: Deployment | undefined;
  for (const d of deployments) {
    const samples: number[] = [];
    for (const c of input.commitsOf(d, previous)) {
      if (firstDeployed.has(c.sha)) continue;
      firstDeployed.set(c.sha, d);
      samples.push(Math.max(0, landedAt(d) - c.time));
    }
    if (!firstDeployed.has(d.sha)) firstDeployed.set(d.sha, d);
    leadBy.set(d.id, samples);
    previous = d;
  }

  // Change failures, each deployment once: a failed health check, marked rolled back, the
  // deployment a rollback or a fix-forward replaced, or named by an incident.
  const index = new Map(deployments.map((d, i) => [d.id, i]));
  const failed = new Map<number, Failure>();
  // The incidents of each failure (their ids may come from two stores: the objects are kept).
  const about = new Map<Failure, Incident[]>();
  const fail = (d: Deployment) => {
    let f = failed.get(d.id);
    if (!f) {
      f = { deployment: d.id, incidents: [], startedAt: landedAt(d) };
      failed.set(d.id, f);
      about.set(f, []);
    }
    return f;
  };
  deployments.forEach((d, i) => {
    if (d.failedAt !== undefined || d.status === "rolled_back") fail(d);
    if ((d.kind === "rollback" || d.kind === "fix") && i > 0) fail(deployments[i - 1]!);
  });
  const alone: Failure[] = [];
  const causeOf = (x: Incident): Deployment | undefined => {
    if (x.deployment !== undefined) {
      const i = index.get(x.deployment);
      return i === undefined ? undefined : deployments[i];
    }
    const sha = x.rootCauseSha?.toLowerCase();
    if (!sha || sha.length < 7) return undefined;
    for (const [c, d] of firstDeployed) if (c.startsWith(sha)) return d;
    return undefined;
  };
  for (const x of incidents) {
    const d = causeOf(x);
    if (d) {
      const f = fail(d);
      f.incidents.push(x.id);
      about.get(f)!.push(x);
      f.startedAt = Math.min(f.startedAt, x.openedAt);
    } else {
      const f = { incidents: [x.id], startedAt: x.openedAt };
      alone.push(f);
      about.set(f, [x]);
    }
  }

  // Time to restore: to the next successful deployment that did not fail itself (or, with no
  // such deployment, the close of an incident about it). An incident alone: whichever of its
  // close and the next such deployment comes first.
  const healthyAfter = (i: number, t: number) => {
    for (let k = i + 1; k < deployments.length; k++) {
      const d = deployments[k]!;
      if (!failed.has(d.id) && landedAt(d) >= t) return landedAt(d);
    }
    return undefined;
  };
  const closedAt = (f: Failure) => {
    const closes = about.get(f)!.map((x) => x.closedAt);
    return closes.length && closes.every((c) => c !== undefined) ? Math.max(...closes) : undefined;
  };
  for (const f of failed.values())
    f.restoredAt = healthyAfter(index.get(f.deployment!)!, f.startedAt) ?? closedAt(f);
  for (const f of alone) {
    const next = healthyAfter(
      deployments.findLastIndex((d) => landedAt(d) < f.startedAt),
      f.startedAt,
    );
    const closed = closedAt(f);
    f.restoredAt = next === undefined ? closed : closed === undefined ? next : Math.min(next, closed);
  }

  const windowed = deployments.filter((d) => inWindow(landedAt(d)));
  const lead = windowed.flatMap((d) => leadBy.get(d.id) ?? []);
  const failedIds = windowed.filter((d) => failed.has(d.id)).map((d) => d.id);
  const failures = [...failed.values(), ...alone]
    .filter((f) => inWindow(f.startedAt))
    .sort((a, b) => a.startedAt - b.startedAt);
  const restored = failures.filter((f) => f.restoredAt !== undefined);
  return {
    repo,
    environment,
    days,
    from,
    to: now,
    frequency: {
      deployments: windowed.length,
      perDay: windowed.length / days,
      perWeek: (windowed.length * 7) / days,
      band: band(windowed.map(landedAt), days, now),
    },
    leadTime: spread(lead),
    changeFailure: {
      deployments: windowed.length,
      failed: failedIds.length,
      rate: windowed.length ? failedIds.length / windowed.length : null,
      failedIds,
    },
    restore: {
      ...spread(restored.map((f) => f.restoredAt! - f.startedAt)),
      open: failures.length - restored.length,
    },
    failures,
    daily: daily(windowed, leadBy, failed, days, now),
  };
}

export function spread(samples: number[]): Spread {
  if (!samples.length) return { count: 0, medianMs: null, p90Ms: null };
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: samples.length, medianMs: percentile(sorted, 50), p90Ms: percentile(sorted, 90) };
}

/**
 * DORA's deployment frequency band, over the window's whole weeks (the last floor(days/7),
 * at least one): daily when at least half of them had deployments on 3 or more different
 * days; weekly when at least half had one; monthly when there was one per 30 days on
 * average; yearly when there was any; none otherwise.
 */
export function band(times: number[], days: number, now: number): Band {
  if (!times.length) return "none";
  const weeks = Math.max(1, Math.floor(days / 7));
  const perWeek = Array.from({ length: weeks }, () => new Set<string>());
  for (const t of times) {
    const w = Math.floor((now - t) / (7 * DAY));
    if (w >= 0 && w < weeks) perWeek[w]!.add(dayOf(t));
  }
  const half = Math.ceil(weeks / 2);
  if (perWeek.filter((s) => s.size >= 3).length >= half) return "daily";
  if (perWeek.filter((s) => s.size >= 1).length >= half) return "weekly";
  if ((times.length * 30) / days >= 1) return "monthly";
  return "yearly";
}

export const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

function daily(
  windowed: Deployment[],
  leadBy: Map<number, number[]>,
  failed: Map<number, Failure>,
  days: number,
  now: number,
): DayPoint[] {
  const points = new Map<string, { deployments: number; failures: number; lead: number[] }>();
  for (let i = days - 1; i >= 0; i--)
    points.set(dayOf(now - i * DAY), { deployments: 0, failures: 0, lead: [] });
  for (const d of windowed) {
    const p = points.get(dayOf(landedAt(d)));
    if (!p) continue;
    p.deployments++;
    if (failed.has(d.id)) p.failures++;
    p.lead.push(...(leadBy.get(d.id) ?? []));
  }
  return [...points].map(([day, p]) => ({
    day,
    deployments: p.deployments,
    failures: p.failures,
    leadTimeMedianMs: spread(p.lead).medianMs,
  }));
}
