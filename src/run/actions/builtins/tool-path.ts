import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import type { BuiltinContext } from "../types.js";
import { executable } from "./toolchains.js";
import { pathOf } from "./version-input.js";

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/**
 * `name` installed beside `exe`: in its folder, else in the folder of the file it links to
 * (/usr/local/bin/node -> /opt/node-20/bin/node has its npm in /opt/node-20/bin).
 */
export function companion(exe: string, name: string): string | undefined {
  for (const d of new Set([dirname(exe), dirname(real(exe))])) {
    const p = join(d, name);
    if (executable(p)) return p;
  }
  return undefined;
}

/** Companions of `exe` by name, those that exist. */
export function companions(exe: string, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const p = companion(exe, n);
    if (p) out[n] = p;
  }
  return out;
}

/** The version in the package.json of the package an executable script belongs to (npm, corepack). */
export function packageVersion(exe: string): string | undefined {
  let dir = dirname(real(exe));
  for (let i = 0; i < 3; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: string };
      if (pkg.version) return pkg.version;
    } catch {}
    dir = dirname(dir);
  }
  return undefined;
}

function onPath(dir: string, path: string): boolean {
  const want = real(dir);
  return path.split(delimiter).some((p) => p !== "" && real(p) === want);
}

/**
 * Puts a chosen tool first on the job's PATH without reordering the user's PATH. A folder holding
 * only links to the tool and its own companions goes first, so a system folder (/usr/bin) never
 * moves ahead of pyenv, /usr/local/bin or ~/.cargo/bin. The tool's own folders (`ownDirs`, most
 * important first: where global installs of npm, pip, go install land) are added behind it, as
 * GitHub's setup actions add them, but only when PATH does not hold them already.
 * Returns the link folder.
 */
export function useTool(
  ctx: BuiltinContext,
  name: string,
  links: Record<string, string>,
  opts: { ownDirs?: string[]; scripts?: Record<string, string> } = {},
): string {
  const path = pathOf(ctx);
  for (const d of [...(opts.ownDirs ?? [])].reverse()) if (existsSync(d) && !onPath(d, path)) ctx.addPath(d);
  // RUNNER_TEMP, not the control folder: that may be on a noexec /dev/shm, and pip is a script.
  const dir = join(ctx.job.space.temp, "_slipway_tools", name);
  mkdirSync(dir, { recursive: true });
  for (const [n, target] of Object.entries(links)) {
    const p = join(dir, n);
    rmSync(p, { force: true });
    symlinkSync(target, p);
  }
  for (const [n, text] of Object.entries(opts.scripts ?? {})) {
    writeFileSync(join(dir, n), text);
    chmodSync(join(dir, n), 0o755);
  }
  ctx.addPath(dir);
  return dir;
}
