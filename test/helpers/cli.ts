import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "../..");
export const SHARED = join(ROOT, "../shared");
export const BIN = join(ROOT, "bin/slipway.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would. */
export function slipway(args: string[], cwd: string, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CI: "true", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Async variant so several cases can run at once. */
export async function slipwayAsync(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, CI: "true", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A throw-away git repository holding a copy of `src` (or `files`), with one commit. */
export function tempRepo(src?: string, files: Record<string, string> = {}, origin?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-test-"));
  if (src) cpSync(src, dir, { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    const full = join(dir, p);
    execFileSync("mkdir", ["-p", join(full, "..")]);
    writeFileSync(full, text);
  }
  const git = (...a: string[]) => execFileSync("git", a, { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "test@example.com");
  git("config", "user.name", "test");
  git("config", "commit.gpgsign", "false");
  if (origin) git("remote", "add", "origin", origin);
  git("add", "-A");
  git("commit", "-q", "-m", "initial", "--allow-empty");
  return dir;
}
