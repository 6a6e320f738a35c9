// The notifications of `slipway serve`: the targets from slipway-server.yml, the notifier (its
// outbox in the history database), the hook the run queue calls when a run ends (run failed /
// fixed), and the counts in /metrics.
import { Gauge, type Registry } from "prom-client";
import type { CdListener } from "../cd/events.js";
import { openHistory } from "../db/open.js";
import { historyAccess } from "../metrics/service.js";
import { readGit } from "../plan/git.js";
import type { Queued } from "../server/queue.js";
import { fromCd } from "./cd-events.js";
import { readNotifications, type Target } from "./config.js";
import { Notifier } from "./notifier.js";
import { DbOutbox } from "./outbox-db.js";
import { runEvents } from "./run-outcomes.js";

/** One repository's hooks: its runs' ends and its environments' events. */
export interface RepoNotify {
  /** The run queue's hook: a run ended (it returns at once; the work happens after). */
  runEnded: (q: Queued) => void;
  /**
   * The environments code's listener (approvals, deployments); none without targets. (With a
   * listener, src/cd/deployments.ts reads each deployment again on its shared connection, which
   * PostgreSQL's one connection does not take well in the middle of its other work: only when
   * someone listens.)
   */
  cdListener: CdListener | undefined;
}

export interface NotifyParts {
  /** notify(event) for the approval and deployment events (events.ts builds them); one for all repositories. */
  notifier: Notifier;
  /**
   * The hooks of the repository at `root`: its events name it `name` (OWNER/NAME; default: its
   * git remote's), links under `pages` (default: the server's own, "").
   */
  forRepo: (root: string, name?: string, pages?: string) => RepoNotify;
  register: (r: Registry) => void;
}

export async function notifyParts(o: {
  dbUrl: string | undefined;
  /**
   * The first repository's root: its history database holds the server's one outbox (kept over
   * a restart; shared by the replicas of one PostgreSQL database).
   */
  root: string;
  /** slipway-server.yml, when there is one. */
  configPath?: string;
  mask: (t: string) => string;
  /** Adds a value to mask (target URLs and secrets are secrets). */
  secret: (v: string) => void;
  publicUrl: () => string;
  log: (t: string) => void;
}): Promise<NotifyParts> {
  const targets: Target[] = o.configPath ? readNotifications(o.configPath) : [];
  for (const t of targets) {
    o.secret(t.url);
    if (t.secret) o.secret(t.secret);
  }
  // A connection of its own (no targets: nothing to send, no connection).
  const store = targets.length
    ? new DbOutbox((await openHistory(o.root, true, o.dbUrl))!, o.mask)
    : undefined;
  const notifier = new Notifier({ targets, log: o.log, mask: o.mask, ...(store ? { store } : {}) });
  const register = (r: Registry) => {
    new Gauge({
      name: "slipway_notifications",
      help: "Notifications since start: queued, delivered, retried, failed (given up), dropped (outbox full, or its target gone from the configuration); and waiting now in the outbox",
      labelNames: ["outcome"],
      registers: [r],
      collect() {
        for (const [k, v] of Object.entries(notifier.counts)) this.set({ outcome: k }, v);
        this.set({ outcome: "waiting" }, notifier.status().counts.waiting);
      },
    });
  };
  const forRepo = (root: string, name?: string, pages = "") =>
    repoHooks({ ...o, root, name, pages, notifier, any: targets.length > 0 });
  return { notifier, forRepo, register };
}

function repoHooks(o: {
  root: string;
  name?: string;
  pages: string;
  dbUrl: string | undefined;
  notifier: Notifier;
  any: boolean;
  publicUrl: () => string;
  log: (t: string) => void;
}): RepoNotify {
  const notifier = o.notifier;
  const withDb = historyAccess(o.root, o.dbUrl);
  let repository: string | undefined = o.name;
  const served = () => {
    if (!repository) {
      const g = readGit(o.root);
      repository = g.ok ? g.facts.repository : "local";
    }
    return repository;
  };
  const site = () => `${o.publicUrl().replace(/\/+$/, "")}${o.pages}`;
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
    const n = fromCd(e, served(), site());
    if (n) notifier.notify(n);
  };
  const runEnded = (q: Queued) => {
    if (!notifier.targets || q.run === undefined || q.state !== "done") return;
    const run = q.run;
    const named = (q.request.payload.repository as { full_name?: unknown } | undefined)?.full_name;
    const repo = typeof named === "string" ? named : served();
    const base = o.publicUrl() ? site() : "";
    void withDb((db) =>
      runEvents(db, run, { repository: repo, ...(base ? { url: `${base}/runs/${run}` } : {}) }),
    )
      .then((events) => {
        for (const e of events) notifier.notify(e);
      })
      .catch((e: Error) => o.log(`notify: run #${run}: ${e.message}`));
  };
  return { runEnded, cdListener: o.any ? cdListener : undefined };
}
