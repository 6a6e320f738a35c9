// The metrics' pieces of `slipway serve`, made in one call so the server's files stay small:
// the API routes and badges, the DORA page, and the gauges for /metrics.
import { basename } from "node:path";
import type { Registry } from "prom-client";
import { Badges } from "./badges.js";
import { cdTables } from "./cd-source.js";
import { doraPageFor } from "./dora-page.js";
import { registerDora } from "./prometheus.js";
import { type ExtraRoutes, metricsRoutes } from "./routes.js";
import { historyAccess, MetricsService } from "./service.js";
import type { CdSource } from "./source.js";

export interface MetricsParts {
  service: MetricsService;
  routes: ExtraRoutes;
  page: (url: URL) => Promise<string>;
  /** Its DORA gauges, labelled `repository`: this one's name (several: registerDora with all). */
  register: (r: Registry) => void;
}

/**
 * For the repository served at `root`, its history in `dbUrl` (PostgreSQL) or its SQLite file;
 * `source`: the environments' deployments and incidents (default: the cd_ tables);
 * `notifications`: GET /api/notifications.
 */
export function metricsParts(
  root: string,
  dbUrl: string | undefined,
  o: { source?: CdSource; notifications?: { status(): unknown }; name?: string } = {},
): MetricsParts {
  const withDb = historyAccess(root, dbUrl);
  const service = new MetricsService({ root, withDb, source: o.source ?? cdTables(withDb) });
  return {
    service,
    routes: metricsRoutes(service, new Badges({ root, withDb }), o.notifications),
    page: (url) => doraPageFor(service, o.name ?? basename(root), url),
    register: (r) => registerDora(r, [{ repository: o.name ?? basename(root), service }]),
  };
}
