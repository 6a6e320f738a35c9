import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CD_SECTIONS, CdConfigError, durationMs, forRepository, readCdConfig } from "../cd/config.js";
import { setUsers, Users } from "../cd/users.js";
import { openHistory } from "../db/open.js";
import { pruneRuns } from "../db/prune.js";
import { registerDora } from "../metrics/prometheus.js";
import { NotifyConfigError } from "../notify/config.js";
import { type NotifyParts, notifyParts } from "../notify/server-parts.js";
import { readGit } from "../plan/git.js";
import { Masker } from "../run/mask.js";
import { type OptionKind, readServerConfig, ServerConfigError, withDefaults } from "../server/config.js";
import { Dispatcher, type LegQueue } from "../server/dispatch.js";
import { LegsDb } from "../server/legs-db.js";
import { ServerMetrics } from "../server/metrics.js";
import type { RunQueue } from "../server/queue.js";
import { frontHandler, type RepoSource, readRepositories } from "../server/repos.js";
import { ScheduleState, schedulesAt } from "../server/schedules.js";
import { SecretKeyError, secretKey } from "../server/secret-store.js";
import { hashPassword, PasswordFileError, type PasswordUser, readPasswordFile } from "../web/auth.js";
import {
  EXIT,
  fail,
  historyDatabase,
  parse,
  positiveInt,
  readHistory,
  repoRootOf,
  secretValues,
  UsageError,
} from "./common.js";
import { handlerOf, openMirrors, openRepo, type Repo, repoSources, type SharedParts } from "./serve-repos.js";

