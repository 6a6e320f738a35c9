// The questions the core asks its driver, built from the state alone: so a driver that
// resumes from a saved state can ask again whatever was not answered before it stopped.
import type { ChildResult, Command, JobState, LegState, MachineState, NeedResult } from "./types.js";

/** A job's needs (by id) and its status functions: success() and failure() over all it needs, transitively. */
export function expandCommand(s: MachineState, j: JobState): Command {
  const needs: Record<string, NeedResult> = {};
  let success = true;
  let failure = false;
  for (const k of j.needs) {
    const n = s.jobs[k]!;
    needs[n.id] = { result: n.result!, outputs: n.outputs! };
    success &&= n.ok!;
    failure ||= n.failed!;
  }
  const cancelled = s.runs[j.run]!.cancelled !== undefined;
  return { type: "expand", job: j.key, needs, status: { success, failure, cancelled } };
}

/** A called workflow's jobs' results, by job id. */
export function collectCommand(s: MachineState, l: LegState): Command {
  const results: Record<string, ChildResult> = {};
  for (const k of l.children!) {
    const c = s.jobs[k]!;
    results[c.id] = { result: c.result!, outputs: c.outputs!, continueOnError: c.continueOnError };
  }
  return { type: "collect", job: l.job, leg: l.key, results };
}

/**
 * Every question of a saved state still waiting for its answer, in job order: expand,
 * request-approval, start-leg (with cancel-leg after it when the leg was being stopped),
 * collect. A driver resuming after a crash carries these out first (a leg whose runner is
 * gone is started again, or reported failed: the driver's choice).
 */
export function unanswered(s: MachineState): Command[] {
  const out: Command[] = [];
  for (const j of Object.values(s.jobs)) {
    if (j.phase === "expanding") out.push(expandCommand(s, j));
    if (j.phase !== "legs") continue;
    for (const k of j.legs) {
      const l = s.legs[k]!;
      if (l.phase === "approval")
        out.push({ type: "request-approval", leg: l.key, name: l.name, environment: l.environment!.name });
      if (l.phase === "running") {
        out.push({ type: "start-leg", job: l.job, leg: l.key });
        if (l.stopping !== undefined) out.push({ type: "cancel-leg", leg: l.key, reason: l.stopping });
      }
      if (l.phase === "collecting") out.push(collectCommand(s, l));
    }
  }
  return out;
}
