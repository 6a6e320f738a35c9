// Several repositories on one server (`--repo A --repo B`, or `repositories:` in
// slipway-server.yml). Each repository has a context of its own — its clone, run queue,
// history, secret store, schedules and poller — and one HTTP handler made as the single
// repository's server is; the agents and their legs are shared. A front handler routes:
//   /api/repos/OWNER/NAME/X    → that repository's /api/X
//   /repos/OWNER/NAME/X        → that repository's page /X (links in it keep the prefix)
//   /webhooks/FORGE/OWNER/NAME → that repository's /webhooks/FORGE
//   /webhooks/FORGE            → the repository the payload names (repository.full_name, GitLab's
//                                project.path_with_namespace); one not served: 404, counted
//   /api/dispatch/*            → the repository whose run holds the dispatch token it carries
//   /                          → every repository's latest runs, and all runs newest first
// Anything else is the first (default) repository's, as with one repository.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { readHistory } from "../cli/common.js";
import { listRuns, type RunRow } from "../db/reads.js";
import { e, page, status, when } from "../web/html.js";
import { ServerConfigError } from "./config.js";
import { asGitHub, type Forge, verify } from "./forges.js";
import { bearer, HttpError, readBody, sameSecret } from "./http.js";
import type { RunQueue } from "./queue.js";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A repository the server serves. */
export interface RepoContext {
  /** OWNER/NAME: what webhooks name it by and its URLs carry. */
  name: string;
  root: string;
  db?: string;
  queue: RunQueue;
  /** Its own server's request handler (makeServer's), its paths without the prefix. */
  handle: Handler;
  /** The token its runs call /api/dispatch/* with. */
  dispatchToken: string;
  /** The server stops: its handler refuses new runs (webhooks, POST /api/runs) from now on. */
  stopping?: () => void;
}

/** A repository as slipway-server.yml's `repositories:` or --repo names it. */
export interface RepoSource {
  source: string;
  name?: string;
  /** Its own webhook secret (`webhook-secret`, or `webhook-secret-env`: a variable's name). */
  webhookSecret?: string;
  /** Its place in `repositories:` (its own `environments:` are read by src/cd/config.ts). */
  index?: number;
}

/** OWNER/NAME of a URL or path: its last two parts without .git (`local/NAME` for one part). */
export function repoName(source: string): string {
  const parts = source
    .replace(/\/+$/, "")
    .replace(/\.git$/, "")
    .split(/[/:]/)
    .filter((p) => p && p !== ".");
  const name = parts.at(-1) ?? "repo";
  return `${parts.length > 1 ? parts.at(-2) : "local"}/${name}`;
}

/** The repository a webhook's payload is about (GitHub, Gitea/Forgejo, GitLab). */
export function payloadRepository(forge: Forge, event: string, payload: unknown): string | undefined {
  const gh = asGitHub(forge, event, payload);
  const r = (gh.payload as { repository?: { full_name?: unknown } } | undefined)?.repository?.full_name;
  return typeof r === "string" ? r : undefined;
}

const ENTRY_KEYS = ["url", "name", "webhook-secret", "webhook-secret-env", "environments"];

/**
 * `repositories:` of slipway-server.yml: URLs or paths, or {url, name, webhook-secret |
 * webhook-secret-env} (file:line:col on errors). `env`: where webhook-secret-env is read.
 */
