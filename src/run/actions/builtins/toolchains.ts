import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import semver from "semver";

/** One installation of a tool found on this machine. */
export interface Installed {
  version: string;
  /** The executable. */
  exe: string;
}

export function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` in every PATH folder (shims of version managers left out: they hide the real one). */
export function onPath(name: string, path: string): string[] {
  return path
    .split(delimiter)
    .filter((d) => d && !/[/\\]shims$/.test(d))
    .map((d) => join(d, name))
    .filter(executable);
}

/** `<root>/<version>/<rest>` for every version folder under root. */
export function versionDirs(root: string, rest: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((v) => join(root, v, rest))
    .filter(executable);
}

/** stdout of a successful run, or stderr when stdout is empty (`java -version` writes there). */
export function run(exe: string, args: string[], env?: Record<string, string>): string | undefined {
  const r = spawnSync(exe, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env,
    timeout: 20_000,
  });
  if (r.status !== 0) return undefined;
  return r.stdout.trim() || r.stderr.trim();
}

/** Finds installations among candidate executables, one per real file. */
export function probe(candidates: string[], version: (exe: string) => string | undefined): Installed[] {
  const seen = new Set<string>();
  const out: Installed[] = [];
  for (const c of candidates) {
    let real: string;
    try {
      real = realpathSync(c);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const v = version(c);
    if (v && semver.valid(v)) out.push({ version: v, exe: c });
  }
  return out;
}

/** Loose version text (1.22, v20, 3.12.1, go1.21.3) to a full semver, or undefined. */
export function coerce(v: string): string | undefined {
  return semver.coerce(v)?.version;
}

/**
 * Picks the highest installation matching a version spec as setup actions read it:
 * "20", "20.x", ">=18 <21", "3.12", "1.22.1", or "" / "latest" for the highest.
 */
export function pick(found: Installed[], spec: string): Installed | undefined {
  const s = spec.trim().replace(/^v(?=\d)/, "");
  const sorted = [...found].sort((a, b) => semver.rcompare(a.version, b.version));
  if (!s || /^(latest|current|node|stable|\*|x)$/i.test(s)) return sorted[0];
  let range = semver.validRange(s, { loose: true });
  // "3.12" and "1.22" mean the 3.12.x line, not exactly 3.12.0.
  if (/^\d+\.\d+$/.test(s)) range = `~${s}`;
  if (!range) return undefined;
  return sorted.find((i) => semver.satisfies(i.version, range, { includePrerelease: false }));
}

export const home = homedir;
