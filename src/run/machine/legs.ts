// A leg's way to running: approval, a max-parallel slot of its job, a global slot, its
// concurrency group; then running, then done. Waiting legs hold what they already got, in
// that order, as the promise-driven scheduler this replaced did.
import { notApproved } from "../../plan/api.js";
import type { JobResult } from "../events.js";
import { type Ctx, emit } from "./ctx.js";
import type { LegPlan, LegState, Outputs } from "./types.js";

export const FAIL_FAST = "cancelled by fail-fast after another matrix job failed";

/** A leg the planner has just decided: it ends at once, asks for approval, or queues. */
export function beginLeg(ctx: Ctx, leg: LegState, plan: LegPlan): void {
  const job = ctx.s.jobs[leg.job]!;
  const cancelled = ctx.s.runs[job.run]!.cancelled ?? job.aborted;
  if (plan.fail !== undefined) endLeg(ctx, leg, "failure", {}, plan.fail, true);
  else if (plan.skip !== undefined) endLeg(ctx, leg, "skipped", {}, plan.skip, true);
  else if (cancelled) endLeg(ctx, leg, "cancelled", {}, cancelled, true);
  else if (leg.environment) {
    leg.phase = "approval";
    emit(ctx, { type: "approval-requested", job: leg.key, environment: leg.environment.name });
    ctx.out.push({
      type: "request-approval",
      leg: leg.key,
      name: leg.name,
      environment: leg.environment.name,
    });
  } else mayRun(ctx, leg, "");
}

export function approvalDecided(
  ctx: Ctx,
  leg: LegState,
  approved: boolean,
  by: string,
  rejected?: string,
): void {
  if (leg.phase !== "approval") return; // cancelled meanwhile
  const env = leg.environment!;
  emit(ctx, { type: "approval-decided", job: leg.key, environment: env.name, approved, by });
  // Rejected by a reviewer: the job fails (GitHub fails the run); merely not approved: skipped.
  if (!approved && rejected) endLeg(ctx, leg, "failure", {}, rejected, true);
  else if (!approved) endLeg(ctx, leg, "skipped", {}, notApproved(env.name), true);
  else mayRun(ctx, leg, by);
}

function mayRun(ctx: Ctx, leg: LegState, approvedBy: string): void {
  for (const text of leg.notes ?? []) emit(ctx, { type: "log", job: leg.key, stream: "info", text });
  const env = leg.environment;
  if (env)
    emit(ctx, {
      type: "log",
      job: leg.key,
      stream: "info",
      text: `environment '${env.name}' approved by ${approvedBy}${env.url ? `; url: ${env.url}` : ""}`,
    });
  const job = ctx.s.jobs[leg.job]!;
  if (job.active < Math.max(1, job.maxParallel)) {
    job.active++;
    toSlot(ctx, leg);
  } else {
    leg.phase = "leg-slot";
    job.queue.push(leg.key);
  }
}

function toSlot(ctx: Ctx, leg: LegState): void {
  if (ctx.s.slotsUsed < ctx.s.maxJobs) {
    ctx.s.slotsUsed++;
    toGroup(ctx, leg);
  } else {
    leg.phase = "slot";
    ctx.s.slotQueue.push(leg.key);
  }
}

function toGroup(ctx: Ctx, leg: LegState): void {
  const c = leg.concurrency;
  if (c && !enterGroup(ctx, c.group, `leg:${leg.key}`, c.cancel)) {
    leg.phase = "group";
    return;
  }
  leg.phase = "running";
  leg.startedAt = ctx.now;
  ctx.out.push({ type: "start-leg", job: leg.job, leg: leg.key });
}

/** Takes the group if it is free; otherwise waits, and with cancel-in-progress cancels its holder. */
export function enterGroup(ctx: Ctx, group: string, who: string, cancel: boolean): boolean {
  const g = ctx.s.groups[group];
  if (!g) {
    ctx.s.groups[group] = { holder: who, waiters: [] };
    return true;
  }
  g.waiters.push({ who, cancel });
  if (cancel && g.holder) cancelHolder(ctx, group, g.holder);
  return false;
}

export function leaveGroup(ctx: Ctx, group: string, who: string): void {
  const g = ctx.s.groups[group];
  if (!g || g.holder !== who) return;
  g.holder = "";
  if (g.waiters.length) ctx.freedGroups.add(group);
  else delete ctx.s.groups[group];
}

function cancelHolder(ctx: Ctx, group: string, who: string): void {
  const id = who.slice(4);
  if (who.startsWith("run:")) ctx.hooks.cancelRun(ctx, Number(id), newerRun(group));
  else cancelLeg(ctx, ctx.s.legs[id]!, newerJob(group));
}

const newerRun = (group: string) => `cancelled by a newer run in concurrency group '${group}'`;
const newerJob = (group: string) => `cancelled by a newer job in concurrency group '${group}'`;

