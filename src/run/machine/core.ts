// The scheduler's pure core: step(state, event) → state and commands. No I/O, no timers, no
// clock: time comes in events. The state is plain JSON, so a driver can save it after every
// transition and resume from it. step() changes the state it is given (no copy per event) and
// returns it.
import type { JobResult } from "../events.js";
import { type Ctx, emit } from "./ctx.js";
import {
  approvalDecided,
  beginLeg,
  cancelLeg,
  endLeg,
  enterGroup,
  handOn,
  leaveGroup,
  legFinished,
} from "./legs.js";
import { collectCommand, expandCommand } from "./questions.js";
import { combine, counted, mergeOutputs } from "./result.js";
import type {
  CallPlan,
  Command,
  Decision,
  JobState,
  LegState,
  MachineConfig,
  MachineEvent,
  MachineState,
  NodeSpec,
} from "./types.js";

const RUN_CANCELLED = "the run was cancelled";

export function initialState(config: MachineConfig): MachineState {
  const pendingNodes: MachineState["pendingNodes"] = {};
  const runs = config.workflows.map((w, i): MachineState["runs"][number] => {
    pendingNodes[`run:${i}`] = w.nodes;
    return {
      workflow: w.workflow,
      concurrency: w.concurrency,
      phase: "waiting",
      failedToStart: w.error !== undefined,
      jobs: [],
      open: 0,
    };
  });
  return {
    maxJobs: Math.max(1, config.maxJobs),
    slotsUsed: 0,
    slotQueue: [],
    groups: {},
    runs,
    jobs: {},
    legs: {},
    pendingNodes,
    started: false,
  };
}

export function step(state: MachineState, event: MachineEvent): { state: MachineState; commands: Command[] } {
  const ctx: Ctx = {
    s: state,
    out: [],
    now: event.time,
    freedJobs: new Set(),
    freedGroups: new Set(),
    hooks: { legEnded, runGranted: beginRun, cancelRun },
  };
  apply(ctx, event);
  handOn(ctx);
  return { state, commands: ctx.out };
}

function apply(ctx: Ctx, ev: MachineEvent): void {
  const s = ctx.s;
  switch (ev.type) {
    case "start":
      if (s.started) return;
      s.started = true;
      if (s.runs.length === 0) ctx.out.push({ type: "run-finished", result: "success" });
      for (const [i, run] of s.runs.entries()) {
        const c = run.concurrency;
        if (run.failedToStart) finishRun(ctx, i);
        else if (!c || enterGroup(ctx, c.group, `run:${i}`, c.cancel)) beginRun(ctx, i);
      }
      return;
    case "expanded":
      expanded(ctx, job(s, ev.job), ev.decision);
      return;
    case "approval-decided":
      approvalDecided(ctx, leg(s, ev.leg), ev.approved, ev.by, ev.rejected);
      return;
    case "leg-finished":
      legFinished(ctx, leg(s, ev.leg), ev.result, ev.outputs, ev.reason);
      return;
    case "collected": {
      const l = leg(s, ev.leg);
      if (l.phase === "collecting") endLeg(ctx, l, ev.result, ev.outputs, ev.reason, true);
      return;
    }
    case "cancel":
      s.runs.forEach((run, i) => {
        if (run.phase !== "done") cancelRun(ctx, i, ev.reason ?? RUN_CANCELLED);
      });
      return;
  }
}

function job(s: MachineState, key: string): JobState {
  const j = s.jobs[key];
  if (!j) throw new Error(`no job '${key}' in this run`);
  return j;
}

function leg(s: MachineState, key: string): LegState {
  const l = s.legs[key];
  if (!l) throw new Error(`no leg '${key}' in this run`);
  return l;
}

function beginRun(ctx: Ctx, i: number): void {
  const run = ctx.s.runs[i]!;
  run.phase = "running";
  const nodes = ctx.s.pendingNodes[`run:${i}`] ?? [];
  delete ctx.s.pendingNodes[`run:${i}`];
  run.jobs = nodes.map((n) => n.key);
  run.open = nodes.length;
  insert(ctx, nodes, i, "", run.workflow);
  if (run.open === 0) finishRun(ctx, i);
}

/** A workflow's jobs (or a called workflow's) join the run: queued, and expanded when ready. */
function insert(ctx: Ctx, nodes: NodeSpec[], run: number, scope: string, workflow: string): void {
  const s = ctx.s;
  const keyOf = new Map(nodes.map((n) => [n.id, n.key]));
  for (const n of nodes) {
    const needs = n.needs.map((id) => {
      const k = keyOf.get(id);
      if (k === undefined) throw new Error(`job '${n.key}' needs '${id}', which is not in its workflow`);
      return k;
    });
    if (n.key in s.jobs) throw new Error(`two jobs have the key '${n.key}'`);
    s.jobs[n.key] = {
      key: n.key,
      id: n.id,
      name: n.name,
      run,
      scope,
      needs,
      dependents: [],
      pending: needs.length,
      phase: "waiting",
      legs: [],
      open: 0,
      isMatrix: false,
      failFast: false,
      maxParallel: 1,
      continueOnError: false,
      active: 0,
      queue: [],
      expandedAt: 0,
    };
    emit(ctx, { type: "job-queued", job: n.key, name: n.name, workflow });
    if (n.prefetch) ctx.out.push({ type: "prefetch", job: n.key });
  }
  for (const n of nodes) for (const k of s.jobs[n.key]!.needs) s.jobs[k]!.dependents.push(n.key);
  for (const n of nodes) if (s.jobs[n.key]!.pending === 0) expand(ctx, s.jobs[n.key]!);
}

