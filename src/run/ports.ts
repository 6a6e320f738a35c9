// The state machine's ports for a plan: what the core asks (expand a job, collect a called
// workflow, start a leg, ask for an approval) answered with the planner's API and runLeg.
// The core decides when; these decide nothing the plan did not, they only evaluate what the
// plan deferred (a job's `if:`, a matrix from needs outputs, a reusable workflow's jobs).
import type { ExprHost, Json } from "../expr/index.js";
import {
  type Callee,
  callOf,
  callOutputs,
  type Expansion,
  expandNode,
  isDeferred,
  type JobNode,
  jobCondition,
  type LegNode,
  type Legs,
  loadCallee,
  type PlanOptions,
  planCall,
  type WorkflowNode,
  workflowEnv,
  workflowKey,
} from "../plan/api.js";
import { liveToken } from "../workflow/token-json.js";
import { field } from "../workflow/tokens.js";
import type { Approver } from "./approval.js";
import { assignmentFor, type JobAssignment } from "./assignment.js";
import type { Emit, JobResult } from "./events.js";
import type { Executor, PrepareSpec } from "./executor/types.js";
import { type LegResult, runLeg } from "./job.js";
import type { LegOutcome, Ports } from "./machine/driver.js";
import { combine, counted } from "./machine/result.js";
import type {
  CallPlan,
  ChildResult,
  Decision,
  LegPlan,
  NeedResult,
  NodeSpec,
  Status,
  WorkflowSpec,
} from "./machine/types.js";
import type { Masker } from "./mask.js";
import { jobPublishes } from "./reuse/publishing.js";
import { neverReused, type Reuser } from "./reuse/reuser.js";

export interface PortOptions {
  executor: Executor;
  masker: Masker;
  emit: Emit;
  verbose: boolean;
  prepare: Omit<PrepareSpec, "jobKey">;
  /** Decides whether a job may deploy to its environment; without one, no deployment runs. */
  approver?: Approver;
  /** The plan's options: deferred nodes are expanded with them. */
  options: PlanOptions;
  /** Job reuse (off with --no-reuse, SLIPWAY_REUSE=0 or without history). */
  reuse?: Reuser;
  /** Who runs a leg: undefined, runLeg here with the executor; a server's agents otherwise. */
  legRunner?: LegRunner;
}

/** Runs an assignment somewhere and emits its events (job-start .. job-end) through `emit`. */
export type LegRunner = (a: JobAssignment, emit: Emit, signal: AbortSignal) => Promise<LegResult>;

/** A workflow of the plan as it runs: its node, its contexts with secret values, its env. */
export interface WorkflowRun {
  node: WorkflowNode;
  /** The node's contexts plus the run's token and the secrets context (values). */
  contexts: Record<string, Json>;
  env: Record<string, string>;
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

/** A job written with a `strategy:`: its legs' keys are known only once expanded. */
function hasStrategy(j: JobNode): boolean {
  return field(liveToken(j.body), "strategy") !== undefined;
}

/** The core's nodes for a workflow's jobs. */
export function nodeSpecs(node: WorkflowNode): NodeSpec[] {
  return node.jobs.map((j) => ({
    key: j.key,
    id: j.id,
    name: `${node.namePrefix}${j.id}`,
    needs: j.needs,
    // Jobs that wait on others get their workspace ready meanwhile (matrix legs are not known yet).
    ...(j.kind === "job" && j.needs.length && !hasStrategy(j) ? { prefetch: true } : {}),
  }));
}

/** A leg to start: its plan and what the run learned before it (its needs). */
interface Dispatch {
  job: JobNode;
  leg: LegNode;
  legs: Legs;
  run: WorkflowRun;
  needs: Record<string, Json>;
}

export class PlanPorts implements Ports {
  /** Every job of the run (called workflows' too) by key, with its workflow. */
  private jobs = new Map<string, { job: JobNode; run: WorkflowRun }>();
  private legs = new Map<string, Dispatch>();
  /** A call leg's called workflow. */
  private calls = new Map<string, { run: WorkflowRun; file: string }>();

  constructor(private o: PortOptions) {}

  /** Makes a workflow's jobs known to expand and startLeg. */
  add(run: WorkflowRun): void {
    for (const job of run.node.jobs) this.jobs.set(job.key, { job, run });
  }

  emit(e: Parameters<Emit>[0]): void {
    this.o.emit(e);
  }

  prefetch(job: string): void {
    this.o.executor.prefetch?.({ ...this.o.prepare, jobKey: job });
  }

