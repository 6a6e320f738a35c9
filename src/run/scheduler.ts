import type { ExprHost, Json } from "../expr/index.js";
import {
  type Expansion,
  expandNode,
  isDeferred,
  type JobNode,
  jobCondition,
  notApproved,
  type PlanOptions,
  type RunPlan,
  type WorkflowNode,
  workflowConcurrency,
  workflowEnv,
  workflowKey,
} from "../plan/api.js";
import { liveToken } from "../workflow/token-json.js";
import { field } from "../workflow/tokens.js";
import { runReusableJob } from "./actions/reusable.js";
import type { Approver } from "./approval.js";
import { assignmentFor } from "./assignment.js";
import type { Emit, JobResult } from "./events.js";
import type { Executor, PrepareSpec } from "./executor/types.js";
import { enterGroup, type Groups } from "./gates.js";
import { type LegResult, runLeg } from "./job.js";
import type { Masker } from "./mask.js";
import { Semaphore } from "./semaphore.js";

/** A workflow of the plan as it runs: its node, and the contexts with the run's secret values. */
export interface WorkflowRun {
  node: WorkflowNode;
  /** The node's contexts plus the run's token and the secrets context (values). */
  contexts: Record<string, Json>;
}

export interface SchedulerOptions {
  executor: Executor;
  masker: Masker;
  emit: Emit;
  maxJobs: number;
  verbose: boolean;
  signal: AbortSignal;
  prepare: Omit<PrepareSpec, "jobKey">;
  /** Decides whether a job may deploy to its environment; without one, no deployment runs. */
  approver?: Approver;
  /** Secret values by name: the plan names them, the run gives them. */
  secrets: Record<string, string>;
  /** The run's GITHUB_TOKEN (github.token, secrets.GITHUB_TOKEN). */
  token: string;
}

/** Shared by the workflows of a run: the plan's options (deferred nodes are expanded with them), job slots, concurrency groups. */
export interface RunState {
  options: PlanOptions;
  slots: Semaphore;
  groups: Groups;
}

export interface JobOutcome {
  result: JobResult;
  outputs: Record<string, string>;
  continueOnError: boolean;
}

/** The contexts expressions see: the node's, with the run's token and secret values. */
export function runContexts(
  node: WorkflowNode,
  secrets: Record<string, Json>,
  token: string,
): Record<string, Json> {
  const github = node.contexts.github;
  return {
    ...node.contexts,
    github: github && typeof github === "object" && !Array.isArray(github) ? { ...github, token } : {},
    secrets,
  };
}

/** Why a job did not finish when the whole run (or its concurrency group) was cancelled. */
function runCancelled(signal: AbortSignal): string {
  return typeof signal.reason === "string" ? signal.reason : "the run was cancelled";
}

function combine(results: JobResult[]): JobResult {
  if (results.includes("failure")) return "failure";
  if (results.includes("cancelled")) return "cancelled";
  if (results.length > 0 && results.every((r) => r === "skipped")) return "skipped";
  return "success";
}

/** Runs a plan: every job of its workflows in dependency order; the result of the whole run. */
export async function runPlan(plan: RunPlan, o: SchedulerOptions): Promise<JobResult> {
  const state: RunState = {
    options: plan.options,
    slots: new Semaphore(Math.max(1, o.maxJobs)),
    groups: new Map(),
  };
  const secrets = { ...o.secrets, GITHUB_TOKEN: o.token };
  const results = await Promise.all(
    plan.workflows.map((node) => {
      const run = { node, contexts: runContexts(node, secrets, o.token) };
      return runInGroup(run, o, state.groups, (ro) => runWorkflow(run, ro, state));
    }),
  );
  return combine(
    results.flat().map((x) => (x.continueOnError && x.result === "failure" ? "success" : x.result)),
  );
}

/**
 * Workflow-level `concurrency:`: a workflow waits for the one holding its group, or with
 * cancel-in-progress cancels it. Job groups share the same table, as on GitHub.
 */
async function runInGroup(
  run: WorkflowRun,
  o: SchedulerOptions,
  groups: Groups,
  body: (o: SchedulerOptions) => Promise<JobOutcome[]>,
): Promise<JobOutcome[]> {
  const d = workflowConcurrency(run.node, run.contexts);
  if (!d.ok) {
    const file = run.node.file;
    o.emit({ type: "log", job: file, stream: "stderr", text: `${file}: concurrency: ${d.error}` });
    return [{ result: "failure", outputs: {}, continueOnError: false }];
  }
  const c = d.value;
  if (!c) return body(o);
  const ac = new AbortController();
  const relay = () => ac.abort();
  o.signal.addEventListener("abort", relay, { once: true });
  const release = await enterGroup(groups, c.group, c.cancel, () => {
    ac.abort(`cancelled by a newer run in concurrency group '${c.group}'`);
  });
  try {
    return await body({ ...o, signal: ac.signal });
  } finally {
    o.signal.removeEventListener("abort", relay);
    release();
  }
}

