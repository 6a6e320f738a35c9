import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { readHistory } from "../cli/common.js";
import { jobsOfRun, listRuns, runByNumber } from "../db/reads.js";
import type { ExtraRoutes } from "../metrics/routes.js";
import { currentCommit } from "../plan/git.js";
import type { Masker } from "../run/mask.js";
import { WorkflowsAt } from "../web/workflows.js";
import { removeAgent } from "./agent-admin.js";
import type { LegQueue } from "./dispatch.js";
import { checkDispatch } from "./dispatch-inputs.js";
import { asGitHub, type Forge, verify } from "./forges.js";
import { bearer, HttpError, readBody, sameSecret } from "./http.js";
import type { RunQueue } from "./queue.js";
import { SECRET_NAME, type Secrets } from "./secret-store.js";
import { streamEvents } from "./sse.js";
import { dbEventStreams } from "./sse-db.js";
import { webhookRun } from "./webhook.js";

export interface ServerOptions {
  root: string;
  db?: string;
  webhookSecret?: string;
  /** The admin token: starting, cancelling, re-running runs, secrets. */
  token?: string;
  /** A read-only token: when set, reading the API and /metrics needs it (or the admin token). */
  readToken?: string;
  queue: RunQueue;
  masker: Masker;
  /** The agents' and runs' dispatch API (agent-api.ts); its counters show in /api/server. */
  agentApi?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
  dispatcher?: LegQueue;
  /** Environments, approvals, deployments and rollback: API and pages (src/cd/api.ts); true when it answered. */
  cd?: (req: IncomingMessage, res: ServerResponse, path: string, url: URL) => Promise<boolean>;
  /** Repository secrets (PUT/DELETE/GET /api/secrets, with the API token; values never answered). */
  secretStore?: Secrets;
  /** Brings the served repository up to date (a --repo clone). */
  fetch?: () => void;
  /** Fetches the --repo clone now and queues the pushes found (POST /api/poll). */
  poll?: () => Promise<number>;
  /** A user of slipway-server.yml by token (admins may do what --token may; every user may read). */
  user?: (token: string | undefined) => { name: string; role: string } | undefined;
  /** Environments the server knows beyond the workflows' own (dispatch inputs of type environment). */
  environments?: () => string[];
  /** GET /metrics (Prometheus text). */
  metrics?: () => Promise<{ text: string; contentType: string }>;
  /** DORA, stats, incidents and badges (src/metrics/routes.ts): true when it answered. */
  metricsRoutes?: ExtraRoutes;
  /** The dashboard's pages (src/web/routes.ts): true when it answered. */
  web?: (req: IncomingMessage, res: ServerResponse, path: string, url: URL) => Promise<boolean>;
  /** Someone signed in to the dashboard (its live pages read the API with their session). */
  signedIn?: (req: IncomingMessage) => boolean;
  /** Largest request body accepted (GitHub's webhooks are at most 25 MB). */
  maxBody: number;
  log: (t: string) => void;
}

/** Counters the API shows (and a later /metrics will). */
export interface Counters {
  /** Webhooks unsigned or wrongly signed. */
  refused: number;
  /** API requests without a valid token. */
  unauthorized: number;
  duplicates: number;
  accepted: number;
}

const FORGES: Record<string, Forge> = {
  "/webhooks/github": "github",
  "/webhooks/gitea": "gitea",
  "/webhooks/forgejo": "gitea",
  "/webhooks/gitlab": "gitlab",
};

/** Delivery ids seen, so a replay is answered without a second run (the newest 10,000 kept). */
class Seen {
  private readonly ids = new Set<string>();
  has(id: string): boolean {
    return this.ids.has(id);
  }
  delete(id: string): void {
    this.ids.delete(id);
  }
  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > 10_000) this.ids.delete(this.ids.values().next().value as string);
  }
}

