// `slipway agent`: registers with a server, leases the legs its labels satisfy, runs them with
// its own executor (the same runLeg as `slipway run`), and sends their events back in order
// with sequence numbers: a batch whose answer was lost is sent again and the server keeps it
// once. Leases are renewed by heartbeats; a lease the server says is lost stops its job, and a
// leg the run cancelled is cancelled here (its always() and post steps still run). An agent
// an admin removed (410 Gone) stops its jobs and ends with AgentRemoved, not registering again.
import { mkdirSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { JobAssignment } from "../run/assignment.js";
import { maskEvent } from "../run/event-gate.js";
import type { RunEvent } from "../run/events.js";
import { HostExecutor } from "../run/executor/host.js";
import { sandboxOrHost } from "../run/executor/sandbox-choice.js";
import type { Executor } from "../run/executor/types.js";
import { type LegResult, runLeg } from "../run/job.js";
import { Masker } from "../run/mask.js";
import { defaultLabels, thisPlatform } from "../server/labels.js";
import { post as postTo, ServerError, sleep } from "./http.js";

export interface AgentOptions {
  url: string;
  /** The server's registration token. */
  token: string;
  name: string;
  /** Labels beyond self-hosted, the OS and the architecture. */
  labels: string[];
  capacity: number;
  /** Run jobs on the host even where the sandbox works. */
  noSandbox: boolean;
  /** Where job folders go (one per lease). */
  workDir: string;
  toolCache: string;
  heartbeatMs: number;
  log: (t: string) => void;
  signal: AbortSignal;
}

/** An admin removed this agent from the server (410 Gone): it ends and does not register again. */
export class AgentRemoved extends Error {}

interface Lease {
  lease: string;
  leg: string;
  run: number;
  attempt: number;
  untrusted: boolean;
  assignment: JobAssignment;
}

interface Running {
  ac: AbortController;
  /** The server no longer holds this lease: the result is not sent. */
  lost: boolean;
  done: Promise<void>;
}

/** Sends a lease's events in order, in batches, until all are acknowledged. */
class EventSender {
  private pending: RunEvent[] = [];
  /** Seq of pending[0]. */
  private first = 1;
  private sending?: Promise<void>;
  cancel = false;

  constructor(
    private readonly send: (from: number, events: RunEvent[]) => Promise<{ acked: number; cancel: boolean }>,
    private readonly onCancel: () => void,
    /** The agent is stopping: an unreachable server is not waited for long. */
    private readonly stopping: AbortSignal,
  ) {}

  push(e: RunEvent): void {
    this.pending.push(e);
    this.sending ??= this.loop();
  }

  /** Resolves when every event pushed so far is acknowledged (or the lease is gone). */
  async drain(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private async loop(): Promise<void> {
    // A short pause gathers a burst of lines into one request.
    await sleep(20);
    let failures = 0;
    while (this.pending.length) {
      const batch = this.pending.slice(0, 500);
      try {
        const r = await this.send(this.first, batch);
        failures = 0;
        const kept = r.acked - this.first + 1;
        if (kept > 0) {
          this.pending.splice(0, kept);
          this.first += kept;
        }
        if (r.cancel && !this.cancel) {
          this.cancel = true;
          this.onCancel();
        }
      } catch (e) {
        if (e instanceof ServerError && (e.status === 409 || e.status === 410)) {
          this.pending = []; // the lease is gone: nobody will read these
          break;
        }
        if (this.stopping.aborted && failures >= 3) {
          this.pending = [];
          break;
        }
        await sleep(Math.min(5000, 200 * 2 ** failures++));
      }
    }
    this.sending = undefined;
  }
}

export async function runAgent(o: AgentOptions): Promise<void> {
  const platform = thisPlatform();
  const choice = o.noSandbox
    ? { executor: new HostExecutor() as Executor, header: "executor: host (--no-sandbox)" }
    : sandboxOrHost(tmpdir());
  const executor = choice.executor;
  const sandbox = executor.name === "sandbox";
  o.log(choice.header);
  const labels = [...defaultLabels(platform), ...o.labels];
  // Replicas sharing PostgreSQL (--server A,B): a replica that cannot be reached is left for
  // the next; the agent's token and leases are rows every replica knows.
  const servers = o.url.split(",");
  let at = 0;
  // Ends the agent's loop: the caller's signal, or this agent being removed.
  const quit = new AbortController();
  const onStop = () => quit.abort();
  o.signal.addEventListener("abort", onStop, { once: true });
  let removed: AgentRemoved | undefined;
  const post = async <T>(_url: string, path: string, token: string, body: unknown, signal?: AbortSignal) => {
    const url = servers[at % servers.length]!;
    try {
      return await postTo<T>(url, path, token, body, signal);
    } catch (e) {
      if (!(e instanceof ServerError) && servers[at % servers.length] === url) at++;
      if (e instanceof ServerError && e.status === 410 && !removed) {
        removed = new AgentRemoved(e.message.replace(/^\S+: 410 /, ""));
        o.log(`removed by the server: ${removed.message}; stopping`);
        // Its jobs are the server's to give to other agents now: stopped, their results not sent.
        for (const r of running.values()) {
          r.lost = true;
          r.ac.abort();
        }
        quit.abort();
      }
      throw e;
    }
  };
  let agentToken = "";
  const register = async () => {
    for (let delay = 200; !quit.signal.aborted; delay = Math.min(delay * 2, 5000)) {
      try {
        const r = await post<{ agent: string; token: string }>(o.url, "/api/agent/register", o.token, {
          name: o.name,
          labels,
          platform,
          capacity: o.capacity,
          sandbox,
        });
        agentToken = r!.token;
        o.log(`registered with ${o.url} as ${o.name} (${r!.agent}): ${labels.join(", ")}`);
        return;
      } catch (e) {
        if (e instanceof ServerError && e.status === 401) throw e;
        o.log(`cannot reach ${o.url}: ${(e as Error).message}; trying again`);
        await sleep(delay, quit.signal);
      }
    }
  };
  const call = async <T>(path: string, body: unknown, signal?: AbortSignal): Promise<T | undefined> => {
    try {
      return await post<T>(o.url, path, agentToken, body, signal);
    } catch (e) {
      // A restarted server knows no agent: register again (its leases are gone with it).
      if (e instanceof ServerError && e.status === 401 && path !== "/api/agent/register") {
        for (const r of running.values()) {
          r.lost = true;
          r.ac.abort();
        }
        await register();
      }
      throw e;
    }
  };

  const running = new Map<string, Running>();
  await register();

  const heartbeat = setInterval(() => {
    if (!running.size) return;
    call<{ lost: string[]; cancel: string[] }>("/api/agent/heartbeat", { leases: [...running.keys()] })
      .then((r) => {
        for (const id of r?.lost ?? []) {
          const job = running.get(id);
          if (!job) continue;
          job.lost = true;
          job.ac.abort();
          o.log(`lease ${id} lost: its job is stopped`);
        }
        for (const id of r?.cancel ?? []) running.get(id)?.ac.abort();
      })
      .catch(() => {});
  }, o.heartbeatMs);

  const runOne = async (l: Lease): Promise<void> => {
    const ac = new AbortController();
    const job: Running = { ac, lost: false, done: Promise.resolve() };
    running.set(l.lease, job);
    const workRoot = join(o.workDir, l.lease);
    const a: JobAssignment = {
      ...l.assignment,
      prepare: { ...l.assignment.prepare, workRoot, toolCache: o.toolCache },
    };
    const masker = new Masker();
    for (const v of Object.values(a.secrets ?? {})) masker.add(typeof v === "string" ? v : JSON.stringify(v));
    const sender = new EventSender(
      async (from, events) =>
        (await post<{ acked: number; cancel: boolean }>(o.url, "/api/agent/events", agentToken, {
          lease: l.lease,
          from,
          events,
        }))!,
      () => ac.abort(),
      quit.signal,
    );
    o.log(`run ${l.run}: ${a.name} (attempt ${l.attempt})`);
    let result: LegResult;
    try {
      mkdirSync(workRoot, { recursive: true });
      result = await runLeg(a, {
        executor,
        masker,
        // Masked here, before the events leave: ::add-mask:: values are known only to this job.
        emit: (e) =>
          sender.push(
            maskEvent(
              masker,
              e.type === "job-start" ? { ...e, runner: { name: o.name, executor: executor.name } } : e,
            ),
          ),
        signal: ac.signal,
      });
    } catch (e) {
      result = { result: "failure", outputs: {}, reason: `the agent failed: ${(e as Error).message}` };
    } finally {
      rmSync(workRoot, { recursive: true, force: true });
    }
    await sender.drain();
    for (
      let delay = 200, tries = 0;
      !job.lost && !(quit.signal.aborted && tries > 3);
      delay = Math.min(delay * 2, 5000), tries++
    ) {
      try {
        await post(o.url, "/api/agent/complete", agentToken, { lease: l.lease, result });
        break;
      } catch (e) {
        if (e instanceof ServerError && (e.status === 409 || e.status === 401)) {
          o.log(`run ${l.run}: ${a.name}: result refused (${e.message})`);
          break;
        }
        await sleep(delay);
      }
    }
    running.delete(l.lease);
    o.log(`run ${l.run}: ${a.name}: ${result.result}`);
  };

  const stop = new Promise<void>((resolve) =>
    quit.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  try {
    while (!quit.signal.aborted) {
      if (running.size >= o.capacity) {
        await Promise.race([stop, ...[...running.values()].map((r) => r.done)]);
        continue;
      }
      let l: Lease | undefined;
      try {
        l = await call<Lease>("/api/agent/lease", { wait: 20_000 }, quit.signal);
      } catch (e) {
        if (quit.signal.aborted) break;
        if (!(e instanceof ServerError && e.status === 401)) await sleep(1000, quit.signal);
        continue;
      }
      if (!l) continue;
      const r = runOne(l);
      const job = running.get(l.lease);
      if (job) job.done = r;
    }
  } finally {
    clearInterval(heartbeat);
    // Stopping: the jobs here are cancelled, their results sent, then the executor closed.
    for (const r of running.values()) r.ac.abort();
    await Promise.all([...running.values()].map((r) => r.done));
    await executor.close?.();
    o.signal.removeEventListener("abort", onStop);
  }
  if (removed) throw removed;
}

export function defaultAgentName(): string {
  return `${hostname()}-${process.pid}`;
}