  expand(key: string, needs: Record<string, NeedResult>, status: Status): Decision | Promise<Decision> {
    const { job, run } = this.known(key);
    // The core's needs are the needs context already: {result, outputs} by job id.
    const needsCtx = needs as unknown as Record<string, Json>;
    const host: ExprHost = { contexts: { ...run.contexts, needs: needsCtx }, status };
    const cond = jobCondition(
      job,
      host,
      job.needs.map((n) => needs[n]!.result),
    );
    if (!cond.ok) {
      this.log(key, "stderr", `if: ${cond.error}`);
      return { type: "fail", reason: cond.error };
    }
    if (!cond.run) return { type: "skip", reason: cond.reason };
    const x = this.legsOf(job, host, run.node);
    if (job.kind === "reusable") return this.call(job, x, run, host);
    if (!x.ok) {
      this.log(key, "stderr", x.reason);
      return { type: "fail", reason: x.reason };
    }
    const plan = x.legs;
    for (const leg of plan.legs) this.legs.set(leg.key, { job, leg, legs: plan, run, needs: needsCtx });
    return {
      type: "legs",
      legs: plan.legs.map((leg) => legPlan(leg, `${run.node.namePrefix}${job.id}`, plan.notes)),
      failFast: plan.failFast,
      maxParallel: plan.maxParallel,
      continueOnError: plan.continueOnError,
      isMatrix: plan.isMatrix,
    };
  }

  async startLeg(_job: string, key: string, signal: AbortSignal): Promise<LegOutcome> {
    const d = this.legs.get(key);
    if (!d) throw new Error(`no leg '${key}' was planned`);
    this.legs.delete(key);
    const a = assignmentFor(
      {
        job: d.job,
        leg: d.leg,
        legs: d.legs,
        workflow: d.run.node,
        contexts: d.run.contexts,
        needs: d.needs,
        workflowEnv: d.run.env,
      },
      this.o,
    );
    const reused = await this.reuse(a, d);
    // Through leg-finished like any leg: its dependants get the restored outputs.
    if (reused) return { result: "success", outputs: reused.outputs, reason: reused.reason };
    if (this.o.legRunner) return this.o.legRunner(a, this.o.emit, signal);
    return runLeg(a, { executor: this.o.executor, masker: this.o.masker, emit: this.o.emit, signal });
  }

  /** A leg that succeeded before with the same key is restored instead of run (reuse/). */
  private async reuse(a: JobAssignment, d: Dispatch) {
    const reuser = this.o.reuse;
    if (!reuser) return undefined;
    const never = neverReused(a, d.leg.environment?.name, jobPublishes(d.job.body), reuser.config);
    if (never) {
      if (this.o.verbose && reuser.keepSucceededOf === undefined)
        this.log(a.key, "info", `not reused: ${never}`);
      // Re-running run N's failed jobs keeps a deployment or publish that succeeded in run N.
      return reuser.tryReuse(a, this.o.emit, true);
    }
    return reuser.tryReuse(a, this.o.emit);
  }

  approve(
    r: { leg: string; name: string; environment: string },
    signal: AbortSignal,
  ): Promise<{ approved: boolean; by: string; rejected?: string }> {
    const approver = this.o.approver;
    if (!approver) return Promise.resolve({ approved: false, by: "nobody (no approver)" });
    // A prompt is printed outside the event stream: the request is masked here.
    const m = this.o.masker;
    return approver({ job: r.leg, name: m.mask(r.name), environment: m.mask(r.environment) }, signal);
  }

  collect(_job: string, leg: string, results: Record<string, ChildResult>): LegOutcome {
    const called = this.calls.get(leg);
    if (!called) throw new Error(`no call '${leg}' was made`);
    this.calls.delete(leg);
    const jobs: Record<string, Json> = {};
    for (const [id, r] of Object.entries(results)) jobs[id] = { result: r.result, outputs: r.outputs };
    // A called workflow whose jobs were all skipped is a success of its caller, as before.
    const all = combine(Object.values(results).map((r) => counted(r.result, r.continueOnError)));
    const result: JobResult = all === "skipped" ? "success" : all;
    const out = callOutputs(called.run.node, called.run.contexts, jobs);
    for (const text of out.errors) this.log(leg, "stderr", text);
    if (result === "success") return { result, outputs: out.outputs };
    const reason = `a job of ${called.file} did not succeed`;
    this.log(leg, "stderr", reason);
    return { result, outputs: out.outputs, reason };
  }

  private known(key: string): { job: JobNode; run: WorkflowRun } {
    const k = this.jobs.get(key);
    if (!k) throw new Error(`no job '${key}' in the plan`);
    return k;
  }

  private log(job: string, stream: "stderr" | "info", text: string): void {
    this.o.emit({ type: "log", job, stream, text });
  }

  /** The plan's legs of a job, or, for a deferred node, the planner's expansion now (recorded as an event). */
  private legsOf(job: JobNode, host: ExprHost, node: WorkflowNode): Expansion {
    if (!isDeferred(job.legs)) return { ok: true, legs: job.legs };
    const x = expandNode(job, host, node.namePrefix, this.o.options);
    if (x.ok)
      this.o.emit({
        type: "plan-expanded",
        job: job.key,
        legs: x.legs.legs.map((l) => l.name ?? l.key),
      });
    return x;
  }

