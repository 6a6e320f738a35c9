import { basename, extname } from "node:path";
import type { Job, ReusableWorkflowJob, WorkflowJob } from "@actions/workflow-parser/model/workflow-template";
import { type ExprHost, evaluate, evaluateTemplate, type Json, toStr } from "../expr/index.js";
import { jobDisplayName } from "../plan/job-name.js";
import { expandMatrix } from "../plan/matrix.js";
import { placeJob, runsOnLabels } from "../plan/platform.js";
import { evaluateStrategy } from "../plan/strategy.js";
import type { LoadedWorkflow } from "../workflow/load.js";
import { field, rawJob } from "../workflow/tokens.js";
import { runReusableJob } from "./actions/reusable.js";
import type { Approver } from "./approval.js";
import type { Emit, JobResult } from "./events.js";
import type { Executor, PrepareSpec } from "./executor/types.js";
import { concurrencyOf, deselected, enterGroup, environmentOf, type Groups, runInGroup } from "./gates.js";
import { type LegResult, runLeg } from "./job.js";
import type { Masker } from "./mask.js";
import { Semaphore } from "./semaphore.js";
import { truthy } from "./step.js";

export interface WorkflowRun {
  wf: LoadedWorkflow;
  /** github, vars, secrets, inputs */
  contexts: Record<string, Json>;
  runnerEnv: Record<string, string>;
  /** --env values: the lowest layer of the workflow env. */
  extraEnv: Record<string, string>;
  /** A called workflow's jobs are shown as `caller / callee`: this is `caller / `. */
  namePrefix?: string;
}

export interface SchedulerOptions {
  executor: Executor;
  masker: Masker;
  emit: Emit;
  maxJobs: number;
  platforms: Record<string, "host" | "skip">;
  verbose: boolean;
  signal: AbortSignal;
  prepare: Omit<PrepareSpec, "jobKey">;
  /** Decides whether a job may deploy to its environment; without one, no deployment runs. */
  approver?: Approver;
  /** `--matrix k=v`: only matrix legs whose value for k is one of these run (jobs without k are not filtered). */
  matrix?: Record<string, string[]>;
}

export interface JobOutcome {
  result: JobResult;
  outputs: Record<string, string>;
  continueOnError: boolean;
}

const toEnv = (v: Json | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  if (v && typeof v === "object" && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) out[k] = toStr(x);
  return out;
};

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

/** Runs every job of the given workflows in dependency order; the result of the whole run. */
export async function runWorkflows(runs: WorkflowRun[], o: SchedulerOptions): Promise<JobResult> {
  const slots = new Semaphore(Math.max(1, o.maxJobs));
  const groups: Groups = new Map();
  const results = await Promise.all(
    runs.map((r) => runInGroup(r, o, groups, (ro) => runWorkflow(r, ro, slots, groups, runs.length > 1))),
  );
  return combine(
    results.flat().map((x) => (x.continueOnError && x.result === "failure" ? "success" : x.result)),
  );
}

