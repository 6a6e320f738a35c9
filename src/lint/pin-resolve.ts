// Tag or branch -> commit SHA for `slipway pin`: first the offline action store (the commit you
// already run with `slipway run`), then `git ls-remote` against GitHub. One ls-remote per repository;
// after a network failure no further remote lookups are tried, so an offline run fails fast.
import { execFile } from "node:child_process";
import { isSha } from "../action-store/ref.js";
import { storeCommit, storeRefsFor } from "./pin-store.js";

/** version: the most specific release tag at the same commit (`v4.2.2` for `@v4`), when known. */
export type Resolution =
  | { ok: true; sha: string; via: "store" | "git"; version?: string }
  | { ok: false; error: string };

const VERSION_TAG = /^v?\d+(\.\d+)*$/;

/** Of tags at one commit, the most specific version (`v4.2.2` over `v4.2` and `v4`). */
export function fullestVersion(ref: string, tags: string[]): string | undefined {
  if (!VERSION_TAG.test(ref)) return undefined;
  const depth = (t: string) => t.split(".").length;
  const best = tags
    .filter((t) => VERSION_TAG.test(t) && t.startsWith(ref))
    .sort((a, b) => depth(b) - depth(a))[0];
  return best && best !== ref ? best : undefined;
}

export interface ResolverOptions {
  store: string | undefined;
  /** Skip git ls-remote entirely. */
  offline?: boolean;
  /** Base URL of the Git host; repositories are `<base>/<owner>/<repo>`. */
  gitBase?: string;
  timeoutMs?: number;
}

type Refs = Map<string, string>;

function lsRemote(
  url: string,
  timeoutMs: number,
): Promise<{ refs?: Refs; error?: string; network?: boolean }> {
  return new Promise((done) => {
    execFile(
      "git",
      ["ls-remote", "--tags", "--heads", url],
      {
        timeout: timeoutMs,
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "" },
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => {
        if (err) {
          const msg = (String(stderr).trim().split("\n").pop() || err.message)
            .replace(/^fatal:\s*/, "")
            .replace(/^unable to access '[^']*':\s*/, ""); // the URL is the first repository's, not every one's
          const network = err.killed || /resolve host|unable to access|timed out|connect|network/i.test(msg);
          done({ error: err.killed ? `timed out after ${timeoutMs / 1000}s` : msg, network });
          return;
        }
        const refs: Refs = new Map();
        for (const line of String(stdout).split("\n")) {
          const [sha, name] = line.split("\t");
          if (sha && name && isSha(sha)) refs.set(name, sha.toLowerCase());
        }
        done({ refs });
      },
    );
  });
}

/** The commit a ref names: an annotated tag's peeled commit, else the tag, else the branch. */
export function pickRef(refs: Refs, ref: string): string | undefined {
  return refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/tags/${ref}`) ?? refs.get(`refs/heads/${ref}`);
}

export class Resolver {
  private repos = new Map<string, Promise<{ refs?: Refs; error?: string; network?: boolean }>>();
  private networkDown: string | undefined;

  constructor(private readonly opts: ResolverOptions) {}

  async resolve(owner: string, repo: string, ref: string): Promise<Resolution> {
    const stored = this.opts.store ? storeCommit(this.opts.store, owner, repo, ref) : undefined;
    if (stored) {
      const version = fullestVersion(ref, storeRefsFor(this.opts.store!, owner, repo, stored));
      return { ok: true, sha: stored, via: "store", ...(version ? { version } : {}) };
    }
    const notStored = `${owner}/${repo}@${ref} is not in the action store`;
    if (this.opts.offline) return { ok: false, error: `${notStored} (offline)` };
    if (this.networkDown)
      return { ok: false, error: `${notStored} and git ls-remote failed: ${this.networkDown}` };
    const key = `${owner}/${repo}`.toLowerCase();
    let pending = this.repos.get(key);
    if (!pending) {
      const base = (this.opts.gitBase ?? "https://github.com").replace(/\/+$/, "");
      pending = lsRemote(`${base}/${owner}/${repo}`, this.opts.timeoutMs ?? 20_000);
      this.repos.set(key, pending);
    }
    const r = await pending;
    if (r.error) {
      if (r.network) this.networkDown = r.error;
      return { ok: false, error: `${notStored} and git ls-remote failed: ${r.error}` };
    }
    const sha = pickRef(r.refs!, ref);
    if (!sha) return { ok: false, error: `${owner}/${repo} has no tag or branch '${ref}'` };
    const tags = [...r.refs!.keys()]
      .filter(
        (n) => n.startsWith("refs/tags/") && pickRef(r.refs!, n.slice(10).replace(/\^\{\}$/, "")) === sha,
      )
      .map((n) => n.slice(10).replace(/\^\{\}$/, ""));
    const version = fullestVersion(ref, [...new Set(tags)]);
    return { ok: true, sha, via: "git", ...(version ? { version } : {}) };
  }
}
