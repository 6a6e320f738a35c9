// The notifications of `slipway serve`: the targets from slipway-server.yml, the notifier,
// the hook the run queue calls when a run ends (run failed / fixed), and the counts in /metrics.
import { Gauge, type Registry } from "prom-client";
import type { CdListener } from "../cd/events.js";
import { historyAccess } from "../metrics/service.js";
import { readGit } from "../plan/git.js";
import type { Queued } from "../server/queue.js";
import { fromCd } from "./cd-events.js";
import { readNotifications, type Target } from "./config.js";
import { Notifier } from "./notifier.js";
import { runEvents } from "./run-outcomes.js";

export interface NotifyParts {
  /** notify(event) for the approval and deployment events (events.ts builds them). */
  notifier: Notifier;
  /** The run queue's hook: a run ended (it returns at once; the work happens after). */
  runEnded: (q: Queued) => void;
  /**
   * The environments code's listener (approvals, deployments); none without targets. (With a
   * listener, src/cd/deployments.ts reads each deployment again on its shared connection, which
   * PostgreSQL's one connection does not take well in the middle of its other work: only when
   * someone listens.)
   */
  cdListener: CdListener | undefined;
  register: (r: Registry) => void;
}

export function notifyParts(o: {
  root: string;
  dbUrl: string | undefined;
  /** slipway-server.yml, when there is one. */
  configPath?: string;
  mask: (t: string) => string;
  /** Adds a value to mask (target URLs and secrets are secrets). */
  secret: (v: string) => void;
  publicUrl: () => string;
  log: (t: string) => void;
}): NotifyParts {
  const targets: Target[] = o.configPath ? readNotifications(o.configPath) : [];
  for (const t of targets) {
    o.secret(t.url);
    if (t.secret) o.secret(t.secret);
  }
  const notifier = new Notifier({ targets, log: o.log, mask: o.mask });
  const withDb = historyAccess(o.root, o.dbUrl);
  let repository: string | undefined;
  const served = () => {
    if (!repository) {
      const g = readGit(o.root);
      repository = g.ok ? g.facts.repository : "local";
    }
    return repository;
  };
  // A decision can be told twice (the reviewer's request and the run's wait settle it at
  // once): one message per approval request.
  const decided = new Set<string>();
  const cdListener: CdListener = (e) => {
    if (!notifier.targets) return;
    if (e.type === "approval-decided") {
      if (decided.has(e.id)) return;
      decided.add(e.id);
      if (decided.size > 1000) decided.delete(decided.values().next().value as string);
    }
    const n = fromCd(e, served(), o.publicUrl().replace(/\/+$/, ""));
    if (n) notifier.notify(n);
  };
  const runEnded = (q: Queued) => {
    if (!notifier.targets || q.run === undefined || q.state !== "done") return;
    const run = q.run;
    const named = (q.request.payload.repository as { full_name?: unknown } | undefined)?.full_name;
    const repo = typeof named === "string" ? named : served();
    const base = o.publicUrl().replace(/\/+$/, "");
    void withDb((db) =>
      runEvents(db, run, { repository: repo, ...(base ? { url: `${base}/runs/${run}` } : {}) }),
    )
      .then((events) => {
        for (const e of events) notifier.notify(e);
      })
      .catch((e: Error) => o.log(`notify: run #${run}: ${e.message}`));
  };
  const register = (r: Registry) => {
    new Gauge({
      name: "slipway_notifications",
      help: "Notifications since start: queued, delivered, retried, failed (given up), dropped (outbox full)",
      labelNames: ["outcome"],
      registers: [r],
      collect() {
        for (const [k, v] of Object.entries(notifier.counts)) this.set({ outcome: k }, v);
      },
    });
  };
  return { notifier, runEnded, cdListener: targets.length ? cdListener : undefined, register };
}
