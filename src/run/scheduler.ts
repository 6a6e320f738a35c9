// Runs a plan: the state machine (machine/) decides what happens when, its in-memory driver
// carries it out through ports built on the planner's API and runLeg (ports.ts).
import { type RunPlan, workflowConcurrency } from "../plan/api.js";
import type { Approver } from "./approval.js";
import type { Emit, JobResult } from "./events.js";
import type { Executor, PrepareSpec } from "./executor/types.js";
import { drive } from "./machine/driver.js";
import type { MachineEvent, MachineState, WorkflowSpec } from "./machine/types.js";
import type { Masker } from "./mask.js";
import { type LegRunner, PlanPorts, runContexts, workflowSpec } from "./ports.js";
import type { Reuser } from "./reuse/reuser.js";

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
  /** Job reuse for this run (run/reuse/); none: every leg runs. */
  reuse?: Reuser;
  /** Who runs a leg (default: runLeg here with the executor). */
  legRunner?: LegRunner;
  /** Every input event of the state machine, before it is applied (what a resume replays). */
  record?: (e: MachineEvent) => void;
  /** Waited for before the run starts, with its workflows' concurrency groups (slipway serve's). */
  gate?: RunGate;
  /** Jobs waiting for their concurrency group, by leg key, each time that changes (slipway serve shows them). */
  onWaiting?: (waits: Record<string, string>) => void;
}

/** Resolves when the run may start; a gate that says no aborts the run's signal itself. */
export type RunGate = (groups: { group: string; cancel: boolean }[], signal: AbortSignal) => Promise<void>;

/** Runs a plan: every job of its workflows in dependency order; the result of the whole run. */
export function runPlan(plan: RunPlan, o: SchedulerOptions): Promise<JobResult> {
  const ports = new PlanPorts({ ...o, options: plan.options });
  const secrets = { ...o.secrets, GITHUB_TOKEN: o.token };
  const workflows: WorkflowSpec[] = plan.workflows.map((node) => {
    const contexts = runContexts(node, secrets, o.token);
    const { spec, env } = workflowSpec({ node, contexts }, workflowConcurrency(node, contexts), o.emit);
    if (env) ports.add({ node, contexts, env });
    return spec;
  });
  const groups = workflows.flatMap((w) => (w.concurrency ? [w.concurrency] : []));
  let said = "{}";
  const observe = (s: MachineState) => {
    const waits: Record<string, string> = {};
    for (const l of Object.values(s.legs))
      if (l.phase === "group" && l.concurrency)
        waits[l.key] = `waiting for concurrency group '${l.concurrency.group}'`;
    const now = JSON.stringify(waits);
    if (now !== said) o.onWaiting?.(waits);
    said = now;
  };
  const start = () =>
    drive({ maxJobs: o.maxJobs, workflows }, ports, {
      signal: o.signal,
      record: o.record,
      ...(o.onWaiting ? { observe } : {}),
    });
  return o.gate && groups.length ? o.gate(groups, o.signal).then(start) : start();
}
