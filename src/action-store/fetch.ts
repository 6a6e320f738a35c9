import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { childProcess } from "../builtin.js";
import { isSha } from "./ref.js";
import { addHint, defaultStore, findInStore, META, readMeta, type StoreMeta } from "./store.js";

/**
 * Where a remote action missing from the store is fetched from: GitHub, or SLIPWAY_GITHUB_URL
 * (another URL, or a folder holding owner/repo git repositories, for mirrors and tests).
 * Undefined when fetching is forbidden: SLIPWAY_OFFLINE=1, which `--offline` sets.
 */
export function fetchBase(): string | undefined {
  const off = process.env.SLIPWAY_OFFLINE;
  if (off && off !== "0" && off !== "false") return undefined;
  return githubBase();
}

export function githubBase(): string {
  return process.env.SLIPWAY_GITHUB_URL || "https://github.com";
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** The git URL of owner/repo under a base; in a folder, `repo.git` (a bare repository) also counts. */
export function repoUrl(base: string, owner: string, repo: string): string {
  if (isUrl(base)) return `${base.replace(/\/+$/, "")}/${owner}/${repo}`;
  const dir = join(resolve(base), owner, repo);
  return !existsSync(dir) && existsSync(`${dir}.git`) ? `${dir}.git` : dir;
}

/** A URL without the user and password it may carry (SLIPWAY_GITHUB_URL=https://user:token@host). */
function shown(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

export type FetchResult = { ok: true; dir: string; meta: StoreMeta } | { ok: false; error: string };

async function git(cwd: string, args: string[]): Promise<string> {
  const { execFile } = childProcess();
  return new Promise((done, fail) =>
    execFile(
      "git",
      // A stalled transfer fails after 30 s instead of holding the job until the timeout.
      ["-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=30", ...args],
      {
        cwd,
        encoding: "utf8",
        timeout: 300_000,
        // A missing or private repository must fail, not ask for a password.
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", SSH_ASKPASS: "" },
      },
      (err, stdout, stderr) => {
        if (!err) return done(stdout.trim());
        const text = (stderr.trim() || err.message).split("\n").slice(-3).join(" ");
        fail(new Error(text));
      },
    ),
  );
}

/** The commit of `ref` (tag, branch or SHA) at `url`, fetched into `work`: one commit when the server allows it. */
async function fetchCommit(work: string, url: string, ref: string): Promise<string> {
  await git(work, ["init", "-q"]);
  await git(work, ["remote", "add", "origin", url]);
  try {
    await git(work, ["fetch", "-q", "--depth", "1", "--no-tags", "origin", ref]);
    return await git(work, ["rev-parse", "--verify", "-q", "FETCH_HEAD^{commit}"]);
  } catch (shallow) {
    // Servers that refuse a SHA they do not advertise still give the whole history.
    try {
      await git(work, [
        "fetch",
        "-q",
        "origin",
        "+refs/heads/*:refs/remotes/origin/*",
        "+refs/tags/*:refs/tags/*",
      ]);
    } catch {
      throw shallow;
    }
    for (const c of [`refs/tags/${ref}`, `refs/remotes/origin/${ref}`, ref])
      try {
        return await git(work, ["rev-parse", "--verify", "-q", `${c}^{commit}`]);
      } catch {}
    throw new Error(`no tag, branch or commit '${ref}'`);
  }
}

async function fetchInto(
  store: string,
  owner: string,
  repo: string,
  ref: string,
  base: string,
  replace: boolean,
): Promise<FetchResult> {
  const url = repoUrl(base, owner, repo);
  const parent = join(store, owner, repo);
  mkdirSync(parent, { recursive: true });
  // Beside its destination, so the final rename is atomic and another Slipway never sees half a checkout.
  const tmp = await mkdtemp(join(parent, ".fetch-"));
  try {
    const work = join(tmp, "src");
    mkdirSync(work);
    let commit: string;
    try {
      commit = await fetchCommit(work, url, ref);
    } catch (e) {
      return { ok: false, error: `cannot fetch ${ref} from ${shown(url)}: ${(e as Error).message}` };
    }
    if (isSha(ref) && commit.toLowerCase() !== ref.toLowerCase())
      return { ok: false, error: `${shown(url)} resolves ${ref} to ${commit}` };
    await git(work, ["checkout", "-q", "--detach", commit]);
    if (existsSync(join(work, ".gitmodules")))
      await git(work, ["submodule", "--quiet", "update", "--init", "--recursive", "--depth", "1"]);
    rmSync(join(work, ".git"), { recursive: true, force: true });
    const meta: StoreMeta = { commit, source: shown(url), added: new Date().toISOString() };
    writeFileSync(join(work, META), `${JSON.stringify(meta, null, 2)}\n`);
    const dest = join(parent, ref);
    mkdirSync(dirname(dest), { recursive: true });
    if (replace) rmSync(dest, { recursive: true, force: true });
    try {
      renameSync(work, dest);
    } catch (e) {
      // Another Slipway stored it first: that copy is as good.
      const theirs = readMeta(dest);
      if (!theirs) throw e;
      return { ok: true, dir: dest, meta: theirs };
    }
    return { ok: true, dir: dest, meta };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const pending = new Map<string, Promise<FetchResult>>();
/** Bases that could not be reached: one network failure, not one per action, when offline by accident. */
const unreachable = new Map<string, string>();
const NETWORK =
  /could not resolve host|failed to connect|connection refused|timed out|network is unreachable/i;

/**
 * Clones owner/repo at `ref` from `base` into the store. Jobs of one run that need the same action
 * share one fetch; a copy stored meanwhile by another Slipway is kept unless `replace`
 * (`slipway actions add`, which refreshes a branch).
 */
export function fetchToStore(
  store: string,
  owner: string,
  repo: string,
  ref: string,
  base: string,
  replace = false,
): Promise<FetchResult> {
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(ref) || ref.split("/").some((p) => p === "." || p === ".."))
    return Promise.resolve({ ok: false, error: `invalid ref '${ref}'` });
  const down = unreachable.get(base);
  if (down)
    return Promise.resolve({ ok: false, error: `${down} (${shown(base)} is unreachable: not tried again)` });
  const key = JSON.stringify([store, owner, repo, ref, base]);
  let p = pending.get(key);
  if (!p) {
    p = fetchInto(store, owner, repo, ref, base, replace)
      .catch((e: Error): FetchResult => ({ ok: false, error: e.message }))
      .then((r) => {
        if (!r.ok && NETWORK.test(r.error)) unreachable.set(base, r.error);
        return r;
      });
    pending.set(key, p);
    void p.finally(() => pending.delete(key));
  }
  return p;
}

export type Found =
  | { ok: true; dir: string; meta?: StoreMeta; fetchedFrom?: string }
  | { ok: false; error: string };

/**
 * owner/repo@ref from the action store; when it is missing there, fetched into it first unless
 * fetching is forbidden. The store stays the cache: what is in it is never fetched again.
 * `what` names the thing for messages ("action 'owner/repo@v1'").
 */
export async function findOrFetch(
  owner: string,
  repo: string,
  ref: string,
  what: string,
  store = defaultStore(),
  base = fetchBase(),
): Promise<Found> {
  const hit = findInStore(store, owner, repo, ref);
  if (hit.ok || hit.error) return hit;
  const hint = addHint(owner, repo, ref);
  if (!base)
    return {
      ok: false,
      error: `${what} is not in the action store (${store}), and fetching is off (--offline or SLIPWAY_OFFLINE); add it first: ${hint}`,
    };
  const got = await fetchToStore(store, owner, repo, ref, base);
  if (!got.ok)
    return {
      ok: false,
      error: `${what} is not in the action store (${store}), and fetching it failed: ${got.error}; add it by hand: ${hint}`,
    };
  return { ok: true, dir: got.dir, meta: got.meta, fetchedFrom: got.meta.source };
}
