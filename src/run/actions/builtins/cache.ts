import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { glob } from "tinyglobby";
import type { Json } from "../../../expr/index.js";
import {
  allowedRoots,
  cacheVersion,
  defaultCacheRoot,
  findEntry,
  hasEntry,
  resolvePaths,
  restoreEntry,
  saveEntry,
} from "../cache-store.js";
import { repoRootOf } from "../paths.js";
import { type Builtin, type BuiltinContext, StepError } from "../types.js";
import { run } from "./toolchains.js";

const lines = (s: string) =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

interface Ctx {
  root: string;
  ref: string;
  scopes: string[];
  roots: string[];
}

function cacheCtx(ctx: BuiltinContext): Ctx {
  const github = ctx.job.contexts.github as Record<string, Json>;
  const event = (github.event ?? {}) as Record<string, Json>;
  const ref = String(github.ref ?? "");
  const def = String(((event.repository ?? {}) as Record<string, Json>).default_branch ?? "");
  const scopes = [ref];
  if (github.base_ref) scopes.push(`refs/heads/${github.base_ref}`);
  if (def) scopes.push(`refs/heads/${def}`);
  const space = ctx.job.space;
  return {
    root: defaultCacheRoot(repoRootOf(ctx.job)),
    ref,
    scopes: [...new Set(scopes)],
    roots: allowedRoots(space.workspace, space.temp, space.toolCache),
  };
}

function checkKey(key: string, what: string): void {
  if (!key) throw new StepError(`Input required and not supplied: ${what}`);
  if (key.length > 512) throw new StepError(`${what} '${key.slice(0, 40)}…' is longer than 512 characters`);
  if (key.includes(",")) throw new StepError(`${what} '${key}' cannot contain commas`);
}

interface RestoreResult {
  outputs: Record<string, string>;
  exact: boolean;
}

async function restore(
  ctx: BuiltinContext,
  c: Ctx,
  key: string,
  restoreKeys: string[],
  paths: string[],
  lookupOnly: boolean,
  failOnMiss: boolean,
): Promise<RestoreResult> {
  checkKey(key, "key");
  for (const k of restoreKeys) checkKey(k, "restore-keys");
  if (!paths.length) throw new StepError("Input required and not supplied: path");
  // Validates the paths (allowed roots) before anything is written.
  await resolvePaths(paths, ctx.workspace, c.roots);
  const hit = findEntry(c.root, [key, ...restoreKeys], cacheVersion(paths), c.scopes);
  const outputs: Record<string, string> = { "cache-primary-key": key };
  ctx.job.emit({
    type: "cache",
    job: ctx.job.key,
    action: "restore",
    key,
    hit: hit?.key === key,
    matchedKey: hit?.key,
    size: hit?.size,
  });
  if (!hit) {
    if (failOnMiss) {
      const err = new StepError(
        `Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}`,
      );
      Object.assign(err, { outputs: { ...outputs, "cache-hit": "false" } });
      throw err;
    }
    ctx.log(`Cache not found for input keys: ${[key, ...restoreKeys].join(", ")}`);
    return { outputs: { ...outputs, "cache-hit": "false", "cache-matched-key": "" }, exact: false };
  }
  const exact = hit.key === key;
  if (lookupOnly) ctx.log(`Cache found and can be restored from key: ${hit.key} (lookup-only: not restored)`);
  else {
    const t0 = Date.now();
    await restoreEntry(c.root, hit, ctx.workspace);
    ctx.log(`Cache restored from key: ${hit.key} (${mb(hit.size)} in ${Date.now() - t0} ms)`);
  }
  return { outputs: { ...outputs, "cache-hit": String(exact), "cache-matched-key": hit.key }, exact };
}

async function save(
  ctx: BuiltinContext,
  c: Ctx,
  key: string,
  paths: string[],
  log: (t: string) => void,
): Promise<boolean> {
  const version = cacheVersion(paths);
  if (hasEntry(c.root, key, version, c.ref)) {
    log(`Cache entry with key ${key} already exists; not saving (cache entries are immutable)`);
    return true;
  }
  const found = await resolvePaths(paths, ctx.workspace, c.roots);
  if (!found.length) {
    ctx.warn(
      `Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.`,
    );
    return true;
  }
  const t0 = Date.now();
  const size = await saveEntry(c.root, key, version, c.ref, ctx.workspace, found);
  ctx.job.emit({ type: "cache", job: ctx.job.key, action: "save", key, hit: false, size });
  log(`Cache saved with key: ${key} (${mb(size)} in ${Date.now() - t0} ms)`);
  return true;
}

/** actions/cache: restore now, save in a post step when the job succeeded. */
export const cache: Builtin = {
  inputs: {
    key: "",
    path: "",
    "restore-keys": "",
    "fail-on-cache-miss": "false",
    "lookup-only": "false",
    "save-always": "false",
    enableCrossOsArchive: "false",
  },
  ignored: { "upload-chunk-size": "" },
  async run(ctx) {
    const c = cacheCtx(ctx);
    const key = ctx.inputs.key.trim();
    const paths = lines(ctx.inputs.path);
    const r = await restore(
      ctx,
      c,
      key,
      lines(ctx.inputs["restore-keys"]),
      paths,
      ctx.inputs["lookup-only"] === "true",
      ctx.inputs["fail-on-cache-miss"] === "true",
    );
    if (r.exact) ctx.log("Cache hit on the primary key: the post step will not save");
    else if (ctx.inputs["lookup-only"] !== "true")
      ctx.addPost(
        `Post ${ctx.label}`,
        ctx.inputs["save-always"] === "true" ? "always()" : "success()",
        (log) => save(ctx, c, key, paths, log),
      );
    return r.outputs;
  },
};

