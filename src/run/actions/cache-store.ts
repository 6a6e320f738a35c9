import { spawn, spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import { glob } from "tinyglobby";
import { extractArgs, placeExtracted, scratchDir } from "./cache-restore.js";
import { expandHome } from "./paths.js";

/**
 * A local cache with GitHub's matching rules. An entry is a tar archive (zstd, or gzip
 * when zstd is missing, as actions/cache does) plus a small JSON record. Entries are
 * scoped by ref: a run sees its own ref's entries, then the default branch's.
 */
export interface CacheEntry {
  key: string;
  version: string;
  ref: string;
  created: number;
  size: number;
  archive: string;
}

let zstdPresent: boolean | undefined;
export function compression(): "zstd" | "gzip" {
  if (zstdPresent === undefined)
    zstdPresent = spawnSync("zstd", ["--version"], { stdio: "ignore" }).status === 0;
  return zstdPresent ? "zstd" : "gzip";
}

/** Like the cache service: the same key with other paths (or compression) is another entry. */
export function cacheVersion(paths: string[], comp = compression()): string {
  return createHash("sha256")
    .update([...paths, comp].join("|"))
    .digest("hex");
}

export function defaultCacheRoot(repoRoot: string): string {
  if (process.env.SLIPWAY_CACHE_DIR) return resolve(process.env.SLIPWAY_CACHE_DIR);
  const base = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "slipway", "cache");
  const id = createHash("sha256").update(resolve(repoRoot)).digest("hex").slice(0, 12);
  return join(base, `${basename(repoRoot).replace(/[^\w.-]/g, "_")}-${id}`);
}

function entries(root: string): CacheEntry[] {
  if (!existsSync(root)) return [];
  const out: CacheEntry[] = [];
  for (const f of readdirSync(root)) {
    if (!f.endsWith(".json")) continue;
    try {
      const e = JSON.parse(readFileSync(join(root, f), "utf8")) as CacheEntry;
      if (existsSync(join(root, e.archive))) out.push(e);
    } catch {}
  }
  return out;
}

/**
 * GitHub's order: in each scope (this ref, then the fallback refs), the primary key
 * exactly, then each restore key, exact before prefix, newest first.
 */
export function findEntry(
  root: string,
  keys: string[],
  version: string,
  scopes: string[],
): CacheEntry | undefined {
  const all = entries(root).filter((e) => e.version === version);
  for (const scope of scopes) {
    const here = all.filter((e) => e.ref === scope).sort((a, b) => b.created - a.created);
    for (const k of keys) {
      const exact = here.find((e) => e.key === k);
      if (exact) return exact;
      const prefix = here.find((e) => e.key.startsWith(k));
      if (prefix) return prefix;
    }
  }
  return undefined;
}

export function hasEntry(root: string, key: string, version: string, ref: string): boolean {
  return entries(root).some((e) => e.key === key && e.version === version && e.ref === ref);
}

/** Roots a cache may read or write: nothing else on the machine is touched. */
export function allowedRoots(workspace: string, temp: string, toolCache: string): string[] {
  return [workspace, homedir(), temp, toolCache, tmpdir()].map((p) => resolve(p));
}

function inside(p: string, roots: string[]): boolean {
  return roots.some((r) => {
    const rel = relative(r, p);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  });
}

const GLOB = /[*?[\]{}!]/;

/**
 * The `path` input: one pattern a line, `~` expanded, `!` excludes, relative to the
 * workspace. Returns what to archive, relative to the workspace where possible.
 */
export async function resolvePaths(lines: string[], workspace: string, roots: string[]): Promise<string[]> {
  const includes: string[] = [];
  const excludes: string[] = [];
  for (const raw of lines) {
    const neg = raw.startsWith("!");
    const p = resolve(workspace, expandHome(neg ? raw.slice(1) : raw));
    const base = staticBase(p);
    if (!inside(base, roots))
      throw new Error(
        `cache path '${raw}' is outside the folders a cache may use (workspace, home, runner temp, tool cache, ${tmpdir()})`,
      );
    (neg ? excludes : includes).push(p);
  }
  const found = new Set<string>();
  for (const p of includes) {
    if (!GLOB.test(p)) {
      if (existsSync(p)) found.add(p);
      continue;
    }
    const base = staticBase(p);
    if (!existsSync(base)) continue;
    const rest = relative(base, p).split(sep).join("/");
    for (const m of await glob([rest], {
      cwd: base,
      onlyFiles: false,
      dot: true,
      absolute: true,
      followSymbolicLinks: false,
    }))
      found.add(resolve(m));
  }
  let out = [...found];
  if (excludes.length) {
    const isEx = picomatch(excludes, { dot: true });
    out = out.filter((p) => !isEx(p));
  }
  return out.sort().map((p) => {
    const rel = relative(workspace, p);
    return rel.startsWith("..") || isAbsolute(rel) ? p : rel || ".";
  });
}

/** The part of a path before its first glob segment. */
export function staticBase(p: string): string {
  const parts = p.split(sep);
  const i = parts.findIndex((s) => GLOB.test(s));
  return i < 0 ? p : parts.slice(0, i).join(sep) || sep;
}

function pipeline(cmd: string, cwd: string): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn("bash", ["-c", `set -o pipefail; ${cmd}`], {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", rej);
    child.on("close", (code) =>
      code === 0 ? res() : rej(new Error(err.trim().split("\n").slice(-3).join(" ") || `exit ${code}`)),
    );
  });
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Archives paths (relative to cwd, or absolute) into a new entry; returns its size. */
export async function saveEntry(
  root: string,
  key: string,
  version: string,
  ref: string,
  cwd: string,
  paths: string[],
): Promise<number> {
  mkdirSync(root, { recursive: true });
  const id = createHash("sha256").update(`${ref}\n${key}\n${version}`).digest("hex").slice(0, 32);
  const comp = compression();
  const archive = `${id}.tar.${comp === "zstd" ? "zst" : "gz"}`;
  const tmp = join(root, `.${randomUUID()}.tmp`);
  const manifest = join(root, `.${randomUUID()}.list`);
  writeFileSync(manifest, `${paths.join("\n")}\n`);
  const zip = comp === "zstd" ? "zstd -T0 -3 -q" : "gzip -1";
  try {
    await pipeline(`tar -cf - -P --files-from ${q(manifest)} | ${zip} > ${q(tmp)}`, cwd);
    renameSync(tmp, join(root, archive));
  } finally {
    rmSync(tmp, { force: true });
    rmSync(manifest, { force: true });
  }
  const size = statSync(join(root, archive)).size;
  const entry: CacheEntry = { key, version, ref, created: Date.now(), size, archive };
  writeFileSync(join(root, `${id}.json`), `${JSON.stringify(entry)}\n`);
  return size;
}

/** Safe while other jobs restore the same entry into the same folders: see cache-restore.ts. */
export async function restoreEntry(root: string, e: CacheEntry, cwd: string): Promise<void> {
  const unzip = e.archive.endsWith(".zst") ? "zstd -d -q -c" : "gzip -d -c";
  const scratch = scratchDir(root);
  try {
    await pipeline(
      `${unzip} ${q(join(root, e.archive))} | tar ${extractArgs(scratch).map(q).join(" ")}`,
      cwd,
    );
    placeExtracted(scratch, cwd);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
