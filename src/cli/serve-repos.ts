// One repository of `slipway serve`, made the same way for the first and for every other
// (`--repo A --repo B`): its clone, queue, history (its SQLite file in its clone, or its key in
// the shared PostgreSQL), secret store, environments (approvals, deployments, their secrets),
// notifications hooks, DORA figures and badges, and a server handler of its own that the front
// handler (src/server/repos.ts) routes to. Shared by all: the agents, the masker, the users and
// the environments' rules of slipway-server.yml, the notifier, and the sign-ins.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { join } from "node:path";
import { cdApi } from "../cd/api.js";
import type { CdConfig } from "../cd/config.js";
import { Deployments } from "../cd/deployments.js";
import { EnvSecrets } from "../cd/env-secrets.js";
import type { Users } from "../cd/users.js";
import type { Db } from "../db/db.js";
import { openHistory } from "../db/open.js";
import { type MetricsParts, metricsParts } from "../metrics/server-parts.js";
import type { NotifyParts } from "../notify/server-parts.js";
import type { Masker } from "../run/mask.js";
import { agentApi } from "../server/agent-api.js";
import { Approvals } from "../server/approvals.js";
import type { LegQueue } from "../server/dispatch.js";
import type { ServerMetrics } from "../server/metrics.js";
import { Mirror, MirrorError } from "../server/mirror.js";
import { Poller } from "../server/poller.js";
import { RunQueue } from "../server/queue.js";
import { type Handler, type RepoContext, type RepoSource, repoName } from "../server/repos.js";
import { SecretStore } from "../server/secret-store.js";
import { openDbSecrets } from "../server/secrets-db-open.js";
import { type Counters, makeServer } from "../server/server.js";
import type { StatusTarget } from "../server/statuses.js";
import type { AccessOptions } from "../web/access.js";
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
  token?: string;
  readToken?: string;
  /** users:, groups: and environments: of slipway-server.yml: the same rules for every repository. */
  cdConfig: CdConfig;
  users: Users;
  approvalTimeoutMs: number;
  notify: NotifyParts;
  /** The dashboard's users and sign-in (the first repository makes the Access, the others share it). */
  access: AccessOptions;
  /** Several repositories are served: the first one's pushes name it OWNER/NAME too. */
  named?: boolean;
  /** Agents register with it, at the first repository's /api/agent/register. */
  registrationToken?: string;
  log: (t: string) => void;
}

/** What serve starts, stops and lists of one repository. */
export interface Repo extends RepoContext {
  server: Server;
  counters: Counters;
  delivery: MetricsParts;
  /** Its dashboard's sign-ins and page sending (the first's are every repository's). */
  web: ReturnType<typeof webRoutes>;
  /** A --repo clone's look for pushes (--poll, POST /api/poll). */
  poller?: Poller;
  /** Closes what start opened (after the queue stopped). */
  close: () => Promise<void>;
}

/** The server's own handler (makeServer's), to be called by the front handler. */
export const handlerOf = (s: Server) => s.listeners("request")[0] as Handler;

/**
 * A repository served at `root` (a clone when `mirror` is given). The first one (`later`
 * undefined) answers the paths without a prefix, takes the agents' registrations and makes
 * the dashboard's sign-in; a later one gets the first's, and its links carry /repos/NAME.
 */
