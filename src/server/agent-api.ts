// The HTTP side of the dispatcher: agents register, lease legs, send events and results
// (/api/agent/*); the server's own runs queue legs and read them back (/api/dispatch/*).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { GroupAnswer, GroupAsk } from "../db/server-groups.js";
import type { JobAssignment } from "../run/assignment.js";
import type { RunEvent } from "../run/events.js";
import type { LegResult } from "../run/job.js";
import type { Approvals } from "./approvals.js";
import type { AgentInfo, LegQueue } from "./dispatch.js";
import { bearer, HttpError, readJson, sameSecret, sendJson } from "./http.js";
import type { AgentPlatform } from "./labels.js";

export interface AgentApiOptions {
  dispatcher: LegQueue;
  /** Deployments waiting for a person (the runs ask here). */
  approvals?: Approvals;
  /** Deployments (src/cd/deployments.ts): an approved leg is recorded and gets its environment's secrets. */
  deployments?: {
    legQueued(run: number, a: JobAssignment, untrusted: boolean): Promise<JobAssignment>;
    legDone(run: number, key: string, r: LegResult): Promise<void>;
  };
  /** Agents register with it (--agent-token); without one, no agent can. */
  registrationToken?: string;
  /** The server's runs queue legs with it (given to them in their environment). */
  dispatchToken: string;
  /** A run the server started says its number (RunQueue.started); false: not running here. */
  started?: (queued: number, run: number) => Promise<boolean>;
  /** A run the server started asks for its concurrency groups (RunQueue.groups). */
  groups?: (queued: number, asks: GroupAsk[], waitMs: number) => Promise<GroupAnswer>;
  /** A run the server started says which of its jobs wait for a concurrency group (RunQueue.jobsWaiting). */
  jobsWaiting?: (queued: number, waits: Record<string, string>) => Promise<boolean>;
  /** Longest long poll (ms). */
  maxWaitMs: number;
  mask: (t: string) => string;
  /** Counted refusals (for /api/server and /metrics). */
  unauthorized: () => void;
}

const MB = 1024 * 1024;

const RESULTS = new Set(["success", "failure", "cancelled", "skipped"]);

function str(v: unknown, what: string, max = 200): string {
  if (typeof v !== "string" || !v || v.length > max) throw new HttpError(400, `${what} must be a string`);
  return v;
}

function labelList(v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((l) => typeof l === "string" && /^[\w.:-]{1,100}$/.test(l)))
    throw new HttpError(400, "labels must be a list of names (letters, digits, . _ : -)");
  return v as string[];
}

function legResult(v: unknown): LegResult {
  const r = v as LegResult | undefined;
  if (
    !r ||
    typeof r !== "object" ||
    !RESULTS.has(r.result) ||
    typeof r.outputs !== "object" ||
    r.outputs === null
  )
    throw new HttpError(400, "result must be {result, outputs, reason?}");
  return {
    result: r.result,
    outputs: r.outputs,
    ...(typeof r.reason === "string" ? { reason: r.reason } : {}),
    ...(typeof r.environmentUrl === "string" && r.environmentUrl.length <= 2048
      ? { environmentUrl: r.environmentUrl }
      : {}),
  };
}

/**
 * 410 Gone: an admin removed this agent. Not 401, which tells an agent to register again: a
 * removed agent stops (src/agent/agent.ts).
 */
function removedError(a: AgentInfo): HttpError {
  return new HttpError(
    410,
    `agent ${a.name} (${a.id}) was removed from this server by an admin at ${new Date(a.removed!).toISOString()}`,
  );
}