export const cacheRestore: Builtin = {
  inputs: {
    key: "",
    path: "",
    "restore-keys": "",
    "fail-on-cache-miss": "false",
    "lookup-only": "false",
    enableCrossOsArchive: "false",
  },
  async run(ctx) {
    const c = cacheCtx(ctx);
    const r = await restore(
      ctx,
      c,
      ctx.inputs.key.trim(),
      lines(ctx.inputs["restore-keys"]),
      lines(ctx.inputs.path),
      ctx.inputs["lookup-only"] === "true",
      ctx.inputs["fail-on-cache-miss"] === "true",
    );
    return r.outputs;
  },
};

export const cacheSave: Builtin = {
  inputs: { key: "", path: "", enableCrossOsArchive: "false" },
  ignored: { "upload-chunk-size": "" },
  async run(ctx) {
    const c = cacheCtx(ctx);
    const key = ctx.inputs.key.trim();
    checkKey(key, "key");
    const paths = lines(ctx.inputs.path);
    if (!paths.length) throw new StepError("Input required and not supplied: path");
    await save(ctx, c, key, paths, ctx.log);
    return {};
  },
};

// ---------------------------------------------------------------- Swatinem/rust-cache

async function hashGlobs(cwd: string, patterns: string[]): Promise<string> {
  const h = createHash("sha256");
  const files = (
    await glob(patterns, { cwd, dot: false, ignore: ["**/target/**", "**/node_modules/**"] })
  ).sort();
  for (const f of files)
    h.update(f)
      .update("\0")
      .update(readFileSync(join(cwd, f)));
  return h.digest("hex").slice(0, 20);
}

/** Swatinem/rust-cache mapped onto the same store: ~/.cargo registry and git, and target dirs. */
export const rustCache: Builtin = {
  inputs: {
    "prefix-key": "v0-rust",
    "shared-key": "",
    key: "",
    "env-vars": "",
    workspaces: "",
    "cache-directories": "",
    "cache-targets": "true",
    "cache-on-failure": "false",
    "cache-all-crates": "false",
    "save-if": "true",
    "lookup-only": "false",
  },
  ignored: {
    "cache-provider": "",
    "cache-workspace-crates": "",
    "cache-bin": "ignored: ~/.cargo/bin holds the host's own rustup, so the built-in does not cache it",
  },
  async run(ctx) {
    const c = cacheCtx(ctx);
    const i = ctx.inputs;
    const github = ctx.job.contexts.github as Record<string, Json>;
    const env = ctx.processEnv();
    const rustc = run("rustc", ["-vV"], env) ?? "";
    const envPrefixes = [
      "CARGO",
      "CC",
      "CFLAGS",
      "CXX",
      "CMAKE",
      "RUST",
      ...i["env-vars"].split(/\s+/).filter(Boolean),
    ];
    const envText = Object.keys(env)
      .filter((k) => envPrefixes.some((p) => k.startsWith(p)) && k !== "CARGO_HOME")
      .sort()
      .map((k) => `${k}=${env[k]}`)
      .join("\n");
    const envHash = createHash("sha256").update(rustc).update(envText).digest("hex").slice(0, 8);
    const workspaces = lines(i.workspaces.replace(/\s*->\s*/g, "->")).map((w) => {
      const [root, target] = w.split("->");
      return { root: root || ".", target: target || "target" };
    });
    if (!workspaces.length) workspaces.push({ root: ".", target: "target" });
    const lockHash = await hashGlobs(ctx.workspace, [
      ...workspaces.flatMap((w) => [`${w.root}/**/Cargo.toml`, `${w.root}/**/Cargo.lock`]),
      "rust-toolchain",
      "rust-toolchain.toml",
      ".cargo/config.toml",
    ]);
    const base = `${i["prefix-key"]}-${i["shared-key"] || [github.job, i.key].filter(Boolean).join("-")}`;
    const restoreKey = `${base}-${envHash}`;
    const key = `${restoreKey}-${lockHash}`;
    const paths = [
      "~/.cargo/registry/index",
      "~/.cargo/registry/cache",
      "~/.cargo/git/db",
      ...(i["cache-targets"] === "true" ? workspaces.map((w) => join(w.root, w.target)) : []),
      ...lines(i["cache-directories"]),
    ];
    const r = await restore(ctx, c, key, [restoreKey], paths, i["lookup-only"] === "true", false);
    if (!r.exact && i["save-if"] === "true" && i["lookup-only"] !== "true")
      ctx.addPost(
        `Post ${ctx.label}`,
        i["cache-on-failure"] === "true" ? "!cancelled()" : "success()",
        (log) => save(ctx, c, key, paths, log),
      );
    return { "cache-hit": r.outputs["cache-hit"] ?? "false" };
  },
};
