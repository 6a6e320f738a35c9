import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { basename, join } from "node:path";
import { readHistory } from "../cli/common.js";
import { jobsOfRun, listRunsPage, runByNumber } from "../db/reads.js";
import type { RunPlan } from "../plan/run-plan.js";
import { stamp } from "../report/run-folder.js";
import type { Masker } from "../run/mask.js";
import { removeAgent } from "../server/agent-admin.js";
import type { LegQueue } from "../server/dispatch.js";
import { HttpError } from "../server/http.js";
import { Access, type AccessOptions, type Viewer } from "./access.js";
import { entryOf, type QueueActions, queuedHref, rerunOf, rerunRequest, runControls } from "./actions.js";
import { artifactFiles } from "./artifacts.js";
import { CSS, LIVE_JS } from "./assets.js";
import { jobLogOfRun, rawLogOfRun } from "./db-log.js";
import { e, escapeHtml, NAV, page, postForm, sendHtml } from "./html.js";
import { jobPage } from "./job-page.js";
import { recordedSeq } from "./live-seq.js";
import { queuedPage, queuePage } from "./queue-page.js";
import { runPage } from "./run-page.js";
import { runsPage, runsQuery } from "./runs-page.js";
import { localPath, signInPage } from "./signin-page.js";
import { Utilisation } from "./utilisation.js";
import { workflowRoutes } from "./workflow-routes.js";

export interface WebOptions {
  root: string;
  db?: string;
  queue: QueueActions;
  dispatcher?: Pick<LegQueue, "listAgents" | "queue" | "removeAgent">;
  masker: Masker;
  /** Who may sign in (tokens, users, passwords); none: a laptop's open server. */
  access?: AccessOptions;
  /** Another dashboard's sign-ins and forms (several repositories: one sign-in for all). */
  sharedAccess?: Access;
  /** The server's log: sign-ins and what was done from the pages, by whom. */
  log?: (t: string) => void;
  /** Environments the server knows beyond the workflows' own (for dispatch inputs of type environment). */
  environments?: () => string[];
  /** How often agent utilisation is sampled (ms). */
  sampleMs?: number;
  /** The DORA page (src/metrics/dora-page.ts) for a request's address. */
  dora?: (url: URL) => Promise<string>;
}

/**
 * The dashboard's pages (GET only; false for any other request, which the API then answers).
 * They read what the API reads — the history database, the run folders, the queue and the
 * dispatcher — and are masked with the server's masker as its JSON is.
 */
