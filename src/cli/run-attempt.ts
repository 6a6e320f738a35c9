import { nextAttempt } from "../db/attempts.js";
import type { RunAttempt } from "../plan/contexts.js";
import { readHistory, UsageError } from "./common.js";

// `slipway run --rerun-of N`: the run is a new attempt of run N, as a re-run is on GitHub — it
// keeps github.run_id and run_number (its first attempt's) and github.run_attempt goes up.
// Its own Slipway run number and folder are new: every attempt's logs and results are kept.

const RUN_NUMBER = /^[1-9]\d{0,8}$/;

export interface RerunOf {
  /** The run this one is a new attempt of. */
  run: number;
  /** The option that said so, for messages. */
  option: "--rerun-of" | "--keep-succeeded-of";
}

/** The run named by --rerun-of, or by --keep-succeeded-of (which implies it); bad values are usage errors. */
export function rerunOfOption(values: {
  "rerun-of"?: string;
  "keep-succeeded-of"?: string;
}): RerunOf | undefined {
  const given = (["rerun-of", "keep-succeeded-of"] as const).filter((k) => values[k] !== undefined);
  for (const k of given)
    if (!RUN_NUMBER.test(values[k]!))
      throw new UsageError(`--${k}: expected a run number, got '${values[k]}'`);
  const rerun = values["rerun-of"];
  const keep = values["keep-succeeded-of"];
  if (rerun !== undefined && keep !== undefined && rerun !== keep)
    throw new UsageError(
      `--rerun-of ${rerun} and --keep-succeeded-of ${keep} name different runs (--keep-succeeded-of N is a new attempt of run N)`,
    );
  if (rerun !== undefined) return { run: Number(rerun), option: "--rerun-of" };
  if (keep !== undefined) return { run: Number(keep), option: "--keep-succeeded-of" };
  return undefined;
}

/**
 * The attempt this run is, read from the run history; undefined when there is no history
 * (SLIPWAY_HISTORY=0) and the run was only asked to keep succeeded jobs (it keeps none then).
 * No such run: a usage error.
 */
export async function resolveAttempt(
  root: string,
  db: string | undefined,
  of: RerunOf,
): Promise<RunAttempt | undefined> {
  if (process.env.SLIPWAY_HISTORY === "0") {
    if (of.option === "--keep-succeeded-of") return undefined;
    throw new UsageError(
      `--rerun-of ${of.run}: the run history is off (SLIPWAY_HISTORY=0): no run to re-run`,
    );
  }
  return readHistory(root, db, async (h) => {
    const next = h ? await nextAttempt(h, of.run) : `no run ${of.run} in the run history`;
    if (typeof next === "string") throw new UsageError(`${of.option} ${of.run}: ${next}`);
    return { runId: next.runId, runNumber: next.first, attempt: next.attempt };
  });
}