/** One workflow's jobs; a reusable workflow's call runs its callee's node through it again. */
export async function runWorkflow(
  run: WorkflowRun,
  o: SchedulerOptions,
  rs: RunState,
): Promise<JobOutcome[]> {
  const node = run.node;
  const wfKey = workflowKey(node.file);
  if (node.errors.length) {
    for (const e of node.errors)
      o.emit({ type: "log", job: wfKey, stream: "stderr", text: `${node.file}: ${e}` });
    return [{ result: "failure", outputs: {}, continueOnError: false }];
  }
  const done = new Map<string, Promise<JobOutcome>>();
  const byId = new Map(node.jobs.map((j) => [j.id, j]));
  /**
   * Per finished job, over it and everything it needs (directly or not): all succeeded,
   * some failed. Worked out once from its needs' entries, so a job's status functions
   * cost O(needs), not a walk over every ancestor.
   */
  const chain = new Map<string, { ok: boolean; failed: boolean }>();
  const env = workflowEnv(node, run.contexts);
  if (!env.ok) {
    o.emit({ type: "log", job: wfKey, stream: "stderr", text: `${node.file}: env: ${env.error}` });
    return [{ result: "failure", outputs: {}, continueOnError: false }];
  }
  const shown = (id: string) => `${node.namePrefix}${id}`;
  for (const j of node.jobs) {
    o.emit({ type: "job-queued", job: j.key, name: shown(j.id), workflow: node.name });
    // Jobs that wait on others get their workspace ready meanwhile (matrix legs are not known yet).
    if (j.kind === "job" && j.needs.length && !hasStrategy(j))
      o.executor.prefetch?.({ ...o.prepare, jobKey: j.key });
  }

  const start = (job: JobNode): Promise<JobOutcome> => {
    const id = job.id;
    const existing = done.get(id);
    if (existing) return existing;
    const p = (async (): Promise<JobOutcome> => {
      const needs = job.needs;
      const needOutcomes = await Promise.all(needs.map((n) => start(byId.get(n)!)));
      const needsCtx: Record<string, Json> = {};
      needs.forEach((n, i) => {
        const r = needOutcomes[i]!;
        needsCtx[n] = { result: r.result, outputs: r.outputs };
      });
      const key = job.key;
      const status = {
        success: needs.every((n) => chain.get(n)?.ok ?? true),
        failure: needs.some((n) => chain.get(n)?.failed ?? false),
        cancelled: o.signal.aborted,
      };
      const host: ExprHost = { contexts: { ...run.contexts, needs: needsCtx }, status };
      const cond = jobCondition(
        job,
        host,
        needOutcomes.map((r) => r.result),
      );
      if (!cond.ok) {
        o.emit({ type: "log", job: key, stream: "stderr", text: `if: ${cond.error}` });
        o.emit({
          type: "job-end",
          job: key,
          name: shown(id),
          result: "failure",
          durationMs: 0,
          reason: cond.error,
          outputs: {},
        });
        return { result: "failure", outputs: {}, continueOnError: false };
      }
      if (!cond.run) {
        o.emit({
          type: "job-end",
          job: key,
          name: shown(id),
          result: "skipped",
          durationMs: 0,
          reason: cond.reason,
          outputs: {},
        });
        return { result: "skipped", outputs: {}, continueOnError: false };
      }
      const legs = legsOf(job, host, node, rs, o);
      if (job.kind === "reusable") return runReusableJob({ job, legs, run, host, options: o, state: rs });
      return runJobLegs(job, legs, run, needsCtx, env.value, o, rs);
    })();
    p.then((r) => {
      chain.set(id, {
        ok:
          (r.result === "success" || (r.continueOnError && r.result === "failure")) &&
          job.needs.every((n) => chain.get(n)?.ok ?? true),
        failed:
          (r.result === "failure" && !r.continueOnError) ||
          job.needs.some((n) => chain.get(n)?.failed ?? false),
      });
    });
    done.set(id, p);
    return p;
  };
  return Promise.all(node.jobs.map(start));
}

/** A job written with a `strategy:`: its legs' keys are known only once expanded. */
function hasStrategy(j: JobNode): boolean {
  return field(liveToken(j.body), "strategy") !== undefined;
}

/** The plan's legs of a job, or, for a deferred node, the planner's expansion now (recorded as an event). */
function legsOf(
  job: JobNode,
  host: ExprHost,
  node: WorkflowNode,
  rs: RunState,
  o: SchedulerOptions,
): Expansion {
  if (!isDeferred(job.legs)) return { ok: true, legs: job.legs };
  const x = expandNode(job, host, node.namePrefix, rs.options);
  if (x.ok)
    o.emit({
      type: "plan-expanded",
      job: job.key,
      legs: x.legs.legs.map((l) => l.name ?? l.key),
    });
  return x;
}

