import { spawn } from "node:child_process";

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a registry's own CLI and collects its output. A missing program is exit 127 with the
 * shell's words, not a throw: the caller says which tool the machine lacks.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", (e: NodeJS.ErrnoException) => {
      const ms = performance.now() - t0;
      resolve({
        code: 127,
        stdout,
        stderr: e.code === "ENOENT" ? `${cmd}: command not found` : e.message,
        ms,
      });
    });
    child.on("close", (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Whether a program is on PATH. */
export async function have(cmd: string, cwd: string): Promise<boolean> {
  return (await run(cmd, ["--version"], { cwd })).code === 0;
}

/** Retries `fn` until it returns a value, with doubling waits, until `timeoutMs` has passed. */
export async function poll<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  firstDelayMs = 100,
): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  let delay = firstDelayMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() + delay > end) return undefined;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }
}