/** Handles /api/agent/* and /api/dispatch/*; false when the path is not one of them. */
export function agentApi(o: AgentApiOptions) {
  const d = o.dispatcher;
  const json = (res: ServerResponse, status: number, body: unknown) => sendJson(res, status, body, o.mask);
  const wait = (v: unknown) => Math.max(0, Math.min(Number(v ?? 0) || 0, o.maxWaitMs));

  const agent = async (req: IncomingMessage): Promise<AgentInfo> => {
    const t = bearer(req);
    const a = t ? await d.agentByToken(t) : undefined;
    if (!a) {
      o.unauthorized();
      // 401 tells an agent to register again (a restarted server knows no agent).
      throw new HttpError(401, "unknown agent token: register again");
    }
    if (a.removed) throw removedError(a);
    return a;
  };

  const dispatchAuth = (req: IncomingMessage) => {
    const t = bearer(req);
    if (!t || !sameSecret(t, o.dispatchToken)) {
      o.unauthorized();
      throw new HttpError(401, "a valid dispatch token is required");
    }
  };

  return async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (!path.startsWith("/api/agent/") && !path.startsWith("/api/dispatch/")) return false;
    if (req.method !== "POST") throw new HttpError(405, "POST only");
    switch (path) {
      case "/api/agent/register": {
        const t = bearer(req);
        if (!o.registrationToken || !t || !sameSecret(t, o.registrationToken)) {
          o.unauthorized();
          throw new HttpError(
            401,
            o.registrationToken
              ? "a valid registration token is required"
              : "no agent token is set (--agent-token)",
          );
        }
        const b = await readJson<Record<string, unknown>>(req, MB);
        const platform = b.platform as AgentPlatform | undefined;
        if (
          !platform ||
          !["linux", "windows", "macos"].includes(platform.os) ||
          !["x64", "arm64", "arm"].includes(platform.arch)
        )
          throw new HttpError(400, "platform must be {os: linux|windows|macos, arch: x64|arm64|arm}");
        const capacity = Number(b.capacity ?? 1);
        if (!Number.isInteger(capacity) || capacity < 1 || capacity > 256)
          throw new HttpError(400, "capacity must be a whole number from 1 to 256");
        const a = await d.register({
          name: str(b.name, "name"),
          labels: labelList(b.labels),
          platform,
          capacity,
          sandbox: b.sandbox === true,
        });
        json(res, 200, { agent: a.id, token: a.token });
        return true;
      }
      case "/api/agent/lease": {
        const a = await agent(req);
        const b = await readJson<{ wait?: number }>(req, MB);
        const leg = await d.lease(a, wait(b.wait));
        // Removed while it waited: told now, not at its next request.
        if (!leg && a.removed) throw removedError(a);
        if (!leg) {
          res.writeHead(204);
          res.end();
          return true;
        }
        // The assignment carries its secret values: sent to this agent only, over its token,
        // and not masked (the job needs them; the agent masks what the job prints).
        sendJson(res, 200, {
          lease: leg.lease!.id,
          leg: leg.id,
          run: leg.run,
          attempt: leg.attempt,
          untrusted: leg.untrusted,
          assignment: leg.assignment,
        });
        return true;
      }
      case "/api/agent/events": {
        const a = await agent(req);
        const b = await readJson<{ lease?: unknown; from?: unknown; events?: unknown }>(req, 16 * MB);
        const from = Number(b.from);
        if (!Number.isInteger(from) || from < 1 || !Array.isArray(b.events))
          throw new HttpError(400, "events must be {lease, from (seq of the first, from 1), events: [...]}");
        const kept = await d.events(a, str(b.lease, "lease"), from, b.events as RunEvent[]);
        if (!kept) throw new HttpError(409, "the lease is not yours (lost or finished)");
        json(res, 200, kept);
        return true;
      }
      case "/api/agent/heartbeat": {
        const a = await agent(req);
        const b = await readJson<{ leases?: unknown }>(req, MB);
        const leases = Array.isArray(b.leases)
          ? b.leases.filter((x): x is string => typeof x === "string")
          : [];
        json(res, 200, await d.heartbeat(a, leases));
        return true;
      }
      case "/api/agent/complete": {
        const a = await agent(req);
        const b = await readJson<{ lease?: unknown; result?: unknown }>(req, MB);
        if (!(await d.complete(a, str(b.lease, "lease"), legResult(b.result))))
          throw new HttpError(409, "the lease is not yours (lost, re-queued, or finished): result refused");
        json(res, 200, { ok: true });
        return true;
      }
      case "/api/dispatch/legs": {
        dispatchAuth(req);
        const b = await readJson<{
          run?: unknown;
          assignment?: unknown;
          untrusted?: unknown;
          queued?: unknown;
        }>(req, 64 * MB);
        let a = b.assignment as JobAssignment | undefined;
        if (!a || typeof a !== "object" || typeof a.key !== "string" || !Array.isArray(a.runsOn))
          throw new HttpError(400, "assignment must be a job assignment");
        if (o.deployments) a = await o.deployments.legQueued(Number(b.run) || 0, a, b.untrusted === true);
        const leg = await d.enqueue(
          Number(b.run) || 0,
          a,
          b.untrusted === true,
          Number(b.queued) || undefined,
        );
        json(res, 200, { leg: leg.id });
        return true;
      }
      case "/api/dispatch/next": {
        dispatchAuth(req);
        const b = await readJson<{ leg?: unknown; after?: unknown; wait?: unknown }>(req, MB);
        const after = Number(b.after ?? 0);
        if (!Number.isInteger(after) || after < 0)
          throw new HttpError(400, "after must be a count of events read");
        const next = await d.next(str(b.leg, "leg"), after, wait(b.wait));
        if (!next) throw new HttpError(404, "no such leg");
        // With its result, the leg says whose it was (the queue forgets it once read).
        const { leg, ...answer } = next;
        if (leg && next.result) await o.deployments?.legDone(leg.run, leg.key, next.result);
        json(res, 200, answer);
        return true;
      }
      case "/api/dispatch/approval": {
        dispatchAuth(req);
        if (!o.approvals) throw new HttpError(404, "this server takes no approvals");
        const b = await readJson<{
          run?: unknown;
          job?: unknown;
          name?: unknown;
          environment?: unknown;
          wait?: unknown;
          queued?: unknown;
          trigger?: { event?: unknown; ref?: unknown; sha?: unknown; actor?: unknown };
        }>(req, MB);
        const t = b.trigger;
        const decision = await o.approvals.ask(
          {
            run: Number(b.run) || 0,
            job: str(b.job, "job"),
            name: str(b.name, "name", 1000),
            environment: str(b.environment, "environment"),
            ...(Number.isInteger(b.queued) ? { queued: b.queued as number } : {}),
            ...(t && typeof t.ref === "string" && typeof t.sha === "string"
              ? {
                  trigger: {
                    event: String(t.event ?? ""),
                    ref: t.ref,
                    sha: t.sha,
                    ...(typeof t.actor === "string" ? { actor: t.actor } : {}),
                  },
                }
              : {}),
          },
          wait(b.wait),
        );
        json(res, 200, decision ? { decided: true, ...decision } : { decided: false });
        return true;
      }
      case "/api/dispatch/started": {
        dispatchAuth(req);
        const b = await readJson<{ queued?: unknown; run?: unknown }>(req, MB);
        const queued = Number(b.queued);
        const run = Number(b.run);
        if (!Number.isInteger(queued) || queued < 1 || !Number.isInteger(run) || run < 1)
          throw new HttpError(400, "started must be {queued, run}");
        if (!(await o.started?.(queued, run)))
          throw new HttpError(404, `queued run ${queued} is not running here`);
        json(res, 200, { ok: true });
        return true;
      }
      case "/api/dispatch/groups": {
        dispatchAuth(req);
        const b = await readJson<{ queued?: unknown; groups?: unknown; wait?: unknown }>(req, MB);
        const queued = Number(b.queued);
        const asks = b.groups as GroupAsk[] | undefined;
        if (
          !Number.isInteger(queued) ||
          queued < 1 ||
          !Array.isArray(asks) ||
          !asks.every(
            (g) => typeof g?.group === "string" && g.group.length <= 1000 && typeof g.cancel === "boolean",
          )
        )
          throw new HttpError(400, "groups must be {queued, groups: [{group, cancel}], wait}");
        if (!o.groups) throw new HttpError(404, "this server keeps no concurrency groups");
        json(res, 200, await o.groups(queued, asks, wait(b.wait)));
        return true;
      }
      case "/api/dispatch/waits": {
        dispatchAuth(req);
        const b = await readJson<{ queued?: unknown; waits?: unknown }>(req, MB);
        const queued = Number(b.queued);
        const w = b.waits as Record<string, unknown> | undefined;
        if (
          !Number.isInteger(queued) ||
          !w ||
          typeof w !== "object" ||
          !Object.values(w).every((v) => typeof v === "string" && v.length <= 2000)
        )
          throw new HttpError(400, "waits must be {queued, waits: {job: why}}");
        if (!(await o.jobsWaiting?.(queued, w as Record<string, string>)))
          throw new HttpError(404, `queued run ${queued} is not running here`);
        json(res, 200, { ok: true });
        return true;
      }
      case "/api/dispatch/cancel": {
        dispatchAuth(req);
        const b = await readJson<{ leg?: unknown }>(req, MB);
        await d.cancel(str(b.leg, "leg"));
        json(res, 200, { ok: true });
        return true;
      }
    }
    throw new HttpError(404, "not found");
  };
}
