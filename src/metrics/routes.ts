// The metrics' part of the server's API: GET /api/dora, GET /api/stats, incidents
// (GET /api/incidents; POST /api/incidents and /api/incidents/ID/close with the admin token)
// and the badges. The server calls it before its own routes; false: not ours.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, readJson } from "../server/http.js";
import { type Badges, sendBadge } from "./badges.js";
import type { MetricsService } from "./service.js";

/** What the server lends its routes: its token checks and its masked JSON answer. */
export interface RouteHelp {
  /** Throws 401 unless the request carries the admin token. */
  admin(req: IncomingMessage): void;
  /** Throws 401 unless the request may read (the read or admin token, when a read token is set). */
  read(req: IncomingMessage): void;
  json(res: ServerResponse, status: number, body: unknown): void;
}

export type ExtraRoutes = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  url: URL,
  help: RouteHelp,
) => Promise<boolean>;

const ENVIRONMENT = /^[\w .-]{1,255}$/;

/** A window in days: 7, 30 or 90 by default, any whole number from 1 to 366. */
export function windowDays(v: string | null, dflt = 30): number {
  if (v === null || v === "") return dflt;
  const n = Number(v);
  if (!/^\d{1,3}$/.test(v) || n < 1 || n > 366)
    throw new HttpError(400, "days must be a whole number from 1 to 366");
  return n;
}

export function metricsRoutes(
  m: MetricsService,
  badges: Badges,
  notifications?: { status(): unknown },
): ExtraRoutes {
  return async (req, res, path, url, h) => {
    const method = req.method ?? "GET";
    if (path === "/api/notifications" && notifications) {
      if (method !== "GET") throw new HttpError(405, "GET only");
      h.read(req);
      h.json(res, 200, notifications.status());
      return true;
    }
    if (path.startsWith("/badges/")) {
      if (method !== "GET" && method !== "HEAD") throw new HttpError(405, "GET only");
      h.read(req);
      const b = await badges.svg(path, url);
      if (!b) throw new HttpError(404, "no such badge (/badges/<workflow>.svg, coverage.svg, score.svg)");
      sendBadge(req, res, b.svg, b.maxAge);
      return true;
    }
    if (path === "/api/dora") {
      if (method !== "GET") throw new HttpError(405, "GET only");
      h.read(req);
      const env = url.searchParams.get("env") ?? undefined;
      h.json(res, 200, await m.dora(windowDays(url.searchParams.get("days")), env || undefined));
      return true;
    }
    if (path === "/api/stats") {
      if (method !== "GET") throw new HttpError(405, "GET only");
      h.read(req);
      const last = Number(url.searchParams.get("last") ?? 50);
      if (!Number.isInteger(last) || last < 1 || last > 10_000)
        throw new HttpError(400, "last must be a whole number from 1 to 10000");
      h.json(res, 200, await m.stats(windowDays(url.searchParams.get("days")), last));
      return true;
    }
    if (path === "/api/incidents") {
      if (method === "GET") {
        h.read(req);
        const open = url.searchParams.get("open") === "1";
        const all = await m.incidents();
        h.json(res, 200, { incidents: open ? all.filter((x) => x.closedAt === undefined) : all });
        return true;
      }
      if (method !== "POST") throw new HttpError(405, "GET or POST");
      h.admin(req);
      const b = await readJson<{ environment?: unknown; reason?: unknown; deployment?: unknown }>(
        req,
        64 * 1024,
      );
      if (typeof b.environment !== "string" || !ENVIRONMENT.test(b.environment))
        throw new HttpError(400, "environment must be an environment's name");
      if (typeof b.reason !== "string" || !b.reason.trim() || b.reason.length > 2000)
        throw new HttpError(400, "reason must be a text of 1 to 2000 characters");
      if (b.deployment !== undefined && !(Number.isInteger(b.deployment) && (b.deployment as number) > 0))
        throw new HttpError(400, "deployment must be a deployment's id");
      const made = await m.openIncident({
        environment: b.environment,
        reason: b.reason.trim(),
        ...(b.deployment !== undefined ? { deployment: b.deployment as number } : {}),
      });
      res.setHeader("location", `/api/incidents/${made.id}`);
      h.json(res, 201, made);
      return true;
    }
    const close = /^\/api\/incidents\/(\d{1,12})\/close$/.exec(path);
    if (close) {
      if (method !== "POST") throw new HttpError(405, "POST only");
      h.admin(req);
      const b = await readJson<{ rootCauseSha?: unknown } | null>(req, 64 * 1024).catch((e: HttpError) => {
        // An empty body closes without a root cause.
        if (e.status === 400 && req.headers["content-length"] === "0") return null;
        throw e;
      });
      const sha = b?.rootCauseSha;
      if (sha !== undefined && (typeof sha !== "string" || !/^[0-9a-f]{7,64}$/i.test(sha)))
        throw new HttpError(400, "rootCauseSha must be a commit's sha (7 to 64 hex digits)");
      const id = Number(close[1]);
      const r = await m.closeIncident(id, sha?.toLowerCase());
      if (r === undefined) throw new HttpError(404, `no incident ${id}`);
      if (r === "closed") throw new HttpError(409, `incident ${id} is closed already`);
      h.json(res, 200, r);
      return true;
    }
    return false;
  };
}