export function readRepositories(
  path: string,
  text: string,
  env: NodeJS.ProcessEnv = process.env,
): RepoSource[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (!isMap(doc.contents)) return [];
  const list = doc.contents.get("repositories", true);
  if (list === undefined || list === null) return [];
  const at = (node: unknown) => {
    const r = (node as { range?: [number, number, number] } | null)?.range;
    const p = r ? counter.linePos(r[0]) : undefined;
    return p ? `${path}:${p.line}:${p.col}` : path;
  };
  if (!isSeq(list))
    throw new ServerConfigError(`${at(list)}: repositories: expected a list of URLs or paths`);
  return list.items.map((item, index) => {
    if (isScalar(item) && typeof item.value === "string" && item.value) return { source: item.value, index };
    if (isMap(item)) {
      for (const pair of item.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : "";
        if (!ENTRY_KEYS.includes(k))
          throw new ServerConfigError(
            `${at(pair.key)}: repositories: unknown key '${k}' (expected ${ENTRY_KEYS.join(", ")})`,
          );
      }
      const url = item.get("url");
      const name = item.get("name");
      if (typeof url === "string" && url && (name === undefined || typeof name === "string")) {
        if (name !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(name))
          throw new ServerConfigError(`${at(item)}: repositories: name must be OWNER/NAME, got '${name}'`);
        const secret = item.get("webhook-secret");
        const secretEnv = item.get("webhook-secret-env");
        if (secret !== undefined && (typeof secret !== "string" || !secret))
          throw new ServerConfigError(`${at(item)}: repositories: webhook-secret must be a non-empty string`);
        if (secret !== undefined && secretEnv !== undefined)
          throw new ServerConfigError(
            `${at(item)}: repositories: give webhook-secret or webhook-secret-env, not both`,
          );
        let webhookSecret = secret as string | undefined;
        if (secretEnv !== undefined) {
          if (typeof secretEnv !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv))
            throw new ServerConfigError(
              `${at(item)}: repositories: webhook-secret-env must be an environment variable's name`,
            );
          webhookSecret = env[secretEnv];
          if (!webhookSecret)
            throw new ServerConfigError(
              `${at(item)}: repositories: webhook-secret-env: the variable ${secretEnv} is not set`,
            );
        }
        return { source: url, index, ...(name ? { name } : {}), ...(webhookSecret ? { webhookSecret } : {}) };
      }
    }
    throw new ServerConfigError(
      `${at(item)}: repositories: expected a URL or path, or {url, name, webhook-secret}`,
    );
  });
}

export interface FrontOptions {
  /** The first is the default repository (the paths without a prefix). */
  repos: RepoContext[];
  webhookSecret?: string;
  maxBody: number;
  /** Webhooks naming a repository not served. */
  unknown: () => void;
  /** Webhooks refused for their signature. */
  refused: () => void;
  /** Reads of /api/repos without a valid token. */
  unauthorized?: () => void;
  /** The dashboard's reading rights and page sending (the default repository's pages). */
  web?: {
    access: { mayRead: (req: IncomingMessage) => boolean };
    sendPage: (req: IncomingMessage, res: ServerResponse, status: number, html: string) => void;
  };
}

const FORGES: Record<string, Forge> = {
  github: "github",
  gitea: "gitea",
  forgejo: "gitea",
  gitlab: "gitlab",
};
const EVENT_HEADER: Record<Forge, string> = {
  github: "x-github-event",
  gitea: "x-gitea-event",
  gitlab: "x-gitlab-event",
};

