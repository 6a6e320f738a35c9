// What an action used by a step accepts and gives: its inputs (required, defaulted, deprecated)
// and outputs. Read from the action.yml of a local action (`./path`), of the action's checkout in
// the offline action store, or else from the metadata shipped for popular actions
// (data/action-metadata.ts), which is used only for versions it was taken from.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { findInStore } from "../action-store/store.js";
import { ACTION_METADATA } from "./data/action-metadata.js";

export interface InputMeta {
  required?: boolean;
  default?: boolean;
  deprecated?: boolean;
}

export interface ActionMeta {
  inputs: Record<string, InputMeta>;
  outputs: string[];
  /** A docker action also takes `args` and `entrypoint`. */
  docker?: boolean;
}

export interface ResolvedAction {
  /** As shown in messages: `actions/checkout@v4`, `./.github/actions/x`. */
  name: string;
  meta: ActionMeta;
}

/** Facts of an action.yml's text; undefined when it is not an action's metadata. */
export function metaFromYaml(text: string): ActionMeta | undefined {
  let y: unknown;
  try {
    y = parse(text);
  } catch {
    return undefined;
  }
  if (!y || typeof y !== "object") return undefined;
  const doc = y as { inputs?: unknown; outputs?: unknown; runs?: { using?: unknown } };
  if (!doc.runs || typeof doc.runs !== "object") return undefined;
  const inputs: Record<string, InputMeta> = {};
  if (doc.inputs && typeof doc.inputs === "object") {
    for (const [name, v] of Object.entries(doc.inputs as Record<string, Record<string, unknown> | null>)) {
      const f: InputMeta = {};
      if (v?.required === true || v?.required === "true") f.required = true;
      if (v?.default !== undefined && v?.default !== null) f.default = true;
      if (v?.deprecationMessage) f.deprecated = true;
      inputs[name] = f;
    }
  }
  const outputs = doc.outputs && typeof doc.outputs === "object" ? Object.keys(doc.outputs) : [];
  return { inputs, outputs, ...(doc.runs.using === "docker" ? { docker: true } : {}) };
}

function readMeta(dir: string): ActionMeta | undefined {
  for (const name of ["action.yml", "action.yaml"]) {
    const file = join(dir, name);
    if (existsSync(file)) return metaFromYaml(readFileSync(file, "utf8"));
  }
  return undefined;
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/;
const SHA = /^[0-9a-f]{40}$/i;

/** Whether version a is newer than b (missing parts count as 0). */
function newer(a: string, b: string): boolean {
  const x = VERSION.exec(a)!
    .slice(1)
    .map((n) => Number(n ?? 0));
  const y = VERSION.exec(b)
    ?.slice(1)
    .map((n) => Number(n ?? 0)) ?? [0, 0, 0];
  for (let i = 0; i < 3; i++) if (x[i]! !== y[i]!) return x[i]! > y[i]!;
  return false;
}

/**
 * Shipped metadata for owner/repo at `ref`; a SHA is read through its version comment. None for
 * versions newer than the one the data was taken from (they may have added inputs), nor for
 * refs it cannot place.
 */
export function bundledMeta(repo: string, ref: string, comment: string | undefined): ActionMeta | undefined {
  const entries = Object.entries(ACTION_METADATA).find(([k]) => k.toLowerCase() === repo.toLowerCase())?.[1];
  if (!entries) return undefined;
  const version = SHA.test(ref) ? comment : ref;
  if (!version) return undefined;
  const m = VERSION.exec(version);
  if (m) {
    const entry = entries[`v${m[1]}`];
    if (!entry || (m[2] !== undefined && newer(version, entry.version))) return undefined;
    return entry;
  }
  return entries[version] ?? entries["*"];
}

/** Resolves `uses:` values once per lint run. */
export class ActionMetaCache {
  private cache = new Map<string, ResolvedAction | undefined>();
  /** owner/repo -> whether the store has a folder for it (most lookups miss). */
  private storeRepos = new Map<string, boolean>();
  private storeExists: boolean | undefined;

  constructor(private store: string) {}

  /** `comment` is the version comment after a SHA (`# v4.2.2`), if any. */
  get(root: string, uses: string, comment?: string): ResolvedAction | undefined {
    const key = `${root}\0${uses}\0${comment ?? ""}`;
    if (this.cache.has(key)) return this.cache.get(key);
    const r = this.resolve(root, uses, comment);
    this.cache.set(key, r);
    return r;
  }

  private inStore(owner: string, repo: string): boolean {
    const key = `${owner}/${repo}`;
    let has = this.storeRepos.get(key);
    if (has === undefined) {
      this.storeExists ??= existsSync(this.store);
      has = this.storeExists && existsSync(join(this.store, owner, repo));
      this.storeRepos.set(key, has);
    }
    return has;
  }

  private resolve(root: string, uses: string, comment: string | undefined): ResolvedAction | undefined {
    if (uses.includes("${{") || uses.startsWith("docker://")) return undefined;
    if (uses.startsWith("./")) {
      // Only inside the repository: a `./../x` is not an action of this repository.
      if (uses.split("/").includes("..")) return undefined;
      const meta = readMeta(join(root, uses));
      return meta && { name: uses, meta };
    }
    const at = uses.lastIndexOf("@");
    if (at < 0) return undefined;
    const [owner, repo, ...sub] = uses.slice(0, at).split("/");
    const ref = uses.slice(at + 1);
    if (!owner || !repo || !ref || uses.includes("..")) return undefined;
    const found = this.inStore(owner, repo) ? findInStore(this.store, owner, repo, ref) : undefined;
    if (found?.ok) {
      const meta = readMeta(join(found.dir, ...sub));
      if (meta) return { name: uses, meta };
    }
    if (sub.length > 0) return undefined;
    const meta = bundledMeta(`${owner}/${repo}`, ref, comment);
    const shown = SHA.test(ref) && comment ? `${owner}/${repo}@${comment}` : uses;
    return meta && { name: shown, meta };
  }
}