export function webRoutes(o: WebOptions) {
  const repo = basename(o.root);
  const access = o.sharedAccess ?? new Access(o.access ?? {});
  const log = (t: string) => o.log?.(`dashboard: ${t}`);
  const utilisation = new Utilisation(() => o.dispatcher?.listAgents() ?? [], o.sampleMs);
  // Pages escape text before it is masked: a secret with & < > " or ' is masked as escaped too.
  const mask = (t: string) => o.masker.as(escapeHtml).mask(o.masker.mask(t));
  const runDir = (n: number) => join(o.root, ".slipway", "runs", String(n));
  const history = <T>(read: Parameters<typeof readHistory<T>>[2]) => readHistory(o.root, o.db, read);
  const asset = (res: ServerResponse, type: string, body: string): true => {
    res.writeHead(200, {
      "content-type": type,
      "cache-control": "max-age=300",
      "x-content-type-options": "nosniff",
    });
    res.end(body);
    return true;
  };

  async function runAndJobs(n: number) {
    const found = await history(async (db) => {
      const run = db ? await runByNumber(db, n) : undefined;
      return run && db ? { run, jobs: await jobsOfRun(db, n) } : undefined;
    });
    if (!found) throw new HttpError(404, `no run ${n}`);
    return found;
  }

  /** The header's links and who is signed in (every page has the NAV mark for them). */
  function nav(v: Viewer, path: string): string {
    const links = `<nav><a href="/">Runs</a><a href="/workflows">Workflows</a><a href="/queue">Queue</a><a href="/environments">Environments</a><a href="/approvals">Approvals</a>${o.dora ? '<a href="/dora">Delivery</a>' : ""}</nav>`;
    const me = v.identity
      ? `<span class="me" id="me">${e(v.identity.name)} (${e(v.identity.role)})${v.signIn ? postForm("/signout", v.csrf, '<button id="signout">Sign out</button>', "out") : ""}</span>`
      : v.signIn
        ? `<span class="me"><a id="signin" href="/signin?next=${encodeURIComponent(path)}">Sign in</a></span>`
        : "";
    return links + me;
  }

  const send = (res: ServerResponse, v: Viewer, path: string, status: number, html: string, t0?: number) =>
    sendHtml(res, status, html.replace(NAV, nav(v, path)), mask, t0);

  const redirect = (res: ServerResponse, to: string): true => {
    res.writeHead(303, { location: to, "cache-control": "no-store" });
    res.end();
    return true;
  };
  const wfRoutes = workflowRoutes({ ...o, repo, access, history, send, redirect, log });

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    url: URL,
  ): Promise<boolean> => {
    const method = req.method ?? "GET";
    if (method === "POST") return post(req, res, path);
    if (method !== "GET" && method !== "HEAD") return false;
    const t0 = performance.now();
    if (path === "/web/app.css") return asset(res, "text/css; charset=utf-8", CSS);
    if (path === "/web/live.js") return asset(res, "text/javascript; charset=utf-8", LIVE_JS);
    if (path === "/favicon.ico") {
      // None: a browser asks for it on every page, and a 404 would be a console error.
      res.writeHead(204, { "cache-control": "max-age=86400" });
      res.end();
      return true;
    }
    const v = access.viewer(req, res);
    if (path === "/signin") {
      const next = localPath(url.searchParams.get("next"));
      if (v.identity && !access.open) return redirect(res, next);
      const html = signInPage({
        csrf: v.csrf,
        next,
        passwords: !!o.access?.passwords?.size,
        open: access.open,
      });
      send(res, v, path, 200, html, t0);
      return true;
    }
    // With a read token, reading needs a sign-in (or the token as a bearer), as the API does.
    // Every address the dashboard sees (its own pages and those served after it) is covered.
    if (!access.mayRead(req)) return redirect(res, `/signin?next=${encodeURIComponent(path + url.search)}`);
    if (await wfRoutes.get(res, v, path, t0)) return true;
    if (path === "/queue") {
      const html = queuePage(repo, v, {
        queued: o.queue.list(),
        agents: o.dispatcher?.listAgents() ?? [],
        legs: o.dispatcher?.queue() ?? [],
        samples: [...utilisation.samples, utilisation.now()],
        now: Date.now(),
      });
      send(res, v, path, 200, html, t0);
      return true;
    }
    const qm = /^\/queue\/(\d{1,9})$/.exec(path);
    if (qm) {
      const q = await o.queue.get(Number(qm[1]));
      if (!q) throw new HttpError(404, `no queued run ${qm[1]}`);
      if (q.run && (await history(async (db) => (db ? runByNumber(db, q.run!) : undefined))))
        return redirect(res, `/runs/${q.run}`);
      send(res, v, path, 200, queuedPage(q), t0);
      return true;
    }
    if (path === "/") {
      const q = runsQuery(url.searchParams);
      const rows = await history((db) =>
        db ? listRunsPage(db, { ...q, limit: q.limit + 1 }) : Promise.resolve([]),
      );
      const panel = {
        queued: o.queue.list(),
        agents: o.dispatcher?.listAgents() ?? [],
        legs: o.dispatcher?.queue() ?? [],
      };
      send(res, v, path, 200, runsPage(repo, q, rows, panel), t0);
      return true;
    }
    if (path === "/dora" && o.dora) {
      send(res, v, path, 200, await o.dora(url), t0);
      return true;
    }
    const m = /^\/runs\/(\d{1,9})(?:\/jobs\/([^/]+)(\/log\.txt)?|\/artifacts\/([^/]+)\/(.*))?$/.exec(path);
    if (!m) return false;
    const n = Number(m[1]);
    if (m[4] !== undefined) {
      await artifact(res, v, path, n, decode(m[4]), decode(m[5] ?? ""));
      return true;
    }
    // Before the jobs are read (see recordedSeq).
    const recorded = m[2] === undefined ? await history(async (db) => (db ? recordedSeq(db, n) : 0)) : 0;
    const { run, jobs } = await runAndJobs(n);
    const dir = runDir(n);
    const running = run.result === null && o.queue.running(n);
    if (m[2] === undefined) {
      const controls = runControls(v, run, entryOf(o.queue, n));
      send(
        res,
        v,
        path,
        200,
        runPage(
          repo,
          run,
          jobs,
          readPlan(dir),
          running ? (existsSync(dir) ? Math.min(recorded, lastSeq(dir)) : recorded) : undefined,
          controls,
        ),
        t0,
      );
      return true;
    }
    const key = decode(m[2]);
    const job = jobs.find((j) => j.key === key);
    if (!job) throw new HttpError(404, `run ${n} has no job ${key}`);
    // A run of a replica on another machine: its log from the database (db-log.ts).
    if (m[3]) {
      const text = await rawLogOfRun(dir, n, key, history);
      res.writeHead(200, {
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
      });
      res.end(mask(text));
      return true;
    }
    const log = await jobLogOfRun(dir, n, key, history);
    send(res, v, path, 200, jobPage(repo, run, job, log, running && job.result === null), t0);
    return true;
  };

  /** The forms' POSTs (false: not one of the dashboard's, the API answers it). */
  async function post(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (path === "/signin") {
      const { fields } = await access.form(req);
      const next = localPath(fields.get("next"));
      const who = await access.signIn(req, res, fields);
      const from = req.socket.remoteAddress ?? "";
      if (typeof who !== "string") {
        log(`${who.name} (${who.role}) signed in from ${from}`);
        return redirect(res, next);
      }
      log(`a sign-in from ${from} was refused: ${who}`);
      const v = access.viewer(req, res);
      const html = signInPage({
        csrf: v.csrf,
        next,
        error: who,
        passwords: !!o.access?.passwords?.size,
        open: access.open,
      });
      send(res, v, path, 401, html);
      return true;
    }
    if (path === "/signout") {
      await access.form(req);
      access.signOut(req, res);
      return redirect(res, "/");
    }
    const qc = /^\/queue\/(\d{1,9})\/cancel$/.exec(path);
    if (qc) {
      const { identity } = await access.form(req, "run");
      const c = await o.queue.cancel(Number(qc[1]));
      if (c === "none") throw new HttpError(404, `no queued run ${qc[1]}`);
      if (c === "ended") throw new HttpError(409, `queued run ${qc[1]} has ended`);
      log(`${identity?.name} cancelled queued run ${qc[1]}`);
      return redirect(res, "/queue");
    }
    const rm = /^\/agents\/([\w-]{1,64})\/remove$/.exec(path);
    if (rm) {
      const { identity } = await access.form(req, "run");
      const { name } = await removeAgent(o.dispatcher, rm[1]!);
      log(`${identity?.name} removed agent ${name} (${rm[1]})`);
      return redirect(res, "/queue");
    }
    const act = /^\/runs\/(\d{1,9})\/(cancel|rerun)$/.exec(path);
    if (act) {
      const { identity, fields } = await access.form(req, "run");
      const n = Number(act[1]);
      const entry = entryOf(o.queue, n);
      if (act[2] === "cancel") {
        if (!entry || (entry.state !== "queued" && entry.state !== "running"))
          throw new HttpError(409, `run #${n} has ended`);
        await o.queue.cancel(entry.id);
        log(`${identity?.name} cancelled run #${n}`);
        return redirect(res, `/runs/${n}`);
      }
      const { run } = await runAndJobs(n);
      if (run.result === null) throw new HttpError(409, `run #${n} has not ended yet`);
      const request = rerunRequest(run, entry);
      if (!request) throw new HttpError(409, `run #${n} (${run.event}) cannot be re-run from here`);
      const q = await o.queue.add(rerunOf(request, fields.get("jobs"), n), entry?.id);
      log(
        `${identity?.name} re-ran run #${n} (${fields.get("jobs") === "failed" ? "failed jobs" : "all jobs"}) as queued run ${q.id}`,
      );
      return redirect(res, queuedHref(q.id));
    }
    if (await wfRoutes.post(req, res, path)) return true;
    return false;
  }

  /** Errors as pages (a browser shows them), for the dashboard's own addresses. */
  const pages = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    url: URL,
  ): Promise<boolean> => {
    try {
      return await handle(req, res, path, url);
    } catch (err) {
      if (!(err instanceof HttpError) || res.headersSent) throw err;
      const v = access.viewer(req, res);
      send(
        res,
        v,
        path,
        err.status,
        page(`${err.status}`, `<h1>${err.status}</h1><p class="error">${e(err.message)}</p>`),
      );
      return true;
    }
  };
  return Object.assign(pages, {
    // A signed-in session reads the API as the read token does (the live pages follow events there).
    signedIn: (req: IncomingMessage) => !!access.identify(req).session,
    /** Who is signed in and the form checks, for pages served beside these (environments, approvals). */
    access,
    /** Sends a page made with html.ts's page(): the header's links and sign-in filled in, masked. */
    sendPage: (req: IncomingMessage, res: ServerResponse, status: number, html: string) =>
      send(res, access.viewer(req, res), new URL(req.url ?? "/", "http://x").pathname, status, html),
  });

  /** An artifact's files (a listing), or one of them; only names the run's history recorded. */
  async function artifact(
    res: ServerResponse,
    v: Viewer,
    path: string,
    n: number,
    name: string,
    file: string,
  ): Promise<void> {
    const { jobs } = await runAndJobs(n);
    const a = jobs.flatMap((j) => j.artifacts).find((x) => x.name === name);
    if (!a) throw new HttpError(404, `run ${n} has no artifact ${name}`);
    const files = artifactFiles(join(runDir(n), "artifacts", name));
    if (!file) {
      const list = [...files.keys()]
        .map((f) => `<li><a href="${e(f.split("/").map(encodeURIComponent).join("/"))}">${e(f)}</a></li>`)
        .join("");
      send(
        res,
        v,
        path,
        200,
        page(
          `${name} · #${n}`,
          `<p><a href="/runs/${n}">← run #${n}</a></p><h1>${e(name)}</h1><ul>${list}</ul>`,
        ),
      );
      return;
    }
    const abs = files.get(file);
    if (!abs) throw new HttpError(404, `artifact ${name} has no file ${file}`);
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": statSync(abs).size,
      "content-disposition": `attachment; filename="${encodeURIComponent(file.replace(/^.*\//, ""))}"`,
      "x-content-type-options": "nosniff",
    });
    createReadStream(abs).pipe(res);
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, "a bad %-escape in the address");
  }
}

function readPlan(dir: string): RunPlan | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as RunPlan;
  } catch {
    return undefined;
  }
}

/** The seq of the last whole event in events.jsonl (its tail read), so a live page follows from there. */
function lastSeq(dir: string): number {
  const path = join(dir, "events.jsonl");
  if (!existsSync(path)) return 0;
  const size = statSync(path).size;
  const buf = Buffer.alloc(Math.min(size, 256 * 1024));
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, buf.length, size - buf.length);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString("utf8").split("\n");
  // The last line may be half written: only a whole one (a newline after it) counts.
  lines.pop();
  for (let i = lines.length - 1; i >= 0; i--) {
    const s = stamp(lines[i]!);
    if (s) return s.seq;
  }
  return 0;
}
