// What the dashboard's buttons do: cancel a run, re-run it (all jobs, or the failed ones), and
// start a workflow by hand. Each is a POST from a page, checked by Access.form (same origin,
// CSRF token, role) before anything is queued; the answer is a redirect to where to look next.
import type { RunRow } from "../db/reads.js";
import type { Queued, RunQueue, RunRequest } from "../server/queue.js";
import { webhookRun } from "../server/webhook.js";
import type { Viewer } from "./access.js";
import { e, postForm } from "./html.js";

export type QueueActions = Pick<RunQueue, "list" | "running" | "add" | "cancel" | "get">;

/** The queued entry a run came from (the queue keeps the newest few hundred in view). */
export function entryOf(queue: Pick<RunQueue, "list">, run: number): Queued | undefined {
  return queue
    .list()
    .filter((q) => q.run === run)
    .at(-1);
}

/**
 * What a run is asked again with: its queued request when the queue still shows it, else
 * rebuilt from the recorded run as its trigger made it (a fork's pull request stays untrusted,
 * as the webhook decides). Undefined: this run cannot be re-run from here (no trigger to repeat).
 */
export function rerunRequest(run: RunRow, entry: Queued | undefined): RunRequest | undefined {
  if (entry) return { ...entry.request, delivery: undefined };
  const payload = (run.payload ?? {}) as Record<string, unknown>;
  if (run.event === "push" || run.event === "pull_request") {
    const w = webhookRun(run.event, payload, "");
    return w.kind === "run" ? { ...w.request, delivery: undefined, actor: run.actor } : undefined;
  }
  const only = run.workflows.length === 1 ? run.workflows[0] : undefined;
  if (run.event === "workflow_dispatch") {
    const inputs: Record<string, string> = {};
    for (const [k, v] of Object.entries((payload.inputs ?? {}) as Record<string, unknown>))
      inputs[k] = typeof v === "string" ? v : JSON.stringify(v);
    return {
      event: run.event,
      ref: run.ref,
      inputs,
      payload,
      actor: run.actor,
      ...(only ? { workflow: only } : {}),
    };
  }
  if (run.event === "schedule" && only) return { event: run.event, ref: run.ref, payload, workflow: only };
  return undefined;
}

/** The run page's buttons, for someone who may run: cancel while it goes, re-run once it ended. */
export function runControls(v: Viewer, run: RunRow, entry: Queued | undefined): string {
  if (!v.can("run")) return "";
  const n = run.number;
  // The recorded result wins: the queue marks its entry done a moment after the run has ended.
  const going = run.result === null && entry && (entry.state === "queued" || entry.state === "running");
  if (going)
    return `<div class="controls">${postForm(`/runs/${n}/cancel`, v.csrf, `<button class="danger" id="cancel">${entry.cancelRequested ? "Cancelling…" : "Cancel run"}</button>`)}</div>`;
  if (run.result === null || !rerunRequest(run, entry)) return "";
  const failed = run.result === "failure" || run.result === "cancelled";
  return `<div class="controls">${postForm(
    `/runs/${n}/rerun`,
    v.csrf,
    `<input type="hidden" name="jobs" value="all"><button id="rerun-all">Re-run all jobs</button>`,
  )}${
    failed
      ? postForm(
          `/runs/${n}/rerun`,
          v.csrf,
          `<input type="hidden" name="jobs" value="failed"><button id="rerun-failed" title="Jobs that succeeded are reused (their outputs and artifacts kept); the failed ones and what needs them run again">Re-run failed jobs</button>`,
        )
      : ""
  }</div>`;
}

/**
 * A re-run of run `n`, a new attempt of it (github.run_id and run_number kept): all jobs run
 * again (job reuse off), or only the failed ones (the jobs that succeeded in run `n` kept,
 * deployments and publishing included, as GitHub keeps them).
 */
export function rerunOf(request: RunRequest, jobs: string | null, n: number): RunRequest {
  const { reuse: _, keepSucceededOf: __, attemptOf: ___, ...rest } = request;
  return jobs === "failed" ? { ...rest, keepSucceededOf: n } : { ...rest, reuse: false, attemptOf: n };
}

export const queuedHref = (id: number) => `/queue/${id}`;

export const notice = (t: string) => `<p class="notice">${e(t)}</p>`;
