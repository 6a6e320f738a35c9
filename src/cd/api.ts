// The continuous-delivery API and pages of `slipway serve`:
//   GET  /api/approvals                       waiting deployments, each with its rules' state
//   POST /api/approvals/ID                    {decision: approve|reject, comment} (or {approve: bool}) by a reviewer
//   GET  /api/environments                    each environment with its current deployment
//   GET  /api/environments/NAME               its rules, current deployment, history, incidents
//   GET  /api/environments/NAME/diff?from=&to= commits between two deployments
//   POST /api/environments/NAME/rollback      {to?: id} redeploys a previous successful deployment
//   GET|PUT|DELETE /api/environments/NAME/secrets[/X]   environment secrets (admin; values never answered)
//   GET  /environments, /environments/NAME, /approvals  the pages; their forms POST to
//   /environments/NAME/rollback and /approvals/ID through the dashboard's sign-in and CSRF checks.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../db/db.js";
import type { Masker } from "../run/mask.js";
import type { Approvals, PendingApproval } from "../server/approvals.js";
import { ApprovalError } from "../server/approvals.js";
import { bearer, HttpError, readBody, readJson } from "../server/http.js";
import type { Access } from "../web/access.js";
import { escapeHtml, page, sendHtml } from "../web/html.js";
import { type CdConfig, reviewersOf } from "./config.js";
import type { Deployments } from "./deployments.js";
import { ENVIRONMENT_NAME, EnvSecrets } from "./env-secrets.js";
import { commitsBetween } from "./git.js";
import { type Act, approvalsPage, environmentPage, environmentsPage } from "./pages.js";
import { rollbackTarget } from "./rollback.js";
import {
  type DeploymentRecord,
  deploymentById,
  deploymentsOf,
  incidentsOf,
  latestPerEnvironment,
} from "./store.js";
import type { User, Users } from "./users.js";

export interface CdApiOptions {
  db: Db;
  config: CdConfig;
  users: Users;
  approvals: Approvals;
  deployments: Deployments;
  secrets: EnvSecrets;
  root: string;
  masker: Masker;
  /** Reading needs a token (the server has a read token). */
  readProtected: boolean;
  /** The dashboard's sign-in (src/web/routes.ts): who a page's viewer is, its forms' checks, its header. */
  web?: {
    access: Pick<Access, "form" | "viewer" | "mayRead" | "identify">;
    sendPage: (req: IncomingMessage, res: ServerResponse, status: number, html: string) => void;
  };
  /** The server's JSON answer (masked). */
  json: (res: ServerResponse, status: number, body: unknown) => void;
  unauthorized: () => void;
}

