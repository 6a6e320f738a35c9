import type { ExprHost, Json } from "../../expr/index.js";
import { callOf, callOutputs, type Expansion, type JobNode, loadCallee, planCall } from "../../plan/api.js";
import type { JobResult } from "../events.js";
import {
  type JobOutcome,
  type RunState,
  runContexts,
  runWorkflow,
  type SchedulerOptions,
  type WorkflowRun,
} from "../scheduler.js";

export interface ReusableCall {
  job: JobNode;
  /** The calling job's legs, from the plan or expanded now. */
  legs: Expansion;
  run: WorkflowRun;
  host: ExprHost;
  options: SchedulerOptions;
  state: RunState;
}

function combine(results: JobResult[]): JobResult {
  if (results.includes("failure")) return "failure";
  if (results.includes("cancelled")) return "cancelled";
  return "success";
}

/**
 * `jobs.<id>.uses:` — the called workflow is a deferred node: the planner loads it and plans
 * its jobs under this job's key (one plan per leg), and they run through the same scheduler
 * with their own inputs and secrets. Its outputs come from `on.workflow_call.outputs`.
 */
export async function runReusableJob(call: ReusableCall): Promise<JobOutcome> {
  const o = call.options;
  const { job, run } = call;
  const id = job.id;
  const shown = `${run.node.namePrefix}${id}`;
  const { uses, where } = callOf(job, run.node);
  const end = (
    key: string,
    result: JobResult,
    reason: string | undefined,
    outputs: Record<string, string>,
    started: number,
    name = shown,
  ) => {
    if (reason && result !== "success") o.emit({ type: "log", job: key, stream: "stderr", text: reason });
    o.emit({
      type: "job-end",
      job: key,
      name,
      result,
      durationMs: Date.now() - started,
      reason,
      outputs,
    });
  };
  const fail = (reason: string): JobOutcome => {
    end(job.key, "failure", `${where}: job '${id}': ${reason}`, {}, Date.now());
    return { result: "failure", outputs: {}, continueOnError: false };
  };
  const loaded = await loadCallee(uses, run.node, o.prepare.repoRoot);
  if (!loaded.ok) return fail(loaded.error);
  const callee = loaded.callee;
  if (!call.legs.ok) return fail(call.legs.reason);
  const { isMatrix, legs: planned } = call.legs.legs;
  const legs = await Promise.all(
    planned.map(async (leg): Promise<JobOutcome> => {
      const key = leg.key;
      const started = Date.now();
      const name = leg.name ?? shown;
      if (!leg.decision.run) {
        if (leg.decision.result === "skipped") {
          end(key, "skipped", leg.decision.reason, {}, started, name);
          return { result: "skipped", outputs: {}, continueOnError: false };
        }
        end(key, "failure", `${where}: job '${id}': ${leg.decision.reason}`, {}, started, name);
        return { result: "failure", outputs: {}, continueOnError: false };
      }
      const host: ExprHost = {
        ...call.host,
        contexts: { ...call.host.contexts, matrix: leg.matrix, strategy: leg.strategy },
      };
      const planned = planCall(job, leg, run.node, callee, host, call.state.options);
      if (!planned.ok) {
        end(key, "failure", `${where}: job '${id}': ${planned.error}`, {}, started, name);
        return { result: "failure", outputs: {}, continueOnError: false };
      }
      // No job-start: on GitHub the caller is not a job of its own; its called jobs
      // are, shown as `caller / callee`.
      o.emit({
        type: "log",
        job: key,
        stream: "info",
        text: `Calling reusable workflow ${callee.shown} (${callee.wf.file})`,
      });
      o.emit({ type: "plan-expanded", job: key, legs: planned.node.jobs.map((j) => j.key) });
      const node = planned.node;
      const inner: WorkflowRun = {
        node,
        contexts: runContexts(node, planned.secrets, String(planned.secrets.GITHUB_TOKEN ?? "")),
      };
      const outcomes = await runWorkflow(inner, o, call.state);
      const jobs: Record<string, Json> = {};
      node.jobs.forEach((j, n) => {
        const r = outcomes[n];
        if (r) jobs[j.id] = { result: r.result, outputs: r.outputs };
      });
      const result = combine(
        outcomes.map((r) => (r.continueOnError && r.result === "failure" ? "success" : r.result)),
      );
      const out = callOutputs(node, inner.contexts, jobs);
      for (const text of out.errors) o.emit({ type: "log", job: key, stream: "stderr", text });
      end(
        key,
        result,
        result === "success" ? undefined : `a job of ${callee.wf.file} did not succeed`,
        out.outputs,
        started,
        name,
      );
      return { result, outputs: out.outputs, continueOnError: false };
    }),
  );
  if (!isMatrix) return legs[0] ?? { result: "success", outputs: {}, continueOnError: false };
  const outputs: Record<string, string> = {};
  for (const r of legs)
    for (const [k, v] of Object.entries(r.outputs)) if (v !== "" || !(k in outputs)) outputs[k] = v;
  // Every leg left out by --matrix: the job did not run.
  const result = legs.every((r) => r.result === "skipped") ? "skipped" : combine(legs.map((r) => r.result));
  o.emit({ type: "job-end", job: job.key, name: shown, result, durationMs: 0, outputs });
  return { result, outputs, continueOnError: false };
}