/** Cancels a leg wherever it is: a running one is asked to stop, a waiting one ends now. */
export function cancelLeg(ctx: Ctx, leg: LegState, reason: string): void {
  switch (leg.phase) {
    case "running":
      if (leg.stopping !== undefined) return;
      leg.stopping = reason;
      ctx.out.push({ type: "cancel-leg", leg: leg.key, reason });
      return;
    case "done":
    case "calling":
    case "collecting":
      return;
    case "approval":
      // Withdraws the question (a prompt, a web page); a late answer is ignored.
      ctx.out.push({ type: "cancel-leg", leg: leg.key, reason });
      endLeg(ctx, leg, "cancelled", {}, reason, true);
      return;
    default:
      release(ctx, leg);
      endLeg(ctx, leg, "cancelled", {}, reason, true);
  }
}

/** Gives back what the leg holds or waits for. Freed slots are handed on by handOn(). */
function release(ctx: Ctx, leg: LegState): void {
  const job = ctx.s.jobs[leg.job]!;
  const who = `leg:${leg.key}`;
  const drop = (list: string[], key: string) => {
    const i = list.indexOf(key);
    if (i >= 0) list.splice(i, 1);
  };
  const phase = leg.phase;
  if (phase === "leg-slot") drop(job.queue, leg.key);
  if (phase === "slot") drop(ctx.s.slotQueue, leg.key);
  if (phase === "group") {
    const g = ctx.s.groups[leg.concurrency!.group]!;
    g.waiters = g.waiters.filter((w) => w.who !== who);
  }
  if (phase === "running" && leg.concurrency) leaveGroup(ctx, leg.concurrency.group, who);
  if (phase === "group" || phase === "running") ctx.s.slotsUsed--;
  if (phase === "slot" || phase === "group" || phase === "running") {
    job.active--;
    ctx.freedJobs.add(job.key);
  }
}

export function legFinished(
  ctx: Ctx,
  leg: LegState,
  result: JobResult,
  outputs: Outputs,
  reason: string | undefined,
): void {
  if (leg.phase !== "running") return;
  const job = ctx.s.jobs[leg.job]!;
  // Fail-fast first: the job's waiting legs end before the freed slots could start them.
  if (result === "failure" && job.failFast && !job.continueOnError && job.isMatrix && !job.aborted) {
    job.aborted = FAIL_FAST;
    for (const k of job.legs) if (k !== leg.key) cancelLeg(ctx, ctx.s.legs[k]!, FAIL_FAST);
  }
  release(ctx, leg);
  endLeg(ctx, leg, result, outputs, reason, false);
}

/** The leg is over; `announce` when no runner said so with its own job-end. */
export function endLeg(
  ctx: Ctx,
  leg: LegState,
  result: JobResult,
  outputs: Outputs,
  reason: string | undefined,
  announce: boolean,
): void {
  leg.phase = "done";
  leg.result = result;
  leg.outputs = outputs;
  if (reason !== undefined) leg.reason = reason;
  if (announce)
    emit(ctx, {
      type: "job-end",
      job: leg.key,
      name: leg.name,
      result,
      durationMs: leg.children ? ctx.now - leg.startedAt : 0,
      reason,
      outputs,
    });
  ctx.hooks.legEnded(ctx, leg.job);
}

/** Hands freed groups and slots to those waiting, until nothing more moves. */
export function handOn(ctx: Ctx): void {
  const s = ctx.s;
  while (ctx.freedGroups.size || ctx.freedJobs.size || (s.slotQueue.length && s.slotsUsed < s.maxJobs)) {
    for (const group of ctx.freedGroups) {
      ctx.freedGroups.delete(group);
      grant(ctx, group);
    }
    while (s.slotQueue.length && s.slotsUsed < s.maxJobs) {
      s.slotsUsed++;
      toGroup(ctx, s.legs[s.slotQueue.shift()!]!);
    }
    for (const key of ctx.freedJobs) {
      ctx.freedJobs.delete(key);
      const job = s.jobs[key]!;
      while (job.queue.length && job.active < Math.max(1, job.maxParallel)) {
        job.active++;
        toSlot(ctx, s.legs[job.queue.shift()!]!);
      }
    }
  }
}

/** The first waiter takes the group; a cancel-in-progress waiter behind it cancels it at once. */
function grant(ctx: Ctx, group: string): void {
  const g = ctx.s.groups[group];
  if (!g || g.holder) return;
  const next = g.waiters.shift();
  if (!next) {
    delete ctx.s.groups[group];
    return;
  }
  g.holder = next.who;
  const newer = g.waiters.some((w) => w.cancel);
  if (next.who.startsWith("run:")) {
    const run = Number(next.who.slice(4));
    if (newer) ctx.hooks.cancelRun(ctx, run, newerRun(group));
    ctx.hooks.runGranted(ctx, run);
    return;
  }
  const leg = ctx.s.legs[next.who.slice(4)]!;
  if (newer) {
    leg.phase = "running"; // holds the group: release() gives it back
    release(ctx, leg);
    endLeg(ctx, leg, "cancelled", {}, newerJob(group), true);
    return;
  }
  leg.phase = "running";
  leg.startedAt = ctx.now;
  ctx.out.push({ type: "start-leg", job: leg.job, leg: leg.key });
}