/** A deployment as the API shows it: the Deployment record (the trigger it keeps for a rollback stays inside). */
function pub<T extends DeploymentRecord | undefined>(d: T): T {
  if (!d) return d;
  const { request, queued, ...rest } = d;
  return rest as T;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function approvalJson(a: PendingApproval) {
  return {
    ...a,
    requestedAt: iso(a.requestedAt),
    ...(a.waitUntil ? { waitUntil: iso(a.waitUntil) } : {}),
    ...(a.decision ? { decision: { ...a.decision, at: iso(a.decision.at) } } : {}),
    reviews: a.reviews.map((r) => ({ ...r, at: iso(r.at) })),
    progress: `${a.rule.given.length} of ${a.rule.required} approvals given`,
  };
}

export function cdApi(o: CdApiOptions) {
  const mask = (t: string) => o.masker.as(escapeHtml).mask(o.masker.mask(t));
  // A dashboard session's user (its live pages read the API), else the bearer token's.
  const user = (req: IncomingMessage): User | undefined => {
    const s = o.web?.access.identify(req);
    return s?.session ? s.identity : o.users.userForToken(bearer(req));
  };
  const must = (req: IncomingMessage): User => {
    const u = user(req);
    if (!u) {
      o.unauthorized();
      throw new HttpError(401, "a valid 'Authorization: Bearer TOKEN' of a user is required");
    }
    return u;
  };
  const reading = (req: IncomingMessage) => {
    if (o.readProtected) must(req);
  };
  const admin = (req: IncomingMessage) => {
    const u = must(req);
    if (u.role !== "admin") throw new HttpError(403, `${u.name} is not an admin`);
    return u;
  };
  const envName = (raw: string) => {
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, "a bad %-escape in the address");
    }
    if (!ENVIRONMENT_NAME.test(name)) throw new HttpError(400, `'${name}' is not an environment's name`);
    return o.config.environments.get(name.toLowerCase())?.name ?? name;
  };

  async function environments() {
    const latest = await latestPerEnvironment(o.db);
    const names = new Map<string, string>();
    for (const r of o.config.environments.values()) names.set(r.name.toLowerCase(), r.name);
    for (const d of latest)
      if (!names.has(d.environment.toLowerCase())) names.set(d.environment.toLowerCase(), d.environment);
    const out = [];
    for (const [k, name] of [...names].sort((a, b) => a[0].localeCompare(b[0]))) {
      const history = await deploymentsOf(o.db, name, 20);
      out.push({
        name,
        rule: o.config.environments.get(k),
        current: pub(history.find((d) => d.status === "active")),
        latest: pub(history[0]),
      });
    }
    return out;
  }

  async function environment(name: string) {
    const rule = o.config.environments.get(name.toLowerCase());
    const history = await deploymentsOf(o.db, name, 200);
    if (!rule && !history.length) throw new HttpError(404, `no environment ${name}`);
    return {
      name,
      rule: rule && { ...rule, eligibleReviewers: reviewersOf(o.config, rule) },
      current: pub(history.find((d) => d.status === "active")),
      history: history.map(pub),
      incidents: await incidentsOf(o.db, name),
      secrets: o.secrets.names(name),
    };
  }

  async function diff(name: string, from: number, to: number) {
    const [a, b] = await Promise.all([deploymentById(o.db, from), deploymentById(o.db, to)]);
    for (const [id, d] of [
      [from, a],
      [to, b],
    ] as const)
      if (!d || d.environment.toLowerCase() !== name.toLowerCase())
        throw new HttpError(404, `no deployment ${id} of ${name}`);
    return {
      from: pub(a!),
      to: pub(b!),
      // What `to` brings that `from` lacks, and what it takes away (a rollback's diff).
      added: commitsBetween(o.root, a!.sha, b!.sha),
      removed: commitsBetween(o.root, b!.sha, a!.sha),
    };
  }

  async function decide(id: string, u: User, approve: boolean, comment?: string) {
    try {
      return await o.approvals.decide(id, u, approve, comment);
    } catch (e) {
      if (e instanceof ApprovalError) throw new HttpError(e.status, e.message);
      throw e;
    }
  }

  async function rollback(name: string, u: User, to?: number) {
    const rule = o.config.environments.get(name.toLowerCase());
    const may =
      u.role === "admin" || (rule ? reviewersOf(o.config, rule).includes(u.name.toLowerCase()) : false);
    if (!may)
      throw new HttpError(403, `${u.name} may not roll back ${name} (a reviewer of it or an admin may)`);
    const t = rollbackTarget(await deploymentsOf(o.db, name, 500), to);
    if (!t.ok) throw new HttpError(t.status, t.error);
    const q = await o.deployments.rollback(t.target, u.name);
    return { status: "queued", queued: q.queued, rollbackOf: t.target.id, sha: t.target.sha };
  }

  async function secrets(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    rest: string,
    method: string,
  ) {
    admin(req);
    if (!rest) {
      if (method !== "GET") throw new HttpError(405, "GET only");
      return o.json(res, 200, { environment: name, secrets: o.secrets.names(name) });
    }
    let key: string;
    try {
      key = decodeURIComponent(rest);
    } catch {
      throw new HttpError(400, "a bad %-escape in the address");
    }
    if (!EnvSecrets.validName(key))
      throw new HttpError(
        400,
        "a secret's name is letters, digits and _, not starting with a digit or GITHUB_",
      );
    if (method === "DELETE") {
      if (!(await o.secrets.delete(name, key))) throw new HttpError(404, `no secret ${key} in ${name}`);
      return o.json(res, 200, { environment: name, deleted: key });
    }
    if (method !== "PUT") throw new HttpError(405, "PUT or DELETE");
    const b = await readJson<{ value?: unknown }>(req, 64 * 1024);
    if (typeof b.value !== "string" || b.value.length > 48 * 1024)
      throw new HttpError(400, "value must be a string of at most 48 KB");
    o.masker.add(b.value);
    await o.secrets.set(name, key, b.value);
    return o.json(res, 200, { environment: name, name: key });
  }

  /** Answers the paths above; false for any other. */
  return async function route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    url: URL,
  ): Promise<boolean> {
    const method = req.method ?? "GET";
    const get = method === "GET" || method === "HEAD";
    const t0 = performance.now();
    if (path === "/api/approvals" && get) {
      reading(req);
      o.json(res, 200, { approvals: (await o.approvals.pending()).map(approvalJson) });
      return true;
    }
    let m = /^\/api\/approvals\/([0-9a-f]{12})$/.exec(path);
    if (m) {
      if (get) {
        reading(req);
        const a = await o.approvals.get(m[1]!);
        if (!a) throw new HttpError(404, `no approval request ${m[1]}`);
        o.json(res, 200, approvalJson(a));
        return true;
      }
      if (method !== "POST") throw new HttpError(405, "GET or POST");
      const u = must(req);
      const b = await readJson<{ approve?: unknown; decision?: unknown; comment?: unknown; by?: unknown }>(
        req,
        64 * 1024,
      );
      const approve =
        b.decision === "approve"
          ? true
          : b.decision === "reject"
            ? false
            : typeof b.approve === "boolean"
              ? b.approve
              : undefined;
      if (approve === undefined) throw new HttpError(400, "decision must be approve or reject");
      if (b.comment !== undefined && (typeof b.comment !== "string" || b.comment.length > 2000))
        throw new HttpError(400, "comment must be a string of at most 2,000 characters");
      // The shared admin token may say whose decision it passes on (as before users existed).
      const who: User =
        u.name === "admin" && typeof b.by === "string" && /^[\w .@-]{1,100}$/.test(b.by)
          ? { name: b.by, role: "admin" }
          : u;
      const d = await decide(m[1]!, who, approve, b.comment as string | undefined);
      o.json(res, 200, { id: m[1], by: who.name, ...d });
      return true;
    }
    if (path === "/api/environments" && get) {
      reading(req);
      o.json(res, 200, { environments: await environments() });
      return true;
    }
    m = /^\/api\/environments\/([^/]+)(\/diff|\/rollback|\/secrets(?:\/([^/]+))?)?$/.exec(path);
    if (m) {
      const name = envName(m[1]!);
      const sub = m[2] ?? "";
      if (sub.startsWith("/secrets")) {
        await secrets(req, res, name, m[3] ?? "", method);
        return true;
      }
      if (sub === "/rollback") {
        if (method !== "POST") throw new HttpError(405, "POST only");
        const u = must(req);
        const b = await readJson<{ to?: unknown }>(req, 64 * 1024);
        if (b.to !== undefined && !Number.isInteger(b.to))
          throw new HttpError(400, "to must be a deployment's id");
        o.json(res, 202, await rollback(name, u, b.to as number | undefined));
        return true;
      }
      if (!get) throw new HttpError(405, "GET only");
      reading(req);
      if (sub === "/diff") {
        const from = Number(url.searchParams.get("from"));
        const to = Number(url.searchParams.get("to"));
        if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < 1)
          throw new HttpError(400, "from and to must be deployments' ids");
        o.json(res, 200, await diff(name, from, to));
        return true;
      }
      o.json(res, 200, await environment(name));
      return true;
    }
    // Pages, and their forms.
    if (
      path === "/environments" ||
      path === "/approvals" ||
      path.startsWith("/environments/") ||
      path.startsWith("/approvals/")
    )
      return pages(req, res, path, url, method, t0);
    return false;
  };

  /** The pages: through the dashboard's sign-in (sessions, CSRF) when the server has one. */
  async function pages(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    url: URL,
    method: string,
    t0: number,
  ): Promise<boolean> {
    const web = o.web;
    const send = (status: number, html: string) =>
      web ? web.sendPage(req, res, status, html) : sendHtml(res, status, html, mask, t0);
    try {
      if (method === "POST") {
        const m = /^\/environments\/([^/]+)\/rollback$|^\/approvals\/([0-9a-f]{12})$/.exec(path);
        if (!m) return false;
        // A form: from a page of this server, with its CSRF token, by a reviewer or an admin.
        let u: User;
        let fields: URLSearchParams;
        if (web) {
          const f = await web.access.form(req, "approve");
          u = f.identity!;
          fields = f.fields;
        } else {
          u = must(req);
          fields = new URLSearchParams((await readBody(req, 64 * 1024)).toString("utf8"));
        }
        if (m[1] !== undefined) {
          const name = envName(m[1]);
          const to = fields.get("to") ? Number(fields.get("to")) : undefined;
          if (to !== undefined && !Number.isInteger(to))
            throw new HttpError(400, "to must be a deployment's id");
          await rollback(name, u, to);
          return redirect(res, `/environments/${encodeURIComponent(name)}`);
        }
        const decision = fields.get("decision");
        if (decision !== "approve" && decision !== "reject")
          throw new HttpError(400, "decision must be approve or reject");
        await decide(m[2]!, u, decision === "approve", fields.get("comment")?.slice(0, 2000) || undefined);
        return redirect(res, "/approvals");
      }
      if (method !== "GET" && method !== "HEAD") return false;
      if (web && !web.access.mayRead(req))
        return redirect(res, `/signin?next=${encodeURIComponent(path + url.search)}`);
      if (!web) reading(req);
      const v = web?.access.viewer(req, res);
      const act: Act | undefined = v && { csrf: v.csrf, may: v.can("approve") };
      if (path === "/environments") {
        send(200, environmentsPage(await environments()));
        return true;
      }
      if (path === "/approvals") {
        send(200, approvalsPage(await o.approvals.pending(), act));
        return true;
      }
      const m = /^\/environments\/([^/]+)$/.exec(path);
      if (!m) return false;
      const name = envName(m[1]!);
      const env = await environment(name);
      const from = Number(url.searchParams.get("from"));
      const to = Number(url.searchParams.get("to"));
      const d = from > 0 && to > 0 ? await diff(name, from, to) : undefined;
      send(200, environmentPage(env, d, act));
      return true;
    } catch (err) {
      // A browser shows an error as a page.
      if (!(err instanceof HttpError) || res.headersSent) throw err;
      send(
        err.status,
        page(`${err.status}`, `<h1>${err.status}</h1><p class="error">${escapeHtml(err.message)}</p>`),
      );
      return true;
    }
  }
}

function redirect(res: ServerResponse, to: string): true {
  res.writeHead(303, { location: to, "cache-control": "no-store" });
  res.end();
  return true;
}
