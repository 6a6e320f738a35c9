// GET /metrics in Prometheus' text format (prom-client, the de facto Node client): what an
// operator graphs and alerts on. Values are read at scrape time from the queue, the
// dispatcher and the request counters, so nothing is kept twice.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { LegQueue } from "./dispatch.js";
import type { RunQueue } from "./queue.js";

export interface MetricSources {
  /** The runs (several repositories: all of theirs). */
  queue: Pick<RunQueue, "list">;
  dispatcher?: LegQueue;
  /** Request counters of the server (webhooks refused, duplicates, ...). */
  requests: () => Record<string, number>;
  /** More gauges (the DORA figures, the notifications' counts). */
  register?: (r: Registry) => void;
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly runs: Counter<"result">;
  readonly runSeconds: Histogram;
  readonly jobs: Counter<"result">;
  readonly jobStartSeconds: Histogram;

  constructor(src: MetricSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: "slipway_" });
    this.runs = new Counter({
      name: "slipway_runs_total",
      help: "Runs finished, by result",
      labelNames: ["result"],
      registers: [r],
    });
    this.runSeconds = new Histogram({
      name: "slipway_run_duration_seconds",
      help: "How long runs took, start to end",
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [r],
    });
    this.jobs = new Counter({
      name: "slipway_jobs_total",
      help: "Jobs agents finished, by result",
      labelNames: ["result"],
      registers: [r],
    });
    this.jobStartSeconds = new Histogram({
      name: "slipway_job_start_delay_seconds",
      help: "From a job queued for agents to an agent starting it",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120],
      registers: [r],
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(read());
        },
      });
    gauge(
      "slipway_runs_queued",
      "Runs waiting to start",
      () => src.queue.list().filter((q) => q.state === "queued").length,
    );
    gauge(
      "slipway_runs_running",
      "Runs running",
      () => src.queue.list().filter((q) => q.state === "running").length,
    );
    gauge(
      "slipway_jobs_waiting",
      "Jobs waiting for an agent",
      () => src.dispatcher?.queue().filter((l) => l.state === "waiting").length ?? 0,
    );
    gauge(
      "slipway_jobs_running",
      "Jobs on an agent",
      () => src.dispatcher?.queue().filter((l) => l.state === "leased").length ?? 0,
    );
    gauge("slipway_agents", "Agents registered", () => src.dispatcher?.listAgents().length ?? 0);
    gauge(
      "slipway_agents_busy",
      "Agents running at least one job",
      () => src.dispatcher?.listAgents().filter((a) => a.leases.size > 0).length ?? 0,
    );
    const requests = new Gauge({
      name: "slipway_requests",
      help: "Requests by outcome since start (webhooks accepted, refused, duplicate; API unauthorized)",
      labelNames: ["outcome"],
      registers: [r],
      collect() {
        for (const [k, v] of Object.entries(src.requests())) this.set({ outcome: k }, v);
      },
    });
    void requests;
    const leases = new Gauge({
      name: "slipway_dispatch",
      help: "Dispatcher counts since start: jobs dispatched, re-queued after a lost lease, leases lost, late results refused",
      labelNames: ["what"],
      registers: [r],
      collect() {
        for (const [k, v] of Object.entries(src.dispatcher?.counts ?? {})) this.set({ what: k }, v);
      },
    });
    void leases;
    src.register?.(r);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