const HELP = `usage: slipway serve [options]

Serves a repository over HTTP: GitHub webhooks start runs (the same runs as 'slipway run', up
to --max-runs at once, started in arrival order), their jobs run on agents ('slipway agent', here or on other
machines), the API and a page list them, and their events stream live.

  -C, --directory DIR      the repository (default: .)
      --config FILE        options from this file (default: slipway-server.yml when there is one)
      --repo URL|PATH      serve this repository instead: cloned into --data, fetched before each
                           run and checked out at its commit (the commit's workflows run). Again
                           (or repositories: in the file) serves several: each has its own clone,
                           queue, history, secrets, schedules, deployments and approvals, DORA
                           figures and badges, and may have its own webhook secret and
                           environments' rules (repositories: - {url, webhook-secret-env: VAR,
                           environments: {...}}); the users and the agents are shared; its
                           API is /api/repos/OWNER/NAME/..., its pages /repos/OWNER/NAME/..., its
                           webhooks /webhooks/github/OWNER/NAME or /webhooks/github (routed by
                           the payload's repository; one not served: 404); / and GET /api/repos
                           list all of them, each with its latest run.
                           OWNER/NAME: the last two parts of the URL or path, without .git
      --data DIR           where --repo is cloned (default: .slipway-server)
      --poll SECONDS       fetch --repo every SECONDS and run pushes for the branches and tags
                           that moved (for repositories that send no webhooks); POST /api/poll
                           (admin token) does it at once: a bare repository's post-receive hook
      --host HOST          address to listen on (default: 127.0.0.1)
      --port N             port (default: 8080; 0: any free port, printed)
      --db URL             run history in PostgreSQL (default: .slipway/slipway.db); servers on
                           one PostgreSQL database are replicas: they share the queue, the
                           agents and their jobs (agents: --server URL,URL; one key:
                           SLIPWAY_SECRET_KEY), the runs' logs and the secrets; replicas on
                           several machines (each its own clone) also share one
                           SLIPWAY_HISTORY_REPO
      --webhook-secret S   GitHub webhook secret (or SLIPWAY_WEBHOOK_SECRET); without one,
                           webhooks are refused
      --token T            the admin bearer token: POST /api/runs, cancel, rerun, secrets (or
                           SLIPWAY_SERVER_TOKEN); without one, those are refused
      --read-token T       a read-only token: when set, GET /api/* and /metrics need it (or the
                           admin token), and the dashboard needs a sign-in; without one, reading
                           the API and the dashboard is open
      --password-file FILE dashboard users who sign in with a password: NAME:ROLE:HASH a line
                           (ROLE admin, reviewer or read), or a hash alone (user "admin")
      --hash-password      read a password from stdin, print its hash for --password-file, exit
      --secure-cookies     the dashboard's cookies are Secure even without x-forwarded-proto:
                           https (set it behind a TLS proxy that does not send the header)
  -s, --secret-file FILE   secrets for the runs (masked in every output and API answer); also
                           PUT /api/secrets/NAME {"value": ...} (bearer --token): kept encrypted
                           (AES-256-GCM) in .slipway/server-secrets.json (with --db: in the
                           database, that file imported once), the key from
                           SLIPWAY_SECRET_KEY (64 hex digits) or .slipway/server-secret.key (0600)
      --agents N           built-in agents on this machine (default: 1; 0: only agents that
                           register themselves)
      --agent-token T      the token agents register with (or SLIPWAY_AGENT_TOKEN); without
                           one, only the built-in agents can (with a token made at start)
      --max-runs N         runs at once (default: 4); their jobs still wait for a free agent
      --lease-seconds N    a job whose agent sends nothing for this long is queued again once,
                           then failed (default: 30)
      --replica-timeout N  a run whose server sent no heartbeat for N seconds is cancelled and
                           run again once by another server on the same database (default: 30)
      --no-sandbox, --host-executor   built-in agents run jobs on the host
      --no-schedules       do not run the workflows' on: schedule (default: run them, from the
                           default branch; ticks missed while stopped run once at start)
      --status-token T     post commit statuses (pending, then the result, linked to the run) with
                           this token (or SLIPWAY_STATUS_TOKEN)
      --status-api URL     the forge's API (default: https://api.github.com; Gitea and Forgejo:
                           https://host/api/v1)
      --public-url URL     where status links point (default: the address listened on); the
                           dashboard's forms posted from there are accepted as its own
      --approval-timeout D a deployment nobody approves fails after D (default: 30d; 90s, 15m, 2h)
      --retention-days N   runs that ended more than N days ago are deleted, with their logs and
                           folders (at start, then hourly; the newest 10 stay; deployments are
                           kept); default: kept for ever (slipway history prune does it by hand)

Endpoints: POST /webhooks/github (push, pull_request, ping), POST /api/runs {event, ref,
workflow, inputs} (a dispatch's inputs checked against the workflow's; 422), GET /api/runs, GET /api/runs/N, GET /api/runs/N/events (Server-Sent Events; resume
with Last-Event-ID), GET /api/queue/N ({state, run, waiting, jobsWaiting}: what a 202
answer's "poll" names; "run" is set as soon as the run has its number), POST
/api/queue/N/cancel, POST /api/queue/N/rerun (?jobs=all: every job runs again; default: jobs
that succeeded are reused, the failed ones run again), GET /metrics (Prometheus), GET
/api/agents (agents, and the jobs waiting with why), DELETE /api/agents/ID (removes an agent:
'slipway agent remove'), GET / (the runs page); /api/agent/* for agents. Deployments: GET /api/approvals, POST /api/approvals/ID {decision: approve|reject,
comment}, GET /api/environments[/NAME[/diff?from=&to=]], POST /api/environments/NAME/rollback
{to?}, PUT|DELETE /api/environments/NAME/secrets/X; pages /environments, /environments/NAME,
/approvals. Protection rules, users and groups: the users:, groups: and environments: sections
of slipway-server.yml.
Delivery metrics: GET /dora (the page), GET /api/dora?env=E&days=7|30|90, GET /api/stats?days=N,
GET /api/incidents, POST /api/incidents {environment, reason} and POST /api/incidents/ID/close
{rootCauseSha} (admin); badges: /badges/<workflow>.svg?branch=B, /badges/coverage.svg,
/badges/score.svg; GET /api/notifications.

The dashboard (GET /, /workflows, /queue, /runs/N): sign in at /signin with the admin token, the
read token or a --password-file user. Admins may cancel, re-run and dispatch runs there; readers
only look. A server with no --token, --read-token or --password-file keeps its pages open and
lets only a browser on this machine (loopback) use the buttons.

Every option can also be set in slipway-server.yml (in the current folder, or --config FILE /
SLIPWAY_SERVE_CONFIG; keys are the options' names, e.g. "lease-seconds: 30") or as an
environment variable SLIPWAY_SERVE_<NAME> (SLIPWAY_SERVE_LEASE_SECONDS=30); a flag wins over
the variable, the variable over the file. Its 'notifications:' list sends run failed / fixed,
approval needed / given, deployment done / rolled back to Slack incoming webhooks or to
HMAC-signed JSON webhooks, per repository and environment (docs/metrics.md).

SIGTERM or Ctrl-C stops: no new requests, the running runs cancelled and saved as cancelled;
queued runs stay in the queue for the next start, and notifications waiting to be sent in
their outbox (the history database; replicas share it).`;