async function runJobLegs(
  job: JobNode,
  expansion: Expansion,
  run: WorkflowRun,
  needsCtx: Record<string, Json>,
  workflowEnv: Record<string, string>,
  o: SchedulerOptions,
  rs: RunState,
): Promise<JobOutcome> {
  const key = job.key;
  const shown = `${run.node.namePrefix}${job.id}`;
  if (!expansion.ok) {
    const reason = expansion.reason;
    o.emit({ type: "log", job: key, stream: "stderr", text: reason });
    o.emit({ type: "job-end", job: key, name: shown, result: "failure", durationMs: 0, reason, outputs: {} });
    return { result: "failure", outputs: {}, continueOnError: false };
  }
  const plan = expansion.legs;
  const { isMatrix, failFast } = plan;
  const legSlots = new Semaphore(Math.max(1, plan.maxParallel));
  const legAbort = new AbortController();
  const onRunAbort = () => legAbort.abort();
  o.signal.addEventListener("abort", onRunAbort, { once: true });
  if (o.signal.aborted) legAbort.abort();
  const continueOnError = plan.continueOnError;
  const started = Date.now();

  const legResults = await Promise.all(
    plan.legs.map(async (leg): Promise<LegResult> => {
      const legKey = leg.key;
      const name = leg.name ?? shown;
      /** Ends the leg before it runs: one job-end event, and the same as its outcome. */
      const end = (result: JobResult, reason?: string): LegResult => {
        o.emit({ type: "job-end", job: legKey, name, result, durationMs: 0, reason, outputs: {} });
        return { result, outputs: {}, reason };
      };
      if (!leg.decision.run) return end(leg.decision.result, leg.decision.reason);
      const deploy = leg.environment;
      // Like a required reviewer on GitHub: asked when the job is reached, not before.
      let approvedBy = "";
      if (deploy) {
        o.emit({ type: "approval-requested", job: legKey, environment: deploy.name });
        // A prompt is printed outside the event stream: the request is masked here.
        const decision = o.approver
          ? await o.approver({
              job: legKey,
              name: o.masker.mask(name),
              environment: o.masker.mask(deploy.name),
            })
          : { approved: false, by: "nobody (no approver)" };
        o.emit({ type: "approval-decided", job: legKey, environment: deploy.name, ...decision });
        if (!decision.approved) return end("skipped", notApproved(deploy.name));
        approvedBy = decision.by;
      }
      for (const text of plan.notes) o.emit({ type: "log", job: legKey, stream: "info", text });
      if (deploy)
        o.emit({
          type: "log",
          job: legKey,
          stream: "info",
          text: `environment '${deploy.name}' approved by ${approvedBy}${deploy.url ? `; url: ${deploy.url}` : ""}`,
        });
      const releaseLeg = await legSlots.acquire();
      const releaseSlot = await rs.slots.acquire();
      let releaseGroup: (() => void) | undefined;
      try {
        if (legAbort.signal.aborted)
          return end(
            "cancelled",
            o.signal.aborted
              ? runCancelled(o.signal)
              : "cancelled by fail-fast after another matrix job failed",
          );
        const legCtl = new AbortController();
        const relay = () => legCtl.abort();
        legAbort.signal.addEventListener("abort", relay, { once: true });
        const concurrency = leg.concurrency;
        if (concurrency?.group)
          releaseGroup = await enterGroup(rs.groups, concurrency.group, concurrency.cancel, () =>
            legCtl.abort(),
          );
        const a = assignmentFor(
          { job, leg, legs: plan, workflow: run.node, contexts: run.contexts, needs: needsCtx, workflowEnv },
          o,
        );
        const r = await runLeg(a, {
          executor: o.executor,
          masker: o.masker,
          emit: o.emit,
          signal: legCtl.signal,
        });
        legAbort.signal.removeEventListener("abort", relay);
        if (r.result === "failure" && failFast && !continueOnError && isMatrix) legAbort.abort();
        return r;
      } finally {
        releaseGroup?.();
        releaseSlot();
        releaseLeg();
      }
    }),
  );
  o.signal.removeEventListener("abort", onRunAbort);
  const outputs: Record<string, string> = {};
  for (const r of legResults)
    for (const [k, v] of Object.entries(r.outputs)) if (v !== "" || !(k in outputs)) outputs[k] = v;
  const result = combine(legResults.map((r) => r.result));
  if (isMatrix) {
    // The legs that failed say more than the ones fail-fast cancelled because of them.
    const failed = legResults.flatMap((r, i) =>
      r.result === "failure" ? [plan.legs[i]!.name ?? `leg ${i + 1}`] : [],
    );
    // Otherwise the reason of a leg that ended as the job did: a leg --matrix left out does
    // not explain a cancelled run.
    const reason = failed.length
      ? `${failed.join(", ")} failed`
      : (legResults.find((r) => r.result === result && r.reason)?.reason ??
        (result === "cancelled" && o.signal.aborted ? runCancelled(o.signal) : undefined));
    o.emit({
      type: "job-end",
      job: key,
      name: shown,
      result,
      durationMs: Date.now() - started,
      reason: result === "success" ? undefined : reason,
      outputs,
    });
  }
  return { result, outputs, continueOnError };
}