  /**
   * `jobs.<id>.uses:` — the called workflow is a deferred node: the planner loads it and plans
   * its jobs under each leg's key, and the core schedules them with their own inputs and
   * secrets. Its outputs come from `on.workflow_call.outputs` (collect).
   */
  private async call(job: JobNode, x: Expansion, run: WorkflowRun, host: ExprHost): Promise<Decision> {
    const { uses, where } = callOf(job, run.node);
    const failed = (reason: string, key = job.key) => {
      const text = `${where}: job '${job.id}': ${reason}`;
      this.log(key, "stderr", text);
      return text;
    };
    const loaded = await loadCallee(uses, run.node, this.o.prepare.repoRoot);
    if (!loaded.ok) return { type: "fail", reason: failed(loaded.error) };
    if (!x.ok) return { type: "fail", reason: failed(x.reason) };
    const shown = `${run.node.namePrefix}${job.id}`;
    const calls = x.legs.legs.map((leg) => this.callLeg(job, leg, run, host, loaded.callee, shown, failed));
    return { type: "call", calls, isMatrix: x.legs.isMatrix };
  }

  private callLeg(
    job: JobNode,
    leg: LegNode,
    run: WorkflowRun,
    host: ExprHost,
    callee: Callee,
    shown: string,
    failed: (reason: string, key: string) => string,
  ): CallPlan {
    const key = leg.key;
    const base = { key, name: leg.name ?? shown, workflow: callee.wf.file, nodes: [] };
    if (!leg.decision.run) {
      if (leg.decision.result === "failure") return { ...base, fail: failed(leg.decision.reason, key) };
      this.log(key, "stderr", leg.decision.reason);
      return { ...base, skip: leg.decision.reason };
    }
    const legHost: ExprHost = {
      ...host,
      contexts: { ...host.contexts, matrix: leg.matrix, strategy: leg.strategy },
    };
    const planned = planCall(job, leg, run.node, callee, legHost, this.o.options);
    if (!planned.ok) return { ...base, fail: failed(planned.error, key) };
    // No job-start: on GitHub the caller is not a job of its own; its called jobs are,
    // shown as `caller / callee`.
    this.log(key, "info", `Calling reusable workflow ${callee.shown} (${callee.wf.file})`);
    const node = planned.node;
    this.o.emit({ type: "plan-expanded", job: key, legs: node.jobs.map((j) => j.key) });
    const contexts = runContexts(node, planned.secrets, String(planned.secrets.GITHUB_TOKEN ?? ""));
    const workflow = node.name;
    const notDone = `a job of ${callee.wf.file} did not succeed`;
    const wfKey = workflowKey(node.file);
    if (node.errors.length) {
      for (const e of node.errors) this.log(wfKey, "stderr", `${node.file}: ${e}`);
      this.log(key, "stderr", notDone);
      return { ...base, workflow, fail: notDone };
    }
    const env = workflowEnv(node, contexts);
    if (!env.ok) {
      this.log(wfKey, "stderr", `${node.file}: env: ${env.error}`);
      this.log(key, "stderr", notDone);
      return { ...base, workflow, fail: notDone };
    }
    const child: WorkflowRun = { node, contexts, env: env.value };
    this.add(child);
    this.calls.set(key, { run: child, file: callee.wf.file });
    return { ...base, workflow, nodes: nodeSpecs(node) };
  }
}

/** A leg as the core sees it: how it is shown, where it deploys, and whether it runs at all. */
function legPlan(leg: LegNode, shown: string, notes: string[]): LegPlan {
  const p: LegPlan = { key: leg.key, name: leg.name ?? shown };
  if (leg.concurrency?.group) p.concurrency = leg.concurrency;
  if (leg.environment) p.environment = leg.environment;
  if (notes.length) p.notes = notes;
  if (!leg.decision.run) {
    if (leg.decision.result === "skipped") p.skip = leg.decision.reason;
    else p.fail = leg.decision.reason;
  }
  return p;
}

/** The core's spec of a top-level workflow; what stops it from starting is logged here. */
export function workflowSpec(
  run: Omit<WorkflowRun, "env">,
  concurrency: { ok: true; value?: { group: string; cancel: boolean } } | { ok: false; error: string },
  emit: Emit,
): { spec: WorkflowSpec; env?: Record<string, string> } {
  const node = run.node;
  const spec: WorkflowSpec = { workflow: node.name, nodes: nodeSpecs(node) };
  const log = (job: string, text: string) => emit({ type: "log", job, stream: "stderr", text });
  if (!concurrency.ok) {
    log(node.file, `${node.file}: concurrency: ${concurrency.error}`);
    return { spec: { ...spec, error: concurrency.error } };
  }
  if (concurrency.value) spec.concurrency = concurrency.value;
  const wfKey = workflowKey(node.file);
  if (node.errors.length) {
    for (const e of node.errors) log(wfKey, `${node.file}: ${e}`);
    return { spec: { ...spec, error: node.errors[0]! } };
  }
  const env = workflowEnv(node, run.contexts);
  if (!env.ok) {
    log(wfKey, `${node.file}: env: ${env.error}`);
    return { spec: { ...spec, error: env.error } };
  }
  return { spec, env: env.value };
}
