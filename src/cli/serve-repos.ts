// `slipway serve` with several repositories: the second and later ones, each with its own clone,
// queue, history (its SQLite file in its clone, or its key in the shared PostgreSQL), secret
// store, schedules and poller, and a server handler of its own that the front handler
// (src/server/repos.ts) routes to. The first repository is served as a single one is.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openHistory } from "../db/open.js";
import type { Masker } from "../run/mask.js";
import { agentApi } from "../server/agent-api.js";
import type { LegQueue } from "../server/dispatch.js";
import type { ServerMetrics } from "../server/metrics.js";
import { Mirror, MirrorError } from "../server/mirror.js";
import { RunQueue } from "../server/queue.js";
import { type Handler, type RepoContext, type RepoSource, repoName } from "../server/repos.js";
import { SecretStore } from "../server/secret-store.js";
import { makeServer } from "../server/server.js";
import type { StatusTarget } from "../server/statuses.js";
import type { Access } from "../web/access.js";
import { webRoutes } from "../web/routes.js";
import { historyDatabase, secretValues, UsageError } from "./common.js";

export interface SharedParts {
  db?: string;
  key: Buffer;
  masker: Masker;
  dispatcher: LegQueue;
  /** The built-in dispatch API's address (set once listening). */
  dispatchUrl: () => string;
  secretFile?: string;
  runArgs: string[];
  maxRuns: number;
  replicaTimeoutMs: number;
  statuses?: StatusTarget;
  metrics: () => ServerMetrics | undefined;
  webhookSecret?: string;
  token?: string;
  readToken?: string;
  /** The first repository's dashboard sign-ins: one sign-in serves every repository's pages. */
  access: Access;
  signedIn: (req: import("node:http").IncomingMessage) => boolean;
  unauthorized: () => void;
  log: (t: string) => void;
}

/** The server's own handler (makeServer's), to be called by the front handler. */
export const handlerOf = (s: import("node:http").Server) => s.listeners("request")[0] as Handler;

/** A repository besides the first: its context, and its queue to start and stop. */
export function openRepo(name: string, mirror: Mirror, o: SharedParts): RepoContext {
  const root = mirror.root;
  const log = (t: string) => o.log(`${name}: ${t}`);
  // Its secrets and run folders (on PostgreSQL no history file makes the folder).
  mkdirSync(join(root, ".slipway"), { recursive: true });
  const store = new SecretStore(join(root, ".slipway"), o.key);
  for (const v of Object.values(store.values())) o.masker.add(v);
  const dispatchToken = randomBytes(24).toString("hex");
  o.masker.add(dispatchToken);
  const dispatch = {
    get url() {
      return o.dispatchUrl();
    },
    token: dispatchToken,
  };
  const queue = new RunQueue({
    root,
    open: async () => (await openHistory(root, true, historyDatabase(o.db)))!,
    replicaTimeoutMs: o.replicaTimeoutMs,
    maxRuns: o.maxRuns,
    db: o.db,
    mirror,
    secrets: () => ({ ...secretValues({ "secret-file": o.secretFile }), ...store.values() }),
    runArgs: o.runArgs,
    dispatch,
    // Their links name this repository's runs.
    statuses: o.statuses && {
      ...o.statuses,
      get publicUrl() {
        return o.statuses!.publicUrl;
      },
      runsPath: `/api/repos/${name}/runs`,
    },
    onFinished: (result, seconds) => {
      o.metrics()?.runs.inc({ result });
      o.metrics()?.runSeconds.observe(seconds);
    },
    log,
  });
  const web = webRoutes({
    root,
    db: o.db,
    queue,
    dispatcher: o.dispatcher,
    masker: o.masker,
    sharedAccess: o.access,
    log,
  });
  const made = makeServer({
    root,
    db: o.db,
    webhookSecret: o.webhookSecret,
    token: o.token,
    readToken: o.readToken,
    queue,
    masker: o.masker,
    dispatcher: o.dispatcher,
    secretStore: store,
    fetch: () => mirror.fetch(),
    // Its runs' calls: legs go to the shared agents; approvals and deployments are the first
    // repository's only (a job here that asks for one is refused).
    agentApi: agentApi({
      dispatcher: o.dispatcher,
      dispatchToken,
      started: (id, run) => queue.started(id, run),
      groups: (id, asks, waitMs) => queue.groups(id, asks, waitMs),
      jobsWaiting: (id, waits) => queue.jobsWaiting(id, waits),
      maxWaitMs: 25_000,
      mask: (t) => o.masker.mask(t),
      unauthorized: o.unauthorized,
    }),
    maxBody: 25 * 1024 * 1024,
    metrics: async () => {
      const m = o.metrics()!;
      return { text: await m.text(), contentType: m.registry.contentType };
    },
    web,
    signedIn: (req) => o.signedIn(req) || web.signedIn(req),
    log,
  });
  return {
    name,
    root,
    db: o.db,
    queue,
    handle: handlerOf(made.server),
    dispatchToken,
    stopping: made.stopping,
  };
}

/** --repo (repeated, or one from the environment or the file), then the file's repositories:. */
export function repoSources(flag: string[] | string | undefined, config: RepoSource[]): RepoSource[] {
  const flags = flag === undefined ? [] : Array.isArray(flag) ? flag : [flag];
  return [...flags.map((source) => ({ source })), ...config];
}

/** Each repository's clone (made the first time), named OWNER/NAME; two with one name are refused. */
export function openMirrors(sources: RepoSource[], data: string): { name: string; mirror: Mirror }[] {
  const out = sources.map((s) => ({
    name: s.name ?? repoName(s.source),
    mirror: new Mirror(s.source, data),
  }));
  for (const [i, a] of out.entries())
    for (const b of out.slice(0, i)) {
      if (a.name.toLowerCase() === b.name.toLowerCase())
        throw new UsageError(
          `--repo: two repositories are named ${a.name} (give one a name in repositories:)`,
        );
      if (a.mirror.root === b.mirror.root)
        throw new UsageError(
          `--repo: ${b.mirror.source} and ${a.mirror.source} would share the clone ${a.mirror.root} (their last names are the same)`,
        );
    }
  for (const { mirror } of out)
    try {
      mirror.open();
    } catch (e) {
      if (e instanceof MirrorError) throw new UsageError(e.message);
      throw e;
    }
  return out;
}