const OPTIONS = {
  directory: { type: "string", short: "C" },
  repo: { type: "string", multiple: true },
  data: { type: "string" },
  poll: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  db: { type: "string" },
  "webhook-secret": { type: "string" },
  token: { type: "string" },
  "read-token": { type: "string" },
  "password-file": { type: "string" },
  "secure-cookies": { type: "boolean" },
  "secret-file": { type: "string", short: "s" },
  "no-sandbox": { type: "boolean" },
  "host-executor": { type: "boolean" },
  agents: { type: "string" },
  "agent-token": { type: "string" },
  "max-runs": { type: "string" },
  "lease-seconds": { type: "string" },
  "replica-timeout": { type: "string" },
  "status-token": { type: "string" },
  "no-schedules": { type: "boolean" },
  "status-api": { type: "string" },
  "public-url": { type: "string" },
  "approval-timeout": { type: "string" },
  "retention-days": { type: "string" },
} as const;

/** What the config file and the environment may set: every option. */
const KINDS = Object.fromEntries(Object.entries(OPTIONS).map(([k, v]) => [k, v.type])) as Record<
  string,
  OptionKind
>;

export async function main(args: string[]): Promise<number> {
  try {
    const parsed = parse(() =>
      parseArgs({
        args,
        options: {
          ...OPTIONS,
          config: { type: "string" },
          "hash-password": { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (parsed.values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    if (parsed.values["hash-password"]) return await printPasswordHash();
    // slipway-server.yml (or --config / SLIPWAY_SERVE_CONFIG), then SLIPWAY_SERVE_* variables.
    const configPath =
      parsed.values.config ??
      process.env.SLIPWAY_SERVE_CONFIG ??
      (existsSync("slipway-server.yml") ? "slipway-server.yml" : undefined);
    let file: Record<string, string | boolean> = {};
    let configRepos: RepoSource[] = [];
    let cdConfig: ReturnType<typeof readCdConfig>;
    try {
      if (configPath) {
        file = readServerConfig(configPath, KINDS, [...CD_SECTIONS, "notifications", "repositories"]);
        configRepos = readRepositories(configPath, readFileSync(configPath, "utf8"));
      }
      // users, groups, environments: src/cd/config.ts.
      cdConfig = readCdConfig(configPath);
    } catch (e) {
      if (e instanceof ServerConfigError || e instanceof CdConfigError) throw new UsageError(e.message);
      throw e;
    }
    const values = withDefaults(parsed.values, KINDS, file);
    const approvalTimeout = durationMs(values["approval-timeout"] ?? "30d");
    if (approvalTimeout === undefined || approvalTimeout < 1000)
      throw new UsageError(
        `--approval-timeout expects a duration such as 30d, 2h or 90s, got '${values["approval-timeout"]}'`,
      );

    const port = Number(values.port ?? 8080);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port expects a number from 0 to 65535, got '${values.port}'`);
    const host = values.host ?? "127.0.0.1";
    historyDatabase(values.db);
    // --repo A --repo B (or SLIPWAY_SERVE_REPO, repo: in the file), then repositories: of the file.
    const sources = repoSources(values.repo, configRepos);
    if (sources.length && values.directory) throw new UsageError("-C and --repo: serve one repository");
    if (values.poll && !sources.length) throw new UsageError("--poll needs --repo (the repository to fetch)");
    const pollSeconds = positiveInt(values.poll, "--poll");
    const mirrors = openMirrors(sources, resolve(values.data ?? ".slipway-server"));
    const mirror = mirrors[0]?.mirror;
    const root = mirror?.root ?? repoRootOf(values.directory);
    const secretFile = values["secret-file"] ? resolve(values["secret-file"]) : undefined;
    // Read now, so a bad file is a usage error at start and the values mask the server's output.
    const secrets = secretValues({ "secret-file": secretFile });
    const webhookSecret = values["webhook-secret"] ?? process.env.SLIPWAY_WEBHOOK_SECRET;
    const token = values.token ?? process.env.SLIPWAY_SERVER_TOKEN;
    const masker = new Masker();
    for (const v of Object.values(secrets)) masker.add(v);
    masker.add(webhookSecret);
    masker.add(token);
    masker.add(values["read-token"]);
    let passwords: Map<string, PasswordUser> | undefined;
    try {
      if (values["password-file"]) passwords = readPasswordFile(values["password-file"]);
    } catch (e) {
      if (e instanceof PasswordFileError) throw new UsageError(e.message);
      throw e;
    }
    const log = (t: string) => console.log(`${new Date().toISOString()} ${t}`);
    const agents = values.agents === "0" ? 0 : (positiveInt(values.agents, "--agents") ?? 1);
    const leaseSeconds = positiveInt(values["lease-seconds"], "--lease-seconds") ?? 30;
    // Built-in agents need a token even when no outside agent may register.
    const agentToken =
      values["agent-token"] ??
      process.env.SLIPWAY_AGENT_TOKEN ??
      (agents ? randomBytes(24).toString("hex") : undefined);
    masker.add(agentToken);
    let metrics: ServerMetrics | undefined;
    let key: Buffer;
    try {
      key = secretKey(join(root, ".slipway"));
    } catch (e) {
      if (e instanceof SecretKeyError) throw new UsageError(e.message);
      throw e;
    }
    const legOptions = {
      leaseMs: leaseSeconds * 1000,
      retries: 1,
      log,
      onStart: (ms: number) => metrics?.jobStartSeconds.observe(ms / 1000),
      onDone: (result: string) => metrics?.jobs.inc({ result }),
    };
    // PostgreSQL: the legs and agents are rows every replica shares (legs-db.ts); else in memory.
    const dbUrl = historyDatabase(values.db);
    const legsDb = dbUrl
      ? new LegsDb({
          ...legOptions,
          // A few connections: each runs one query at a time, and agents and runs ask at once.
          db: await Promise.all([1, 2, 3, 4].map(async () => (await openHistory(root, true, dbUrl))!)),
          listenUrl: dbUrl,
          key,
        })
      : undefined;
    await legsDb?.start();
    const dispatcher: LegQueue = legsDb ?? new Dispatcher(legOptions);
    const dispatch = { url: "" };
    const statusToken = values["status-token"] ?? process.env.SLIPWAY_STATUS_TOKEN;
    masker.add(statusToken);
    for (const [flag, v] of [
      ["--status-api", values["status-api"]],
      ["--public-url", values["public-url"]],
    ] as const)
      if (v !== undefined && !/^https?:\/\/[^\s]+$/.test(v))
        throw new UsageError(`${flag} expects an http(s) URL, got '${v}'`);
    const statuses = statusToken
      ? { api: values["status-api"] ?? "https://api.github.com", token: statusToken, publicUrl: "", log }
      : undefined;
    const users = new Users(cdConfig, { admin: token, read: values["read-token"] });
    setUsers(users);
    let publicUrl = values["public-url"] ?? "";
    let notify: NotifyParts;
    try {
      notify = await notifyParts({
        dbUrl: historyDatabase(values.db),
        root,
        configPath,
        mask: (t) => masker.mask(t),
        secret: (v) => masker.add(v),
        publicUrl: () => publicUrl,
        log,
      });
    } catch (e) {
      throw e instanceof NotifyConfigError ? new UsageError(e.message) : e;
    }
    const replicaSeconds = positiveInt(values["replica-timeout"], "--replica-timeout") ?? 30;
    const shared: SharedParts = {
      db: values.db,
      key,
      masker,
      dispatcher,
      dispatchUrl: () => dispatch.url,
      secretFile,
      runArgs: values["no-sandbox"] || values["host-executor"] ? ["--no-sandbox"] : [],
      maxRuns: positiveInt(values["max-runs"], "--max-runs") ?? 4,
      replicaTimeoutMs: replicaSeconds * 1000,
      statuses,
      metrics: () => metrics,
      token,
      readToken: values["read-token"],
      cdConfig,
      users,
      approvalTimeoutMs: approvalTimeout,
      notify,
      access: {
        token,
        readToken: values["read-token"],
        passwords,
        secureCookies: !!values["secure-cookies"],
        publicUrl: values["public-url"],
      },
      registrationToken: agentToken,
      named: mirrors.length > 1,
      log,
    };
    // Each repository's parts (serve-repos.ts): the first answers the paths without a prefix.
    const firstName = mirrors[0]?.name ?? servedName(root);
    const repos: Repo[] = [];
    try {
      repos.push(
        await openRepo(
          {
            name: firstName,
            root,
            mirror,
            webhookSecret: sources[0]?.webhookSecret ?? webhookSecret,
            cdConfig: forRepository(cdConfig, sources[0]?.index),
          },
          shared,
        ),
      );
      for (const [i, m] of mirrors.slice(1).entries())
        repos.push(
          await openRepo(
            {
              name: m.name,
              root: m.mirror.root,
              mirror: m.mirror,
              webhookSecret: sources[i + 1]?.webhookSecret ?? webhookSecret,
              cdConfig: forRepository(cdConfig, sources[i + 1]?.index),
            },
            shared,
            { first: repos[0]! },
          ),
        );
    } catch (e) {
      await Promise.all(repos.map((r) => r.close()));
      // Its connections too, or the process would not end.
      legsDb?.close();
      if (e instanceof SecretKeyError) throw new UsageError(e.message);
      throw e;
    }
    const [head, ...others] = repos as [Repo, ...Repo[]];
    const { server, queue } = head;
    const counters = head.counters;
    metrics = new ServerMetrics({
      // Every repository's runs and requests.
      queue: { list: () => repos.flatMap((r) => r.queue.list()) },
      dispatcher,
      requests: () => {
        const sum: Record<string, number> = {};
        for (const r of repos)
          for (const [k, v] of Object.entries(r.counters)) sum[k] = (sum[k] ?? 0) + (v as number);
        return sum;
      },
      register: (r) => {
        registerDora(
          r,
          repos.map((x) => ({ repository: x.name, service: x.delivery.service })),
        );
        notify.register(r);
      },
    });
    // Several repositories: the front handler routes to each one's own (repos.ts).
    if (others.length) {
      const tally = counters as typeof counters & { unknownRepository: number };
      tally.unknownRepository = 0;
      const front = frontHandler({
        repos,
        webhookSecret,
        maxBody: 25 * 1024 * 1024,
        unknown: () => {
          tally.unknownRepository++;
        },
        refused: () => {
          counters.refused++;
        },
        unauthorized: () => {
          counters.unauthorized++;
        },
        web: head.web,
      });
      server.removeAllListeners("request");
      server.on("request", front);
    }
    // The port is taken first: the runs the queues start at once (left by a server that died)
    // call this server's address. Requests wait until the queues are open.
    const handle = handlerOf(server);
    let open = () => {};
    const ready = new Promise<void>((ok) => {
      open = ok;
    });
    server.removeAllListeners("request");
    server.on("request", (req, res) => void ready.then(() => handle(req, res)));
    try {
      await new Promise<void>((ok, ko) => {
        server.once("error", ko);
        server.listen(port, host, () => ok());
      });
    } catch (e) {
      for (const r of repos) await r.close();
      throw e;
    }
    const addr = server.address();
    const shown = typeof addr === "object" && addr ? addr.port : port;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${shown}`;
    dispatch.url = url;
    for (const r of repos) await r.queue.start();
    open();
    publicUrl ||= url;
    if (statuses) statuses.publicUrl = values["public-url"] ?? url;
    console.log(`listening on ${url}`);
    const scheduler = values["no-schedules"] ? undefined : startSchedules(root, queue, log);
    const poller = pollSeconds ? head.poller?.every(pollSeconds) : undefined;
    const timers = others.flatMap((o) => [
      values["no-schedules"] ? undefined : startSchedules(o.root, o.queue, (t) => log(`${o.name}: ${t}`)),
      pollSeconds ? o.poller?.every(pollSeconds) : undefined,
    ]);
    const retention = positiveInt(values["retention-days"], "--retention-days");
    const pruners = retention ? repos.map((r) => startRetention(r, retention, log)) : [];
    const builtIn = startAgents(
      agents,
      url,
      agentToken ?? "",
      !!(values["no-sandbox"] || values["host-executor"]),
      log,
    );
    if (!webhookSecret && sources.every((x) => !x.webhookSecret))
      log("no webhook secret (--webhook-secret or SLIPWAY_WEBHOOK_SECRET): webhooks are refused");
    return await new Promise<number>((done) => {
      let stopping = false;
      const stop = (sig: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        log(`${sig}: stopping`);
        for (const r of repos) r.stopping?.();
        if (scheduler) clearInterval(scheduler);
        if (poller) clearInterval(poller);
        for (const t of timers) if (t) clearInterval(t);
        for (const t of pruners) clearInterval(t);
        void Promise.all([queue.stop(), ...others.map((o) => o.queue.stop())]).then(async () => {
          await notify.notifier.close();
          await stopAgents(builtIn);
          dispatcher.close();
          for (const r of repos) await r.close();
          server.close();
          server.closeAllConnections();
          done(EXIT.ok);
        });
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE" || (e as NodeJS.ErrnoException).code === "EACCES")
      return fail(new UsageError(`cannot listen: ${(e as Error).message}`), "serve");
    return fail(e, "serve");
  }
}

/** --retention-days: the repository's runs older than that deleted now and every hour. */
function startRetention(r: Repo, days: number, log: (t: string) => void): NodeJS.Timeout {
  const prune = () =>
    readHistory(r.root, r.db, (db) =>
      db ? pruneRuns(db, r.root, Date.now() - days * 86_400_000, 10) : Promise.resolve([]),
    )
      .then((gone) => {
        if (gone.length)
          log(`${r.name}: retention: deleted ${gone.length} run(s) that ended over ${days} day(s) ago`);
      })
      .catch((e: Error) => log(`${r.name}: retention: ${e.message}`));
  void prune();
  const timer = setInterval(() => void prune(), 3_600_000);
  timer.unref();
  return timer;
}

/** OWNER/NAME of a served working repository: its remote's, else local/FOLDER. */
function servedName(root: string): string {
  const g = readGit(root);
  return g.ok ? g.facts.repository : `local/${basename(root)}`;
}

/** The built-in agents: `slipway agent` processes of this Slipway, on this machine. */
function startAgents(
  n: number,
  url: string,
  token: string,
  noSandbox: boolean,
  log: (t: string) => void,
): ChildProcess[] {
  const out: ChildProcess[] = [];
  for (let i = 1; i <= n; i++) {
    const args = [process.argv[1] as string, "agent", "--server", url, "--name", `built-in-${i}`];
    if (noSandbox) args.push("--no-sandbox");
    const child = spawn(process.execPath, args, {
      env: { ...process.env, SLIPWAY_AGENT_TOKEN: token, SLIPWAY_AGENT_WATCH_STDIN: "1" },
      // stdin: a pipe the agent watches; it closes when this server ends, even by kill -9.
      stdio: ["pipe", "pipe", "pipe"],
    });
    const say = (d: Buffer) => {
      for (const line of d.toString().split("\n"))
        if (line.trim()) log(`built-in-${i}: ${line.replace(/^\S+Z /, "")}`);
    };
    child.stdout?.on("data", say);
    child.stderr?.on("data", say);
    out.push(child);
  }
  return out;
}

function stopAgents(agents: ChildProcess[]): Promise<void> {
  return Promise.all(
    agents.map(
      (a) =>
        new Promise<void>((resolve) => {
          if (a.exitCode !== null || a.signalCode !== null) return resolve();
          a.once("exit", () => resolve());
          a.kill("SIGTERM");
          setTimeout(() => a.kill("SIGKILL"), 10_000).unref();
        }),
    ),
  ).then(() => {});
}

/** Checks the default branch's schedules now and every 20 s; due ones are queued. */
export function startSchedules(
  root: string,
  queue: RunQueue,
  log: (t: string) => void,
): NodeJS.Timeout | undefined {
  const g = readGit(root);
  if (!g.ok) return undefined;
  const branch = g.facts.defaultBranch;
  const state = new ScheduleState(root);
  const said = new Set<string>();
  const check = () => {
    const { schedules, errors } = schedulesAt(root, `refs/heads/${branch}`);
    for (const e of errors.filter((x) => !said.has(x))) {
      said.add(e);
      log(e);
    }
    for (const s of state.take(schedules, new Date())) {
      log(`schedule '${s.cron}' of ${s.file} is due`);
      queue
        .add({
          event: "schedule",
          ref: `refs/heads/${branch}`,
          payload: { schedule: s.cron },
          workflow: s.file,
        })
        .catch((e: Error) => log(`schedule not queued: ${e.message}`));
    }
  };
  check();
  const timer = setInterval(check, 20_000);
  timer.unref();
  return timer;
}

/** --hash-password: the password from stdin (one line), its scrypt hash on stdout. */
async function printPasswordHash(): Promise<number> {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  const password = text.replace(/\r?\n$/, "");
  if (!password) throw new UsageError("--hash-password: no password on stdin");
  console.log(await hashPassword(password));
  return EXIT.ok;
}
