import type { JobResult } from "../events.js";
import type { Outputs } from "./types.js";

/** A job's or a run's result from its parts: failure, then cancelled, then all skipped, then success. */
export function combine(results: JobResult[]): JobResult {
  if (results.includes("failure")) return "failure";
  if (results.includes("cancelled")) return "cancelled";
  if (results.length > 0 && results.every((r) => r === "skipped")) return "skipped";
  return "success";
}

/** Matrix legs' outputs in leg order: a later leg's empty value does not hide an earlier one. */
export function mergeOutputs(all: Outputs[]): Outputs {
  const out: Outputs = {};
  for (const o of all) for (const [k, v] of Object.entries(o)) if (v !== "" || !(k in out)) out[k] = v;
  return out;
}

/** What a job counts as for its dependents and the run: continue-on-error turns failure into success. */
export function counted(result: JobResult, continueOnError: boolean): JobResult {
  return continueOnError && result === "failure" ? "success" : result;
}
