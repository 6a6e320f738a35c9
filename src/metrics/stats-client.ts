// `slipway stats --server URL`: the server's DORA figures (/api/dora) and pipeline stats and
// trends (/api/stats), as JSON or as tables.
import { duration, table } from "../cli/columns.js";
import { IoError, UsageError } from "../cli/common.js";
import type { PipelineTrends } from "./pipeline.js";
import type { DoraReport } from "./service.js";
import { human } from "./svg-chart.js";

export interface ServerStats {
  server: string;
  dora: DoraReport;
  stats: unknown;
  trends: PipelineTrends;
}

export async function fetchServerStats(
  server: string,
  o: { token?: string; days: number; last: number },
): Promise<ServerStats> {
  if (!/^https?:\/\/[^\s]+$/.test(server))
    throw new UsageError(`--server expects an http(s) URL, got '${server}'`);
  const base = server.replace(/\/+$/, "");
  const get = async (path: string) => {
    let r: Response;
    try {
      r = await fetch(`${base}${path}`, {
        headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
      throw new IoError(base, e as Error, `${base}: ${cause}`);
    }
    const text = await r.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new IoError(base, new Error(text), `${base}${path}: answered ${r.status} without JSON`);
    }
    if (!r.ok) {
      const why = (body as { error?: unknown }).error;
      throw new IoError(
        base,
        new Error(String(why)),
        `${base}${path}: ${r.status} ${String(why ?? "")}`.trim(),
      );
    }
    return body;
  };
  const q = `days=${o.days}`;
  const [dora, s] = await Promise.all([get(`/api/dora?${q}`), get(`/api/stats?${q}&last=${o.last}`)]);
  const both = s as { stats: unknown; trends: PipelineTrends };
  return { server: base, dora: dora as DoraReport, stats: both.stats, trends: both.trends };
}

const pct = (x: number | null) => (x === null ? "-" : `${Math.round(x * 100)}%`);

export function renderServerStats(s: ServerStats): string {
  const out = [`${s.server}: the last ${s.dora.days} days\n\n`];
  if (s.dora.environments.length)
    out.push(
      table([
        [
          "ENVIRONMENT",
          "DEPLOYS",
          "PER DAY",
          "BAND",
          "LEAD P50",
          "LEAD P90",
          "FAILED",
          "RESTORE P50",
          "OPEN",
        ],
        ...s.dora.environments.map((f) => [
          f.environment,
          String(f.frequency.deployments),
          f.frequency.perDay.toFixed(2),
          f.frequency.band,
          human(f.leadTime.medianMs),
          human(f.leadTime.p90Ms),
          pct(f.changeFailure.rate),
          human(f.restore.medianMs),
          String(f.restore.open),
        ]),
      ]),
      "\n",
    );
  else out.push("No deployments or incidents recorded.\n\n");
  if (s.trends.workflows.length)
    out.push(
      table([
        ["WORKFLOW", "RUNS", "SUCCESS", "P50", "P90", "QUEUE P50"],
        ...s.trends.workflows.map((w) => [
          w.workflow || "(unnamed)",
          String(w.runs),
          pct(w.successRate),
          duration(w.duration.medianMs),
          duration(w.duration.p90Ms),
          human(w.queue.medianMs),
        ]),
      ]),
    );
  if (s.trends.flaky.length)
    out.push(
      "\n",
      table([
        ["FLAKY JOB", "COMMIT", "RESULTS"],
        ...s.trends.flaky.map((f) => [`${f.workflow} ${f.job}`, f.sha.slice(0, 7), f.results.join(", ")]),
      ]),
    );
  return out.join("");
}
