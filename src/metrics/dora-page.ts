// The /dora page: per environment the four DORA figures over 7, 30 or 90 days with their
// day-by-day charts, the failures and their restores, open incidents; then the pipeline's
// trends (duration, queue time, success rate per workflow) and its flaky jobs.
import type { Incident } from "../cd/types.js";
import { e, page, when } from "../web/html.js";
import type { DoraFigures } from "./dora.js";
import type { PipelineTrends } from "./pipeline.js";
import { windowDays } from "./routes.js";
import { type DoraReport, type MetricsService, WINDOWS } from "./service.js";
import { barChart, human } from "./svg-chart.js";

export interface DoraQuery {
  days: number;
  env?: string;
}

const pct = (x: number | null) => (x === null ? "–" : `${Math.round(x * 100)}%`);
const rate = (x: number) => (x >= 10 ? String(Math.round(x)) : x.toFixed(2).replace(/\.?0+$/, "") || "0");

function href(q: DoraQuery): string {
  const p = new URLSearchParams();
  if (q.days !== 30) p.set("days", String(q.days));
  if (q.env) p.set("env", q.env);
  const s = p.toString();
  return s ? `/dora?${s}` : "/dora";
}

function environment(f: DoraFigures): string {
  const short = (day: string) => day.slice(5);
  const deployments = barChart(
    f.daily.map((d) => ({
      label: short(d.day),
      value: d.deployments,
      alert: d.failures,
      title: `${d.day}: ${d.deployments} deployment${d.deployments === 1 ? "" : "s"}${d.failures ? `, ${d.failures} failed` : ""}`,
    })),
    { title: `Deployments per day to ${f.environment} (failures in red)`, format: (v) => String(v) },
  );
  const lead = barChart(
    f.daily.map((d) => ({
      label: short(d.day),
      value: d.leadTimeMedianMs ?? 0,
      title: `${d.day}: median lead time ${human(d.leadTimeMedianMs)}`,
    })),
    { title: `Median lead time per day, ${f.environment}`, format: human },
  );
  const failures = f.failures
    .slice(-20)
    .reverse()
    .map(
      (x) =>
        `<tr><td>${x.deployment !== undefined ? `deployment ${x.deployment}` : ""}${x.incidents.length ? ` incident ${x.incidents.map((i) => `#${i}`).join(", ")}` : ""}</td><td>${when(x.startedAt)}</td><td>${x.restoredAt ? when(x.restoredAt) : "not yet"}</td><td>${x.restoredAt ? human(x.restoredAt - x.startedAt) : ""}</td></tr>`,
    )
    .join("");
  const fr = f.frequency;
  return `<section class="env"><h2>${e(f.environment)}${f.repo ? ` <small>${e(f.repo)}</small>` : ""}</h2>
<table class="dora"><tr><th>Deployment frequency</th><td>${fr.deployments} in ${f.days} days: ${rate(fr.perDay)}/day, ${rate(fr.perWeek)}/week</td><td>${fr.band}</td></tr>
<tr><th>Lead time for changes</th><td>median ${human(f.leadTime.medianMs)}, p90 ${human(f.leadTime.p90Ms)}</td><td>${f.leadTime.count} commits</td></tr>
<tr><th>Change failure rate</th><td>${pct(f.changeFailure.rate)}</td><td>${f.changeFailure.failed} of ${f.changeFailure.deployments} deployments</td></tr>
<tr><th>Time to restore</th><td>median ${human(f.restore.medianMs)}, p90 ${human(f.restore.p90Ms)}</td><td>${f.restore.count} restored${f.restore.open ? `, ${f.restore.open} not yet` : ""}</td></tr></table>
<figure>${deployments}<figcaption>Deployments per day (failed ones in red)</figcaption></figure>
<figure>${lead}<figcaption>Median lead time of the commits first deployed each day</figcaption></figure>
${failures ? `<h3>Failures</h3><table><tr><th>What</th><th>Started</th><th>Restored</th><th>Took</th></tr>${failures}</table>` : ""}
</section>`;
}

