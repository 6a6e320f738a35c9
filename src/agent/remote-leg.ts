// A run started by `slipway serve` runs its legs on the server's agents: each leg is queued
// with the server, and its events (as the agent sent them) and result are read back in long
// polls and emitted into the run as if it had run here.
import type { JobAssignment } from "../run/assignment.js";
import type { Emit, RunEvent } from "../run/events.js";
import type { LegResult } from "../run/job.js";
import type { LegRunner } from "../run/ports.js";
import { post, ServerError, sleep } from "./http.js";

export interface RemoteLegOptions {
  url: string;
  token: string;
  run: number;
  /** A fork's pull request: only an agent with the sandbox may take its legs. */
  untrusted: boolean;
  /** The server's queue row of the run (its legs are cancelled if the run's server dies). */
  queued?: number;
  /** How long the server may be unreachable before the leg fails (ms). */
  patienceMs?: number;
}

export function remoteLegRunner(o: RemoteLegOptions): LegRunner {
  const patience = o.patienceMs ?? 30_000;
  const call = <T>(path: string, body: unknown) => post<T>(o.url, path, o.token, body);

  return async (a: JobAssignment, emit: Emit, signal: AbortSignal): Promise<LegResult> => {
    let started = false;
    let ended = false;
    const end = (r: LegResult): LegResult => {
      // A leg the server settled without an agent (cancelled while waiting, lost twice) has
      // no job-end of its own: the run still shows how it ended and why.
      if (!started) emit({ type: "job-start", job: a.key, name: a.name, labels: a.runsOn });
      if (!ended)
        emit({
          type: "job-end",
          job: a.key,
          name: a.name,
          result: r.result,
          durationMs: 0,
          ...(r.reason ? { reason: r.reason } : {}),
          outputs: r.outputs,
        });
      return r;
    };
    let leg = "";
    // A server that does not answer is waited for (a restart), up to `patience`; a refusal is final.
    for (const since = Date.now(); !leg; ) {
      try {
        const body = { run: o.run, assignment: a, untrusted: o.untrusted, queued: o.queued };
        leg = (await call<{ leg: string }>("/api/dispatch/legs", body))!.leg;
      } catch (e) {
        const gone = !(e instanceof ServerError);
        if (gone && signal.aborted)
          return end({ result: "cancelled", outputs: {}, reason: "cancelled: the server went away" });
        if (!gone || Date.now() - since > patience)
          return end({
            result: "failure",
            outputs: {},
            reason: `the server did not queue the job: ${(e as Error).message}`,
          });
        await sleep(250, signal);
      }
    }
    let cancelSent = false;
    const cancel = () => {
      if (cancelSent) return;
      cancelSent = true;
      call("/api/dispatch/cancel", { leg }).catch(() => {});
    };
    signal.addEventListener("abort", cancel, { once: true });
    if (signal.aborted) cancel();
    let after = 0;
    let failingSince: number | undefined;
    try {
      for (;;) {
        let next: { events: RunEvent[]; after?: number; result?: LegResult };
        try {
          next = (await call<typeof next>("/api/dispatch/next", { leg, after, wait: 20_000 }))!;
          failingSince = undefined;
        } catch (e) {
          if (e instanceof ServerError && e.status === 404)
            return end({ result: "failure", outputs: {}, reason: "the server lost the job (restarted?)" });
          failingSince ??= Date.now();
          // Cancelled and the server is gone: nothing more will come.
          if (signal.aborted || Date.now() - failingSince > patience)
            return end({
              result: signal.aborted ? "cancelled" : "failure",
              outputs: {},
              reason: `the server went away: ${(e as Error).message}`,
            });
          await sleep(500);
          continue;
        }
        for (const e of next.events) {
          // A leg run again on another agent starts again: shown once.
          if (e.type === "job-start") {
            if (started) continue;
            started = true;
          }
          if (e.type === "job-end") ended = true;
          emit(e);
        }
        // The server's cursor (a database's event ids), or a count of the events read.
        after = next.after ?? after + next.events.length;
        if (next.result) return end(next.result);
      }
    } finally {
      signal.removeEventListener("abort", cancel);
    }
  };
}
