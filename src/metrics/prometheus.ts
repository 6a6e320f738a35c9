// The DORA figures in GET /metrics: one gauge per figure, by environment and window (7, 30,
// 90 days), read at scrape time. The registry collects the gauges at once; they share the
// service's figures (computed once and kept 10 s), so a scrape computes them once.
import { Gauge, type Registry } from "prom-client";
import type { DoraFigures, Spread } from "./dora.js";
import type { MetricsService } from "./service.js";
import { WINDOWS } from "./service.js";

type Labels = { repository: string; environment: string; days: string };

/** Each served repository's figures, labelled with its name (OWNER/NAME). */
export interface Served {
  repository: string;
  service: MetricsService;
}

export function registerDora(r: Registry, served: Served[]): void {
  const gauge = (
    name: string,
    help: string,
    fill: (g: Gauge, f: DoraFigures, l: Labels) => void,
    quantiles = false,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: quantiles
        ? ["repository", "environment", "days", "quantile"]
        : ["repository", "environment", "days"],
      registers: [r],
      async collect() {
        const reports = await Promise.all(
          served.flatMap((s) =>
            WINDOWS.map(async (d) => ({ repository: s.repository, rep: await s.service.dora(d) })),
          ),
        );
        this.reset();
        for (const { repository, rep } of reports)
          for (const f of rep.environments)
            fill(this, f, { repository, environment: f.environment, days: String(rep.days) });
      },
    });
  const quantiles = (g: Gauge, s: Spread, l: Labels) => {
    if (s.medianMs !== null) g.set({ ...l, quantile: "0.5" }, s.medianMs / 1000);
    if (s.p90Ms !== null) g.set({ ...l, quantile: "0.9" }, s.p90Ms / 1000);
  };
  gauge("slipway_dora_deployments", "Successful deployments in the window", (g, f, l) =>
    g.set(l, f.frequency.deployments),
  );
  gauge("slipway_dora_deployments_per_day", "Successful deployments per day over the window", (g, f, l) =>
    g.set(l, f.frequency.perDay),
  );
  gauge(
    "slipway_dora_lead_time_seconds",
    "Lead time for changes: from each commit to the first deployment containing it",
    (g, f, l) => quantiles(g, f.leadTime, l),
    true,
  );
  gauge("slipway_dora_change_failure_rate", "Failed deployments / deployments in the window", (g, f, l) => {
    if (f.changeFailure.rate !== null) g.set(l, f.changeFailure.rate);
  });
  gauge(
    "slipway_dora_time_to_restore_seconds",
    "From a failure to the next successful deployment (or the incident's close)",
    (g, f, l) => quantiles(g, f.restore, l),
    true,
  );
  gauge("slipway_dora_failures_open", "Failures started in the window and not restored yet", (g, f, l) =>
    g.set(l, f.restore.open),
  );
}
