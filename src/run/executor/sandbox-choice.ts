import { HostExecutor } from "./host.js";
import { LazyExecutor } from "./lazy.js";
import { detectSandbox, SandboxExecutor, type SandboxNetwork } from "./sandbox.js";
import type { Executor } from "./types.js";

export interface ExecutorWish {
  /** true: --sandbox (fail when it cannot work); false: --no-sandbox / --host; undefined: auto. */
  sandbox?: boolean;
  network?: string;
  /** A folder for the one-time probe. */
  scratch: string;
  /** SLIPWAY_SANDBOX from the environment: "0" off, "1" required, else auto. */
  envSetting?: string;
}

export type ExecutorChoice =
  /** header: the run header's line; undefined when the executor says it once made (LazyExecutor). */
  { ok: true; executor: Executor; header?: string } | { ok: false; error: string; usage: boolean };

/**
 * Picks the executor once per run: the sandbox where this machine can make one (a fresh
 * machine per job, as on GitHub), the host otherwise, with the reason in the header.
 */
export function chooseExecutor(w: ExecutorWish): ExecutorChoice {
  const network = w.network ?? "host";
  if (network !== "host" && network !== "none")
    return { ok: false, usage: true, error: `--network expects host or none, got '${network}'` };
  const env = w.envSetting;
  const wanted = w.sandbox ?? (env === "0" ? false : env === "1" ? true : undefined);
  if (wanted === false) {
    if (network === "none")
      return { ok: false, usage: true, error: "--network none needs the sandbox (drop --no-sandbox/--host)" };
    const why = w.sandbox === false ? "--no-sandbox" : "SLIPWAY_SANDBOX=0";
    return { ok: true, executor: new HostExecutor(), header: `executor: host (${why})` };
  }
  // Auto: nothing can fail, so the probe waits until a job runs (none may: job reuse).
  if (wanted === undefined && network === "host")
    return { ok: true, executor: new LazyExecutor(() => sandboxOrHost(w.scratch)) };
  // Required (--sandbox, SLIPWAY_SANDBOX=1, --network none): an error before the run when it cannot work.
  const support = detectSandbox(w.scratch, network as SandboxNetwork);
  if (!support.ok)
    return { ok: false, usage: false, error: `the sandbox cannot run here: ${support.reason}` };
  const sandbox = new SandboxExecutor(support, network as SandboxNetwork);
  return { ok: true, executor: sandbox, header: `executor: ${sandbox.describe()}` };
}

/** The sandbox where this machine can make one, else the host, with the header saying why. */
export function sandboxOrHost(scratch: string): { executor: Executor; header: string } {
  const support = detectSandbox(scratch, "host");
  if (!support.ok)
    return {
      executor: new HostExecutor(),
      header: `executor: host (no sandbox: ${support.reason}; jobs can change this machine)`,
    };
  const sandbox = new SandboxExecutor(support, "host");
  return { executor: sandbox, header: `executor: ${sandbox.describe()}` };
}