export function makeServer(o: ServerOptions): { server: Server; counters: Counters; stopping: () => void } {
  // Stopping: runs being cancelled still talk to the dispatcher, so the port stays open, but
  // nothing new is started.
  let stopping = false;
  const counters: Counters = { refused: 0, unauthorized: 0, duplicates: 0, accepted: 0 };
  const seen = new Seen();
  // JSON text: a secret as JSON writes it (quotes and backslashes escaped) is masked too.
  const maskJson = (t: string) => o.masker.as((v) => JSON.stringify(v).slice(1, -1)).mask(o.masker.mask(t));
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(`${maskJson(JSON.stringify(body, null, 2))}\n`);
  };
  const history = <T>(read: Parameters<typeof readHistory<T>>[2]) => readHistory(o.root, o.db, read);
  const workflows = new WorkflowsAt(o.root);
  const dbStreams = dbEventStreams(o.root, o.db);

  async function webhook(req: IncomingMessage, res: ServerResponse, forge: Forge): Promise<void> {
    const body = await readBody(req, o.maxBody);
    const v = o.webhookSecret ? verify(forge, req, body, o.webhookSecret) : undefined;
    if (!v?.ok) {
      counters.refused++;
      throw new HttpError(401, v?.why ?? "no webhook secret is set");
    }
    const { delivery } = v;
    if (!delivery) throw new HttpError(400, "the delivery id header is missing");
    if (seen.has(delivery)) {
      counters.duplicates++;
      return json(res, 200, { status: "duplicate", delivery });
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      throw new HttpError(400, "the body is not JSON");
    }
    const gh = asGitHub(forge, v.event, payload);
    const action = webhookRun(gh.event, gh.payload, delivery);
    if (action.kind === "bad") throw new HttpError(400, action.reason);
    seen.add(delivery);
    if (action.kind === "ignore") return json(res, 200, { status: "ignored", reason: action.reason });
    // The server runs commits of the repository it serves: a fetched one (--repo) is fetched
    // now when it lacks the commit; a served working repository must have it already.
    const wanted = action.request.sha;
    if (wanted && !currentCommit(o.root, wanted)) o.fetch?.();
    if (wanted && !currentCommit(o.root, wanted)) {
      seen.delete(delivery);
      throw new HttpError(422, `commit ${wanted} is not in ${o.root} (fetch it there first)`);
    }
    counters.accepted++;
    const q = await o.queue.add(action.request);
    res.setHeader("location", `/api/queue/${q.id}`);
    json(res, 202, { status: "queued", queued: q.id, poll: `/api/queue/${q.id}`, delivery });
  }

  async function apiRun(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const who = admin(req);
    const body = await readBody(req, 1024 * 1024);
    let b: { event?: unknown; ref?: unknown; inputs?: unknown; workflow?: unknown };
    try {
      b = JSON.parse(body.toString("utf8")) as typeof b;
    } catch {
      throw new HttpError(400, "the body is not JSON");
    }
    const event = b.event ?? "workflow_dispatch";
    if (event !== "workflow_dispatch" && event !== "push")
      throw new HttpError(400, "event must be workflow_dispatch or push");
    if (typeof b.ref !== "string" || !/^refs\/(heads|tags)\/[^\s]+$|^[^\s-][^\s]*$/.test(b.ref))
      throw new HttpError(400, "ref must be a branch, a tag or refs/heads/... / refs/tags/...");
    const inputs: Record<string, string> = {};
    if (b.inputs !== undefined) {
      if (typeof b.inputs !== "object" || b.inputs === null || Array.isArray(b.inputs))
        throw new HttpError(400, "inputs must be an object");
      for (const [k, v] of Object.entries(b.inputs))
        inputs[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    if (b.workflow !== undefined && (typeof b.workflow !== "string" || !/^[\w./-]{1,200}$/.test(b.workflow)))
      throw new HttpError(
        400,
        "workflow must be a workflow file's name (ci.yml or .github/workflows/ci.yml)",
      );
    if (b.workflow !== undefined && event !== "workflow_dispatch")
      throw new HttpError(400, "workflow is for event workflow_dispatch");
    let workflow: string | undefined;
    if (event === "workflow_dispatch") {
      // Checked as GitHub checks a dispatch: the workflow at that ref, its declared inputs.
      const c = checkDispatch({
        workflows,
        ref: b.ref,
        fetch: o.fetch,
        workflow: b.workflow as string | undefined,
        inputs,
        environments: o.environments?.() ?? [],
      });
      if (!c.ok) return json(res, c.status, { error: c.errors.join("; "), errors: c.errors });
      workflow = c.workflow;
      Object.assign(inputs, c.inputs);
    }
    const q = await o.queue.add({
      event,
      ref: b.ref,
      inputs,
      payload: event === "workflow_dispatch" ? { inputs, ...(workflow ? { workflow } : {}) } : {},
      ...(workflow ? { workflow } : {}),
      // A configured user started it: the run's actor (github.actor) is them.
      ...(who.name !== "admin" ? { actor: who.name } : {}),
    });
    o.log(`${who.name} started ${event} on ${b.ref} as queued run ${q.id}`);
    res.setHeader("location", `/api/queue/${q.id}`);
    json(res, 202, { status: "queued", queued: q.id, poll: `/api/queue/${q.id}` });
  }

  /** Whether the request's bearer token is one of `tokens` (compared in constant time). */
  const carries = (req: IncomingMessage, ...tokens: (string | undefined)[]) => {
    const t = bearer(req);
    return t !== undefined && tokens.some((k) => k !== undefined && sameSecret(t, k));
  };

  function reader(req: IncomingMessage): void {
    if (carries(req, o.readToken, o.token) || o.user?.(bearer(req)) || o.signedIn?.(req)) return;
    counters.unauthorized++;
    throw new HttpError(
      401,
      "a valid 'Authorization: Bearer TOKEN' is required (the read or the admin token)",
    );
  }

  /** The admin token, or an admin of slipway-server.yml's users: who it is (for the log and the run's actor). */
  function admin(req: IncomingMessage): { name: string } {
    if (carries(req, o.token)) return { name: "admin" };
    const u = o.user?.(bearer(req));
    if (u?.role === "admin") return u;
    counters.unauthorized++;
    if (u) throw new HttpError(403, `${u.name} is not an admin`);
    throw new HttpError(
      401,
      o.token || o.user
        ? "a valid 'Authorization: Bearer TOKEN' is required"
        : "no API token is set (--token)",
    );
  }

  async function secrets(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    method: string,
  ): Promise<void> {
    admin(req);
    const store = o.secretStore;
    if (!store) throw new HttpError(404, "this server keeps no secrets");
    if (path === "/api/secrets") {
      if (method !== "GET") throw new HttpError(405, "GET only");
      return json(res, 200, { secrets: store.names() });
    }
    const name = decodeURIComponent(path.slice("/api/secrets/".length));
    if (!SECRET_NAME.test(name))
      throw new HttpError(
        400,
        "a secret's name is letters, digits and _, not starting with a digit or GITHUB_",
      );
    if (method === "DELETE") {
      if (!(await store.delete(name))) throw new HttpError(404, `no secret ${name}`);
      return json(res, 200, { deleted: name });
    }
    if (method !== "PUT") throw new HttpError(405, "PUT or DELETE");
    // GitHub's limit for a secret is 48 KB.
    const body = await readBody(req, 64 * 1024);
    let value: unknown;
    try {
      value = (JSON.parse(body.toString("utf8")) as { value?: unknown }).value;
    } catch {
      throw new HttpError(400, "the body is not JSON");
    }
    if (typeof value !== "string" || value.length > 48 * 1024)
      throw new HttpError(400, "value must be a string of at most 48 KB");
    o.masker.add(value);
    await store.set(name, value);
    return json(res, 200, { name, updatedAt: store.names().find((s) => s.name === name)?.updatedAt });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (stopping && (path in FORGES || (path === "/api/runs" && method === "POST")))
      throw new HttpError(503, "the server is stopping");
    const forge = FORGES[path];
    if (forge) {
      if (method !== "POST") throw new HttpError(405, "POST only");
      return webhook(req, res, forge);
    }
    // The dashboard's pages and forms: they check who is signed in themselves (sessions, CSRF).
    if (o.web && !path.startsWith("/api/") && path !== "/metrics" && (await o.web(req, res, path, url)))
      return;
    if (path === "/api/runs" && method === "POST") return apiRun(req, res);
    if (path === "/api/poll") {
      // A bare repository's post-receive hook: fetch now instead of at the next --poll.
      if (method !== "POST") throw new HttpError(405, "POST only");
      admin(req);
      if (!o.poll) throw new HttpError(404, "this server fetches no repository (serve it with --repo)");
      return json(res, 200, { pushes: await o.poll() });
    }
    if (path === "/api/secrets" || path.startsWith("/api/secrets/")) return secrets(req, res, path, method);
    if (o.agentApi && (await o.agentApi(req, res, path))) return;
    const agentId = /^\/api\/agents\/([^/]+)$/.exec(path)?.[1];
    if (agentId !== undefined) {
      if (method !== "DELETE") throw new HttpError(405, "DELETE only");
      admin(req);
      return json(res, 200, await removeAgent(o.dispatcher, agentId));
    }
    if (o.cd && (await o.cd(req, res, path, url))) return;
    const act = /^\/api\/queue\/(\d{1,9})\/(cancel|rerun)$/.exec(path);
    if (act) {
      if (method !== "POST") throw new HttpError(405, "POST only");
      admin(req);
      const id = Number(act[1]);
      const q = await o.queue.get(id);
      if (!q) throw new HttpError(404, `no queued run ${id}`);
      if (act[2] === "cancel") {
        const c = await o.queue.cancel(id);
        if (c === "ended" || c === "none") throw new HttpError(409, `run ${id} has ended`);
        return json(res, 202, { status: c === "cancelled" ? "cancelled" : "cancelling", queued: id });
      }
      // Again, as a new run: the earlier one's logs and results stay as they are. ?jobs=all runs
      // every job; by default the failed ones run and the jobs that succeeded in that run are
      // kept (deployments too), as GitHub's "re-run failed jobs" does.
      const all = url.searchParams.get("jobs") === "all";
      const { reuse: _, keepSucceededOf: __, attemptOf: ___, ...request } = q.request;
      // A new attempt of the run: it keeps the run's github.run_id and run_number.
      const of = q.run === undefined ? {} : all ? { attemptOf: q.run } : { keepSucceededOf: q.run };
      const again = await o.queue.add(
        { ...request, delivery: undefined, ...of, ...(all ? { reuse: false } : {}) },
        id,
      );
      res.setHeader("location", `/api/queue/${again.id}`);
      return json(res, 202, {
        status: "queued",
        queued: again.id,
        poll: `/api/queue/${again.id}`,
        rerunOf: id,
      });
    }
    if (
      o.metricsRoutes &&
      (await o.metricsRoutes(req, res, path, url, {
        admin,
        read: (r) => {
          if (o.readToken) reader(r);
        },
        json,
      }))
    )
      return;
    if (method !== "GET" && method !== "HEAD") throw new HttpError(405, "GET only");
    // With a read token, reading the API needs it (or the admin token): runs, logs, agents, metrics.
    if (o.readToken) reader(req);
    if (path === "/api/runs") {
      const limit = Math.min(Number(url.searchParams.get("limit") ?? 100) || 100, 1000);
      const runs = await history((db) => (db ? listRuns(db, { limit }) : Promise.resolve([])));
      return json(res, 200, {
        queue: o.queue.list().map((q) => ({
          queued: q.id,
          state: q.state,
          event: q.request.event,
          ref: q.request.ref,
          run: q.run ?? null,
        })),
        runs: runs.map(({ payload, ...r }) => ({ ...r, status: r.result ? "completed" : "running" })),
      });
    }
    if (path === "/api/server")
      return json(res, 200, {
        requests: counters,
        queue: o.queue.list().filter((q) => q.state === "queued").length,
        running: o.queue.list().filter((q) => q.state === "running").length,
        ...(o.dispatcher ? { dispatch: o.dispatcher.counts } : {}),
      });
    if (path === "/metrics" && o.metrics) {
      const m = await o.metrics();
      res.writeHead(200, { "content-type": m.contentType });
      res.end(m.text);
      return;
    }
    if (path === "/api/agents") {
      const d = o.dispatcher;
      return json(res, 200, {
        agents: (d?.listAgents() ?? []).map((a) => ({
          id: a.id,
          name: a.name,
          labels: a.labels,
          capacity: a.capacity,
          sandbox: a.sandbox,
          busy: a.leases.size,
          done: a.done,
          lastSeen: new Date(a.lastSeen).toISOString(),
        })),
        // Jobs queued or running on an agent, with why each one waits.
        jobs: (d?.queue() ?? []).map((l) => ({
          run: l.run,
          job: l.assignment.key,
          name: l.assignment.name,
          runsOn: l.assignment.runsOn,
          state: l.state,
          attempt: l.attempt,
          why: l.why,
          queuedAt: new Date(l.enqueuedAt).toISOString(),
        })),
      });
    }
    if (path === "/api/queue")
      return json(
        res,
        200,
        o.queue.list().map((q) => ({
          queued: q.id,
          state: q.state,
          run: q.run ?? null,
          ...(q.waiting ? { waiting: q.waiting } : {}),
          ...(q.jobsWaiting ? { jobsWaiting: q.jobsWaiting } : {}),
        })),
      );
    const m = /^\/api\/(runs|queue)\/(\d{1,9})(\/events)?$/.exec(path);
    if (!m) throw new HttpError(404, "not found");
    const n = Number(m[2]);
    if (m[1] === "queue") {
      if (m[3]) throw new HttpError(404, "not found");
      const q = await o.queue.get(n);
      if (!q) throw new HttpError(404, `no queued run ${n}`);
      return json(res, 200, {
        queued: q.id,
        state: q.state,
        run: q.run ?? null,
        ...(q.rerunOf ? { rerunOf: q.rerunOf } : {}),
        // Why it has not started its jobs yet (a concurrency group), as of the last second.
        waiting: o.queue.list().find((x) => x.id === q.id)?.waiting ?? null,
        jobsWaiting: q.jobsWaiting ?? {},
        exitCode: q.exitCode ?? null,
        message: q.message ?? [],
      });
    }
    const dir = join(o.root, ".slipway", "runs", String(n));
    if (m[3]) {
      const last = Number(req.headers["last-event-id"] ?? url.searchParams.get("after") ?? 0);
      const after = Number.isInteger(last) && last > 0 ? last : 0;
      // A run whose folder is on another machine (a replica ran it): its lines in the database.
      if (!existsSync(dir) && dbStreams && (await dbStreams.known(n)))
        return dbStreams.stream(res, n, after, () => o.queue.running(n), maskJson);
      if (!existsSync(dir)) throw new HttpError(404, `no run ${n}`);
      return streamEvents(
        res,
        dir,
        after,
        () => o.queue.running(n),
        (t) => maskJson(t),
      );
    }
    const found = await history(async (db) => {
      const run = db ? await runByNumber(db, n) : undefined;
      return run && db ? { ...run, jobs: await jobsOfRun(db, n) } : undefined;
    });
    if (!found) throw new HttpError(404, `no run ${n}`);
    return json(res, 200, found);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) o.log(`error: ${req.method} ${req.url}: ${(e as Error).message}`);
      if (res.headersSent) {
        res.end();
        return;
      }
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", connection: "close" });
      res.end(
        `${JSON.stringify({ error: o.masker.mask(e instanceof HttpError ? e.message : "internal error") })}\n`,
      );
    });
  });
  return {
    server,
    counters,
    stopping: () => {
      stopping = true;
    },
  };
}