/** The handler in front of the repositories' own ones. */
export function frontHandler(o: FrontOptions): Handler {
  const byName = new Map(o.repos.map((r) => [r.name.toLowerCase(), r]));
  const fallback = o.repos[0]!;
  const fail = (res: ServerResponse, err: HttpError) => {
    res.writeHead(err.status, { "content-type": "application/json; charset=utf-8" });
    res.end(`${JSON.stringify({ error: err.message })}\n`);
  };
  const find = (owner: string, name: string) => byName.get(`${owner}/${name}`.toLowerCase());

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const pass = (r: RepoContext, to: string, body?: Buffer) => {
      const q = `${to}${url.search}`;
      if (body === undefined) {
        req.url = q;
        return r.handle(req, res);
      }
      // The body was read to see the repository: the repository's handler reads it again.
      const again = Object.assign(Readable.from([body]), {
        headers: req.headers,
        method: req.method,
        url: q,
        socket: req.socket,
      }) as unknown as IncomingMessage;
      return r.handle(again, res);
    };
    if (path === "/api/repos" && o.web) {
      if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "GET only");
      if (!o.web.access.mayRead(req)) {
        o.unauthorized?.();
        throw new HttpError(
          401,
          "a valid 'Authorization: Bearer TOKEN' is required (the read or the admin token)",
        );
      }
      const each = await latestRuns(o.repos, 1);
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(
        `${JSON.stringify(
          {
            repositories: each.map(({ repo, runs }, i) => ({
              name: repo.name,
              default: i === 0,
              queued: repo.queue.list().filter((x) => x.state === "queued").length,
              running: repo.queue.list().filter((x) => x.state === "running").length,
              latest: runs[0]
                ? {
                    number: runs[0].number,
                    result: runs[0].result,
                    ref: runs[0].ref,
                    sha: runs[0].sha,
                    startedAt: runs[0].startedAt,
                  }
                : null,
            })),
          },
          null,
          2,
        )}\n`,
      );
      return;
    }
    const api = /^\/api\/repos\/([\w.-]+)\/([\w.-]+)(\/.*)?$/.exec(path);
    if (api) {
      const r = find(api[1]!, api[2]!);
      if (!r) throw new HttpError(404, `no repository ${api[1]}/${api[2]} is served here`);
      return pass(r, `/api${api[3] ?? "/runs"}`);
    }
    const pg = /^\/repos\/([\w.-]+)\/([\w.-]+)(\/.*)?$/.exec(path);
    if (pg) {
      const r = find(pg[1]!, pg[2]!);
      if (!r) throw new HttpError(404, `no repository ${pg[1]}/${pg[2]} is served here`);
      prefixLinks(res, `/repos/${r.name}`, `/api/repos/${r.name}`);
      return pass(r, pg[3] ?? "/");
    }
    const hook = /^\/webhooks\/(github|gitea|forgejo|gitlab)(?:\/([\w.-]+)\/([\w.-]+))?$/.exec(path);
    if (hook && req.method === "POST") {
      if (hook[2]) {
        const r = find(hook[2], hook[3]!);
        if (!r) {
          o.unknown();
          throw new HttpError(404, `no repository ${hook[2]}/${hook[3]} is served here`);
        }
        return pass(r, `/webhooks/${hook[1]}`);
      }
      const forge = FORGES[hook[1]!]!;
      const body = await readBody(req, o.maxBody);
      let named: string | undefined;
      try {
        named = payloadRepository(
          forge,
          String(req.headers[EVENT_HEADER[forge]] ?? ""),
          JSON.parse(body.toString("utf8")),
        );
      } catch {
        // Not JSON: the default repository's handler answers it (after the signature).
      }
      const r = named === undefined ? fallback : byName.get(named.toLowerCase());
      if (r) return pass(r, path, body);
      // Said only to a sender who signs: others learn nothing of what is served.
      const v = o.webhookSecret ? verify(forge, req, body, o.webhookSecret) : undefined;
      if (!v?.ok) {
        o.refused();
        throw new HttpError(401, v?.why ?? "no webhook secret is set");
      }
      o.unknown();
      throw new HttpError(404, `repository ${named} is not served here`);
    }
    if (path.startsWith("/api/dispatch/")) {
      const t = bearer(req);
      const r = t ? o.repos.find((x) => sameSecret(t, x.dispatchToken)) : undefined;
      return (r ?? fallback).handle(req, res);
    }
    if (path === "/" && (req.method === "GET" || req.method === "HEAD") && o.web) {
      if (!o.web.access.mayRead(req)) {
        res.writeHead(303, { location: "/signin?next=%2F", "cache-control": "no-store" });
        res.end();
        return;
      }
      return o.web.sendPage(req, res, 200, await allReposPage(o.repos));
    }
    return fallback.handle(req, res);
  }

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.end();
      fail(res, err instanceof HttpError ? err : new HttpError(500, "internal error"));
    });
  };
}

/**
 * A repository's pages link to `/…` and read `/api/…`: under its prefix they must say
 * `/repos/OWNER/NAME/…` and `/api/repos/OWNER/NAME/…` (HTML, the live script, redirects).
 */