function expand(ctx: Ctx, j: JobState): void {
  j.phase = "expanding";
  ctx.out.push(expandCommand(ctx.s, j));
}

function expanded(ctx: Ctx, j: JobState, d: Decision): void {
  if (j.phase !== "expanding") return;
  j.expandedAt = ctx.now;
  j.phase = "legs";
  if (d.type === "skip" || d.type === "fail") {
    const result = d.type === "skip" ? "skipped" : "failure";
    emit(ctx, {
      type: "job-end",
      job: j.key,
      name: j.name,
      result,
      durationMs: 0,
      reason: d.reason,
      outputs: {},
    });
    finishJob(ctx, j, result, {});
    return;
  }
  const s = ctx.s;
  const plans = d.type === "legs" ? d.legs : d.calls;
  j.isMatrix = d.isMatrix;
  if (d.type === "legs") {
    j.failFast = d.failFast;
    j.maxParallel = d.maxParallel;
    j.continueOnError = d.continueOnError;
  }
  for (const p of plans) {
    if (p.key in s.legs) throw new Error(`two legs have the key '${p.key}'`);
    s.legs[p.key] = {
      key: p.key,
      job: j.key,
      name: p.name,
      phase: "approval",
      startedAt: ctx.now,
      ...("concurrency" in p && p.concurrency ? { concurrency: p.concurrency } : {}),
      ...("environment" in p && p.environment ? { environment: p.environment } : {}),
      ...("notes" in p && p.notes ? { notes: p.notes } : {}),
    };
    j.legs.push(p.key);
  }
  j.open = plans.length;
  if (plans.length === 0) finishJob(ctx, j, "success", {});
  else if (d.type === "legs") for (const p of d.legs) beginLeg(ctx, s.legs[p.key]!, p);
  else for (const c of d.calls) call(ctx, j, s.legs[c.key]!, c);
}

function call(ctx: Ctx, j: JobState, l: LegState, c: CallPlan): void {
  if (c.fail !== undefined) endLeg(ctx, l, "failure", {}, c.fail, true);
  else if (c.skip !== undefined) endLeg(ctx, l, "skipped", {}, c.skip, true);
  else start(ctx, j, l, c);
}

function start(ctx: Ctx, j: JobState, l: LegState, c: CallPlan): void {
  l.phase = "calling";
  l.children = c.nodes.map((n) => n.key);
  l.open = c.nodes.length;
  insert(ctx, c.nodes, j.run, l.key, c.workflow);
  if (l.open === 0) collect(ctx, l);
}

function collect(ctx: Ctx, l: LegState): void {
  l.phase = "collecting";
  ctx.out.push(collectCommand(ctx.s, l));
}

function legEnded(ctx: Ctx, key: string): void {
  const j = ctx.s.jobs[key]!;
  if (--j.open > 0) return;
  const legs = j.legs.map((k) => ctx.s.legs[k]!);
  const result = combine(legs.map((l) => l.result!));
  const outputs = mergeOutputs(legs.map((l) => l.outputs!));
  if (j.isMatrix) {
    // The legs that failed say more than the ones fail-fast cancelled because of them.
    const failed = legs.filter((l) => l.result === "failure").map((l) => l.name);
    const cancelled = ctx.s.runs[j.run]!.cancelled;
    const reason = failed.length
      ? `${failed.join(", ")} failed`
      : (legs.find((l) => l.result === result && l.reason)?.reason ??
        (result === "cancelled" ? cancelled : undefined));
    emit(ctx, {
      type: "job-end",
      job: j.key,
      name: j.name,
      result,
      durationMs: ctx.now - j.expandedAt,
      reason: result === "success" ? undefined : reason,
      outputs,
    });
  }
  finishJob(ctx, j, result, outputs);
}

function finishJob(ctx: Ctx, j: JobState, result: JobResult, outputs: Record<string, string>): void {
  const s = ctx.s;
  j.phase = "done";
  j.result = result;
  j.outputs = outputs;
  const needs = j.needs.map((k) => s.jobs[k]!);
  j.ok = counted(result, j.continueOnError) === "success" && needs.every((n) => n.ok);
  j.failed = (result === "failure" && !j.continueOnError) || needs.some((n) => n.failed);
  for (const k of j.dependents) {
    const d = s.jobs[k]!;
    if (--d.pending === 0) expand(ctx, d);
  }
  if (j.scope === "") {
    if (--s.runs[j.run]!.open === 0) finishRun(ctx, j.run);
    return;
  }
  const l = s.legs[j.scope]!;
  if (--l.open! === 0) collect(ctx, l);
}

function finishRun(ctx: Ctx, i: number): void {
  const s = ctx.s;
  const run = s.runs[i]!;
  run.phase = "done";
  if (run.concurrency && !run.failedToStart) leaveGroup(ctx, run.concurrency.group, `run:${i}`);
  if (s.runs.some((r) => r.phase !== "done")) return;
  const results = s.runs.flatMap((r) =>
    r.failedToStart
      ? ["failure" as const]
      : r.jobs.map((k) => counted(s.jobs[k]!.result!, s.jobs[k]!.continueOnError)),
  );
  s.result = combine(results);
  ctx.out.push({ type: "run-finished", result: s.result });
}

/** Ctrl-C, or a newer run in its concurrency group: running legs are stopped, waiting ones end. */
function cancelRun(ctx: Ctx, i: number, reason: string): void {
  const run = ctx.s.runs[i]!;
  if (run.cancelled !== undefined) return;
  run.cancelled = reason;
  for (const j of Object.values(ctx.s.jobs))
    if (j.run === i && j.phase === "legs") for (const k of j.legs) cancelLeg(ctx, ctx.s.legs[k]!, reason);
}
