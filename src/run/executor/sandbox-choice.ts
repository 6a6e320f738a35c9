import { HostExecutor } from "./host.js";
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
  | { ok: true; executor: Executor; header: string }
  | { ok: false; error: string; usage: boolean };

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
  const support = detectSandbox(w.scratch, network as SandboxNetwork);
  if (!support.ok) {
    if (wanted || network === "none")
      return { ok: false, usage: false, error: `the sandbox cannot run here: ${support.reason}` };
    return {
      ok: true,
      executor: new HostExecutor(),
      header: `executor: host (no sandbox: ${support.reason}; jobs can change this machine)`,
    };
  }
  const sandbox = new SandboxExecutor(support, network as SandboxNetwork);
  return { ok: true, executor: sandbox, header: `executor: ${sandbox.describe()}` };
}
