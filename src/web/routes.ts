import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { basename, join } from "node:path";
import { readHistory } from "../cli/common.js";
import { jobsOfRun, listRunsPage, runByNumber } from "../db/reads.js";
import type { RunPlan } from "../plan/run-plan.js";
import { safe } from "../report/run-folder.js";
import type { Masker } from "../run/mask.js";
import type { Dispatcher } from "../server/dispatch.js";
import { HttpError } from "../server/http.js";
import type { RunQueue } from "../server/queue.js";
import { stamp } from "../server/sse.js";
import { artifactFiles } from "./artifacts.js";
import { CSS, LIVE_JS } from "./assets.js";
import { e, escapeHtml, page, sendHtml } from "./html.js";
import { jobLog } from "./job-log.js";
import { jobPage } from "./job-page.js";
import { runPage } from "./run-page.js";
import { runsPage, runsQuery } from "./runs-page.js";

export interface WebOptions {
  root: string;
  db?: string;
  queue: Pick<RunQueue, "list" | "running">;
  dispatcher?: Pick<Dispatcher, "listAgents" | "queue">;
  masker: Masker;
}

/**
 * The dashboard's pages (GET only; false for any other request, which the API then answers).
 * They read what the API reads — the history database, the run folders, the queue and the
 * dispatcher — and are masked with the server's masker as its JSON is.
 */
export function webRoutes(o: WebOptions) {
  const repo = basename(o.root);
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

  return async (req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> => {
    const method = req.method ?? "GET";
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
      sendHtml(res, 200, runsPage(repo, q, rows, panel), mask, t0);
      return true;
    }
    const m = /^\/runs\/(\d{1,9})(?:\/jobs\/([^/]+)(\/log\.txt)?|\/artifacts\/([^/]+)\/(.*))?$/.exec(path);
    if (!m) return false;
    const n = Number(m[1]);
    if (m[4] !== undefined) {
      await artifact(res, n, decode(m[4]), decode(m[5] ?? ""));
      return true;
    }
    const { run, jobs } = await runAndJobs(n);
    const dir = runDir(n);
    const running = run.result === null && o.queue.running(n);
    if (m[2] === undefined) {
      sendHtml(
        res,
        200,
        runPage(repo, run, jobs, readPlan(dir), running ? lastSeq(dir) : undefined),
        mask,
        t0,
      );
      return true;
    }
    const key = decode(m[2]);
    const job = jobs.find((j) => j.key === key);
    if (!job) throw new HttpError(404, `run ${n} has no job ${key}`);
    if (m[3]) {
      const file = join(dir, "logs", `${safe(key)}.log`);
      res.writeHead(200, {
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
      });
      res.end(existsSync(file) ? mask(readFileSync(file, "utf8")) : "");
      return true;
    }
    sendHtml(res, 200, jobPage(repo, run, job, jobLog(dir, key), running && job.result === null), mask, t0);
    return true;
  };

  /** An artifact's files (a listing), or one of them; only names the run's history recorded. */
  async function artifact(res: ServerResponse, n: number, name: string, file: string): Promise<void> {
    const { jobs } = await runAndJobs(n);
    const a = jobs.flatMap((j) => j.artifacts).find((x) => x.name === name);
    if (!a) throw new HttpError(404, `run ${n} has no artifact ${name}`);
    const files = artifactFiles(join(runDir(n), "artifacts", name));
    if (!file) {
      const list = [...files.keys()]
        .map((f) => `<li><a href="${e(f.split("/").map(encodeURIComponent).join("/"))}">${e(f)}</a></li>`)
        .join("");
      sendHtml(
        res,
        200,
        page(
          `${name} · #${n}`,
          `<p><a href="/runs/${n}">← run #${n}</a></p><h1>${e(name)}</h1><ul>${list}</ul>`,
        ),
        mask,
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