/** One workflow's jobs; reusable workflows call it again with their caller's key as `keyPrefix`. */
export async function runWorkflow(
  run: WorkflowRun,
  o: SchedulerOptions,
  slots: Semaphore,
  groups: Groups,
  prefix: boolean,
  keyPrefix?: string,
): Promise<JobOutcome[]> {
  const template = run.wf.template!;
  const wfKey = basename(run.wf.file, extname(run.wf.file)).replace(/[^A-Za-z0-9_.-]/g, "_");
  const pre = keyPrefix ?? (prefix ? `${wfKey}.` : "");
  const done = new Map<string, Promise<JobOutcome>>();
  const byId = new Map(template.jobs.map((j) => [j.id.value, j]));
  /**
   * Per finished job, over it and everything it needs (directly or not): all succeeded,
   * some failed. Worked out once from its needs' entries, so a job's status functions
   * cost O(needs), not a walk over every ancestor.
   */
  const chain = new Map<string, { ok: boolean; failed: boolean }>();
  let workflowEnv: Record<string, string> = {};
  try {
    const own = template.env
      ? evaluateTemplate(template.env, { contexts: { ...run.contexts, env: run.extraEnv } })
      : undefined;
    workflowEnv = { ...run.extraEnv, ...toEnv(own) };
  } catch (e) {
    o.emit({
      type: "log",
      job: wfKey,
      stream: "stderr",
      text: `${run.wf.file}: env: ${(e as Error).message}`,
    });
    return [{ result: "failure", outputs: {}, continueOnError: false }];
  }
  const shown = (id: string) => `${run.namePrefix ?? ""}${id}`;
  for (const j of template.jobs) {
    o.emit({
      type: "job-queued",
      job: `${pre}${j.id.value}`,
      name: shown(j.id.value),
      workflow: run.wf.name,
    });
    // Jobs that wait on others get their workspace ready meanwhile (matrix legs are not known yet).
    if (j.type === "job" && j.needs?.length && !(j as Job).strategy)
      o.executor.prefetch?.({ ...o.prepare, jobKey: `${pre}${j.id.value}` });
  }

  const start = (job: WorkflowJob): Promise<JobOutcome> => {
    const id = job.id.value;
    const existing = done.get(id);
    if (existing) return existing;
    const p = (async (): Promise<JobOutcome> => {
      const needs = (job.needs ?? []).map((n) => n.value);
      const needOutcomes = await Promise.all(needs.map((n) => start(byId.get(n)!)));
      const needsCtx: Record<string, Json> = {};
      needs.forEach((n, i) => {
        const r = needOutcomes[i]!;
        needsCtx[n] = { result: r.result, outputs: r.outputs };
      });
      const key = `${pre}${id}`;
      const status = {
        success: needs.every((n) => chain.get(n)?.ok ?? true),
        failure: needs.some((n) => chain.get(n)?.failed ?? false),
        cancelled: o.signal.aborted,
      };
      const host: ExprHost = { contexts: { ...run.contexts, needs: needsCtx }, status };
      const skip = (reason: string): JobOutcome => {
        o.emit({
          type: "job-end",
          job: key,
          name: shown(id),
          result: "skipped",
          durationMs: 0,
          reason,
          outputs: {},
        });
        return { result: "skipped", outputs: {}, continueOnError: false };
      };
      let cond: boolean;
      try {
        cond = truthy(evaluate(job.if.expression, host));
      } catch (e) {
        o.emit({ type: "log", job: key, stream: "stderr", text: `if: ${(e as Error).message}` });
        o.emit({
          type: "job-end",
          job: key,
          name: shown(id),
          result: "failure",
          durationMs: 0,
          reason: (e as Error).message,
          outputs: {},
        });
        return { result: "failure", outputs: {}, continueOnError: false };
      }
      if (!cond) {
        const failed = needs.filter((_n, i) => needOutcomes[i]!.result !== "success");
        return skip(
          failed.length && !/\b(always|failure|cancelled)\(/.test(job.if.expression)
            ? `needed job${failed.length > 1 ? "s" : ""} ${failed.join(", ")} did not succeed`
            : `if: ${job.if.expression} was false`,
        );
      }
      if (job.type === "reusableWorkflowJob") {
        return runReusableJob({ job: job as ReusableWorkflowJob, key, run, host, options: o, slots, groups });
      }
      return runJobLegs(job as Job, key, run, host, needsCtx, workflowEnv, o, slots, groups);
    })();
    p.then((r) => {
      const needs = (job.needs ?? []).map((n) => n.value);
      chain.set(id, {
        ok:
          (r.result === "success" || (r.continueOnError && r.result === "failure")) &&
          needs.every((n) => chain.get(n)?.ok ?? true),
        failed:
          (r.result === "failure" && !r.continueOnError) || needs.some((n) => chain.get(n)?.failed ?? false),
      });
    });
    done.set(id, p);
    return p;
  };
  return Promise.all(template.jobs.map(start));
}

async function runJobLegs(
  job: Job,
  key: string,
  run: WorkflowRun,
  host: ExprHost,
  needsCtx: Record<string, Json>,
  workflowEnv: Record<string, string>,
  o: SchedulerOptions,
  slots: Semaphore,
  groups: Groups,
): Promise<JobOutcome> {
  const id = job.id.value;
  const shown = `${run.namePrefix ?? ""}${id}`;
  const raw = rawJob(run.wf.root, id);
  const fail = (reason: string): JobOutcome => {
    o.emit({ type: "log", job: key, stream: "stderr", text: reason });
    o.emit({ type: "job-end", job: key, name: shown, result: "failure", durationMs: 0, reason, outputs: {} });
    return { result: "failure", outputs: {}, continueOnError: false };
  };
  let strategy: Record<string, Json> = {};
  try {
    const s = job.strategy ? evaluateStrategy(job.strategy, host) : undefined;
    if (s && typeof s === "object" && !Array.isArray(s)) strategy = s;
  } catch (e) {
    return fail(`strategy: ${(e as Error).message}`);
  }
  const m = expandMatrix(strategy.matrix ?? undefined);
  if (!m.ok) return fail(`strategy.matrix: ${m.error}`);
  const failFast = strategy["fail-fast"] === undefined ? true : truthy(strategy["fail-fast"]);
  const maxParallel = typeof strategy["max-parallel"] === "number" ? strategy["max-parallel"] : m.legs.length;
  const legSlots = new Semaphore(Math.max(1, maxParallel));
  const isMatrix = strategy.matrix !== undefined && strategy.matrix !== null;
  const legAbort = new AbortController();
  const onRunAbort = () => legAbort.abort();
  o.signal.addEventListener("abort", onRunAbort, { once: true });
  if (o.signal.aborted) legAbort.abort();
  let continueOnError = false;
  const started = Date.now();
  const legNames: string[] = [];

  const legResults = await Promise.all(
    m.legs.map(async (matrix, i): Promise<LegResult> => {
      const legKey = isMatrix ? `${key}.${i + 1}` : key;
      const contexts: Record<string, Json> = {
        ...run.contexts,
        needs: needsCtx,
        matrix: isMatrix ? matrix : {},
        strategy: {
          "fail-fast": failFast,
          "job-index": i,
          "job-total": m.legs.length,
          "max-parallel": maxParallel,
        },
      };
      const legHost: ExprHost = { contexts, status: host.status };
      let name = shown;
      /** Ends the leg before it runs: one job-end event, and the same as its outcome. */
      const end = (result: JobResult, reason?: string): LegResult => {
        o.emit({ type: "job-end", job: legKey, name, result, durationMs: 0, reason, outputs: {} });
        return { result, outputs: {}, reason };
      };
      let concurrency: { group: string; cancel: boolean } | undefined;
      let deploy: { name: string; url?: string } | undefined;
      let labels: string[] = [];
      try {
        name = `${run.namePrefix ?? ""}${jobDisplayName(job, legHost, isMatrix ? matrix : undefined)}`;
        legNames[i] = name;
        const coe = field(raw, "continue-on-error");
        if (coe) continueOnError = truthy(evaluateTemplate(coe, legHost));
        if (job.concurrency) concurrency = concurrencyOf(evaluateTemplate(job.concurrency, legHost));
      } catch (e) {
        return end("failure", (e as Error).message);
      }
      try {
        deploy = job.environment ? environmentOf(evaluateTemplate(job.environment, legHost)) : undefined;
      } catch (e) {
        return end("failure", `environment: ${(e as Error).message}`);
      }
      try {
        labels = runsOnLabels(job["runs-on"] ? evaluateTemplate(job["runs-on"], legHost) : undefined);
      } catch (e) {
        return end("failure", (e as Error).message);
      }
      const unselected = isMatrix && deselected(matrix, o.matrix);
      if (unselected) return end("skipped", `not selected by --matrix ${unselected}`);
      if (job.container || job.services)
        return end(
          "skipped",
          `the job uses \`${job.container ? "container" : "services"}:\`, which needs a container executor (this machine has none); skipped`,
        );
      const place = placeJob(labels, o.platforms);
      if (!place.run) return end("skipped", place.reason);
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
        if (!decision.approved)
          return end(
            "skipped",
            `the job deploys to environment '${deploy.name}', which on GitHub can require reviewers; approve it with --approve ${deploy.name} (or --approve '*')`,
          );
        approvedBy = decision.by;
      }
      if (field(raw, "snapshot"))
        o.emit({
          type: "log",
          job: legKey,
          stream: "info",
          text: "snapshot: ignored: Slipway runs on this machine and does not make runner images",
        });
      if (deploy)
        o.emit({
          type: "log",
          job: legKey,
          stream: "info",
          text: `environment '${deploy.name}' approved by ${approvedBy}${deploy.url ? `; url: ${deploy.url}` : ""}`,
        });
      const releaseLeg = await legSlots.acquire();
      const releaseSlot = await slots.acquire();
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
        if (concurrency?.group)
          releaseGroup = await enterGroup(groups, concurrency.group, concurrency.cancel, () =>
            legCtl.abort(),
          );
        const r = await runLeg(
          { key: legKey, jobId: id, name, workflow: run.wf, job, raw, contexts, workflowEnv },
          {
            executor: o.executor,
            masker: o.masker,
            emit: o.emit,
            prepare: o.prepare,
            runnerEnv: run.runnerEnv,
            verbose: o.verbose,
            signal: legCtl.signal,
          },
        );
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
      r.result === "failure" ? [legNames[i] ?? `leg ${i + 1}`] : [],
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