export async function openRepo(
  repo: { name: string; root: string; mirror?: Mirror; webhookSecret?: string; cdConfig?: CdConfig },
  o: SharedParts,
  later?: { first: Repo },
): Promise<Repo> {
  const { name, root, mirror } = repo;
  // Its environments' rules: its own (repositories: - {url, environments:}) or the server's.
  const cdConfig = repo.cdConfig ?? o.cdConfig;
  const log = later ? (t: string) => o.log(`${name}: ${t}`) : o.log;
  const prefix = later ? `/repos/${name}` : "";
  // Its secrets and run folders (on PostgreSQL no history file makes the folder).
  mkdirSync(join(root, ".slipway"), { recursive: true });
  // On PostgreSQL in the database, shared by replicas (its cache gives the masker each value);
  // on SQLite in the clone's files.
  const dbSecrets = await openDbSecrets(root, o, log);
  const store = dbSecrets?.repository() ?? new SecretStore(join(root, ".slipway"), o.key);
  const envSecrets = new EnvSecrets(dbSecrets?.environments() ?? join(root, ".slipway"), o.key);
  for (const v of Object.values(store.values())) o.masker.add(v);
  for (const v of envSecrets.allValues()) o.masker.add(v);
  o.masker.add(repo.webhookSecret);
  const dispatchToken = randomBytes(24).toString("hex");
  o.masker.add(dispatchToken);
  const dispatch = {
    get url() {
      return o.dispatchUrl();
    },
    token: dispatchToken,
  };
  const notify = o.notify.forRepo(root, name, prefix);
  const cdDb: Db = (await openHistory(root, true, historyDatabase(o.db)))!;
  const approvals = new Approvals({
    db: cdDb,
    config: cdConfig,
    users: o.users,
    root,
    timeoutMs: o.approvalTimeoutMs,
    listener: notify.cdListener,
    log,
  });
  let queue: RunQueue | undefined;
  const deployments = new Deployments({
    db: cdDb,
    config: cdConfig,
    approvals,
    secrets: envSecrets,
    root,
    enqueue: (r) => (queue ? queue.add(r) : Promise.reject(new Error("the queue is not open"))),
    listener: notify.cdListener,
    log,
  });
  queue = new RunQueue({
    root,
    open: async () => (await openHistory(root, true, historyDatabase(o.db)))!,
    replicaTimeoutMs: o.replicaTimeoutMs,
    maxRuns: o.maxRuns,
    db: o.db,
    mirror,
    // The file is read again for each run; the store's values win.
    secrets: () => ({ ...secretValues({ "secret-file": o.secretFile }), ...store.values() }),
    runArgs: o.runArgs,
    dispatch,
    // A later repository's status links name its runs.
    statuses: o.statuses && {
      ...o.statuses,
      get publicUrl() {
        return o.statuses!.publicUrl;
      },
      ...(later ? { runsPath: `/api/repos/${name}/runs` } : {}),
    },
    onFinished: (result, seconds, q) => {
      o.metrics()?.runs.inc({ result });
      o.metrics()?.runSeconds.observe(seconds);
      deployments.runFinished(q, result).catch((e: Error) => log(`deployments: ${e.message}`));
      notify.runEnded(q);
    },
    log,
  });
  // A single repository's pushes name it as before (local/FOLDER); several name each OWNER/NAME.
  const poller = mirror && new Poller(mirror, queue, log, later || o.named ? name : undefined);
  const delivery = metricsParts(root, historyDatabase(o.db), { notifications: o.notify.notifier, name });
  const web = webRoutes({
    root,
    db: o.db,
    queue,
    dispatcher: o.dispatcher,
    masker: o.masker,
    dora: delivery.page,
    ...(later
      ? { sharedAccess: later.first.web.access }
      : {
          access: {
            ...o.access,
            // Users of slipway-server.yml (their tokens and roles): only when there are some (any
            // resolver makes the server one with sign-in).
            users: cdConfig.users.size ? (t: string) => o.users.userForToken(t) : undefined,
            userByName: (n: string) => {
              const u = o.users.get(n);
              return u && { name: u.name, role: u.role };
            },
            // Signed sessions: a restart keeps them, replicas (one SLIPWAY_SECRET_KEY) share them.
            key: o.key,
          },
        }),
    // The dispatch form's environment inputs offer the configured environments too.
    environments: () => [...cdConfig.environments.values()].map((r) => r.name),
    log,
  });
  const maskJson = (t: string) => o.masker.as((v) => JSON.stringify(v).slice(1, -1)).mask(o.masker.mask(t));
  let counters: Counters | undefined;
  const unauthorized = () => {
    if (counters) counters.unauthorized++;
  };
  const made = makeServer({
    root,
    db: o.db,
    webhookSecret: repo.webhookSecret,
    token: o.token,
    readToken: o.readToken,
    queue,
    masker: o.masker,
    dispatcher: o.dispatcher,
    secretStore: store,
    fetch: mirror && (() => mirror.fetch()),
    poll: poller && (() => poller.check()),
    environments: () => [...cdConfig.environments.values()].map((r) => r.name),
    // Users of slipway-server.yml with a token use the API as their role allows.
    user: cdConfig.users.size ? (t) => o.users.userForToken(t) : undefined,
    cd: cdApi({
      db: cdDb,
      config: cdConfig,
      users: o.users,
      approvals,
      deployments,
      secrets: envSecrets,
      root,
      masker: o.masker,
      readProtected: !!o.readToken,
      // As the server's own answers: indented, masked (a secret as JSON escapes it too).
      web: { access: web.access, sendPage: web.sendPage },
      json: (res: ServerResponse, status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
        res.end(`${maskJson(JSON.stringify(body, null, 2))}\n`);
      },
      unauthorized,
    }),
    // Its runs' calls (routed here by their dispatch token); agents register with the first.
    agentApi: agentApi({
      dispatcher: o.dispatcher,
      approvals,
      deployments,
      ...(later ? {} : { registrationToken: o.registrationToken }),
      dispatchToken,
      started: (id, run) => queue.started(id, run),
      groups: (id, asks, waitMs) => queue.groups(id, asks, waitMs),
      jobsWaiting: (id, waits) => queue.jobsWaiting(id, waits),
      maxWaitMs: 25_000,
      mask: (t) => o.masker.mask(t),
      unauthorized,
    }),
    maxBody: 25 * 1024 * 1024,
    metrics: async () => {
      const m = o.metrics()!;
      return { text: await m.text(), contentType: m.registry.contentType };
    },
    web,
    signedIn: (req: IncomingMessage) => (later ? later.first.web.signedIn(req) : false) || web.signedIn(req),
    metricsRoutes: delivery.routes,
    log,
  });
  counters = made.counters;
  return {
    name,
    root,
    db: o.db,
    queue,
    handle: handlerOf(made.server),
    dispatchToken,
    stopping: made.stopping,
    server: made.server,
    counters: made.counters,
    delivery,
    web,
    poller,
    close: async () => {
      await cdDb.close();
      await dbSecrets?.close();
    },
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