function prefixLinks(res: ServerResponse, pages: string, api: string): void {
  const rewrite = (t: string) =>
    t
      .replace(/((?:href|action|src)=")\/(?!\/)/g, `$1${pages}/`)
      .replace(/"\/api\/(?!repos\/)/g, `"${api}/`)
      .replace(/(next=)%2F/g, `$1${encodeURIComponent(`${pages}/`)}`);
  const writeHead = res.writeHead.bind(res);
  const end = res.end.bind(res);
  let textual = false;
  res.writeHead = ((code: number, ...rest: unknown[]) => {
    const headers = rest.find((x) => typeof x === "object" && x !== null) as
      | Record<string, unknown>
      | undefined;
    const type = String(headers?.["content-type"] ?? res.getHeader("content-type") ?? "");
    textual = /^text\/(html|javascript)/.test(type);
    const loc = headers?.location;
    if (typeof loc === "string" && loc.startsWith("/") && !loc.startsWith("//"))
      headers!.location = `${pages}${loc}`;
    if (textual && headers) delete headers["content-length"];
    return writeHead(code, ...(rest as []));
  }) as typeof res.writeHead;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (textual && (typeof chunk === "string" || Buffer.isBuffer(chunk)))
      return end(rewrite(chunk.toString()), ...(rest as []));
    return end(chunk as never, ...(rest as []));
  }) as typeof res.end;
}

/** Each repository's newest `limit` runs. */
function latestRuns(repos: RepoContext[], limit: number): Promise<{ repo: RepoContext; runs: RunRow[] }[]> {
  return Promise.all(
    repos.map(async (r) => ({
      repo: r,
      runs: await readHistory(r.root, r.db, (db) => (db ? listRuns(db, { limit }) : Promise.resolve([]))),
    })),
  );
}

/** `/` with several repositories: each one's latest runs, then every run, newest first. */
async function allReposPage(repos: RepoContext[]): Promise<string> {
  const each = await latestRuns(repos, 50);
  const link = (name: string, run: RunRow) =>
    `<a href="/repos/${e(name)}/runs/${run.number}">#${run.number}</a>`;
  const row = (name: string, run: RunRow, withRepo: boolean) =>
    `<tr class="run">${withRepo ? `<td class="repo"><a href="/repos/${e(name)}/">${e(name)}</a></td>` : ""}<td>${link(name, run)}</td><td>${status(run.result)}</td><td>${e(run.event)}</td><td>${e(run.ref.replace(/^refs\/(heads|tags)\//, ""))}</td><td>${e(run.sha.slice(0, 12))}</td><td>${e(run.workflows.join(", "))}</td><td>${when(run.startedAt)}</td></tr>`;
  const head = (withRepo: boolean) =>
    `<tr>${withRepo ? "<th>Repository</th>" : ""}<th>Run</th><th>Status</th><th>Event</th><th>Ref</th><th>Commit</th><th>Workflows</th><th>Started</th></tr>`;
  const repoRows = each
    .map(({ repo, runs }) => {
      const q = repo.queue.list();
      const latest = runs[0];
      return `<tr class="repository" data-repo="${e(repo.name)}"><td><a href="/repos/${e(repo.name)}/">${e(repo.name)}</a></td><td>${latest ? `${status(latest.result)} ${link(repo.name, latest)}` : "no runs yet"}</td><td>${q.filter((x) => x.state === "queued").length} queued, ${q.filter((x) => x.state === "running").length} running</td><td>${runs
        .slice(0, 5)
        .map((x) => link(repo.name, x))
        .join(" ")}</td></tr>`;
    })
    .join("");
  const all = each
    .flatMap(({ repo, runs }) => runs.map((run) => ({ name: repo.name, run })))
    .sort((a, b) => b.run.startedAt - a.run.startedAt)
    .slice(0, 100);
  return page(
    "Slipway: all repositories",
    `<h1>Repositories</h1>
<table id="repositories"><tr><th>Repository</th><th>Latest run</th><th>Queue</th><th>Recent runs</th></tr>${repoRows}</table>
<h2>All runs</h2>
<table id="all-runs">${head(true)}${all.map((x) => row(x.name, x.run, true)).join("")}</table>`,
  );
}