function pipeline(t: PipelineTrends): string {
  if (!t.workflows.length) return `<h2>Pipelines</h2><p>No finished runs in the last ${t.days} days.</p>`;
  const rows = t.workflows
    .map(
      (w) =>
        `<tr><td>${e(w.workflow || "(unnamed)")}</td><td>${w.runs}</td><td>${pct(w.successRate)}</td><td>${human(w.duration.medianMs)}</td><td>${human(w.duration.p90Ms)}</td><td>${human(w.queue.medianMs)}</td><td>${human(w.queue.p90Ms)}</td></tr>`,
    )
    .join("");
  const charts = t.workflows
    .slice(0, 4)
    .map(
      (w) =>
        `<figure>${barChart(
          w.daily.map((d) => ({
            label: d.day.slice(5),
            value: d.p50Ms ?? 0,
            alert: 0,
            title: `${d.day}: ${d.runs} runs, ${d.failures} failed, median ${human(d.p50Ms)}`,
          })),
          { title: `${w.workflow || "(unnamed)"}: median duration per day`, format: human, height: 120 },
        )}<figcaption>${e(w.workflow || "(unnamed)")}: median duration per day</figcaption></figure>`,
    )
    .join("");
  const flaky = t.flaky
    .slice(0, 50)
    .map(
      (f) =>
        `<tr><td>${e(f.workflow)}</td><td>${e(f.job)}</td><td><code>${e(f.sha.slice(0, 12))}</code></td><td>${f.runs.map((r, i) => `<a href="/runs/${r}">#${r}</a> ${e(f.results[i]!)}`).join(", ")}</td></tr>`,
    )
    .join("");
  return `<h2>Pipelines <small>${t.runs} runs in ${t.days} days</small></h2>
<table><tr><th>Workflow</th><th>Runs</th><th>Success</th><th>p50</th><th>p90</th><th>Queue p50</th><th>Queue p90</th></tr>${rows}</table>
${charts}
<h3>Flaky jobs</h3>${flaky ? `<table><tr><th>Workflow</th><th>Job</th><th>Commit</th><th>Runs</th></tr>${flaky}</table>` : "<p>None: no job both failed and passed on one commit and ref.</p>"}`;
}

export function doraPage(
  repo: string,
  q: DoraQuery,
  report: DoraReport,
  trends: PipelineTrends,
  incidents: Incident[],
): string {
  const windows = WINDOWS.map((d) =>
    d === q.days ? `<strong>${d} days</strong>` : `<a href="${e(href({ ...q, days: d }))}">${d} days</a>`,
  ).join(" · ");
  const names = [...new Set(report.environments.map((f) => f.environment))];
  const envs = names.length
    ? ` | ${[
        q.env ? `<a href="${e(href({ days: q.days }))}">all</a>` : "<strong>all</strong>",
        ...names.map((n) =>
          n === q.env ? `<strong>${e(n)}</strong>` : `<a href="${e(href({ ...q, env: n }))}">${e(n)}</a>`,
        ),
      ].join(" · ")}`
    : "";
  const shown = report.environments.filter((f) => !q.env || f.environment === q.env);
  const open = incidents.filter((x) => x.closedAt === undefined);
  const openList = open.length
    ? `<h2>Open incidents</h2><table><tr><th>#</th><th>Environment</th><th>Reason</th><th>Opened</th></tr>${open
        .map(
          (x) =>
            `<tr><td>${x.id}</td><td>${e(x.environment)}</td><td>${e(x.reason)}</td><td>${when(x.openedAt)}</td></tr>`,
        )
        .join("")}</table>`
    : "";
  const body = `<h1>Delivery metrics · ${e(repo)}</h1>
<p class="windows">${windows}${envs}</p>
${shown.length ? shown.map(environment).join("\n") : `<p>No deployments or incidents recorded${q.env ? ` for ${e(q.env)}` : ""}.</p>`}
${openList}
${pipeline(trends)}
<p><small>Definitions: docs/metrics.md. The same figures: <a href="/api/dora?days=${q.days}">/api/dora</a>, <a href="/api/stats?days=${q.days}">/api/stats</a>, /metrics.</small></p>`;
  return page(`DORA · ${repo}`, body);
}

/** The page for a request's query (?days=7|30|90, ?env=NAME). */
export async function doraPageFor(m: MetricsService, repo: string, url: URL): Promise<string> {
  const days = windowDays(url.searchParams.get("days"));
  const env = url.searchParams.get("env") || undefined;
  const [report, trends, incidents] = await Promise.all([m.dora(days), m.trends(days), m.incidents()]);
  return doraPage(repo, { days, env }, report, trends, incidents);
}
