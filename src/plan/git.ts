import { execFileSync } from "node:child_process";
import { basename } from "node:path";

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

export interface GitFacts {
  root: string;
  sha: string;
  /** refs/heads/x, or undefined when HEAD is detached. */
  ref?: string;
  /** owner/name from the origin URL, else local/<folder>. */
  repository: string;
  actor: string;
  defaultBranch: string;
  commitMessage: string;
}

export type GitResult = { ok: true; facts: GitFacts } | { ok: false; error: string };

export function ownerRepoFromUrl(url: string): string | undefined {
  const m = /[:/]([^/:]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : undefined;
}

export function readGit(cwd: string): GitResult {
  const root = git(cwd, ["rev-parse", "--show-toplevel"]);
  if (!root)
    return { ok: false, error: `${cwd} is not a git repository (run 'git init' and commit, or use --bind)` };
  const sha = git(root, ["rev-parse", "HEAD"]);
  if (!sha) return { ok: false, error: `${root} has no commits yet (commit once, or use --bind)` };
  const ref = git(root, ["symbolic-ref", "-q", "HEAD"]);
  const origin = git(root, ["remote", "get-url", "origin"]);
  const repository = (origin && ownerRepoFromUrl(origin)) ?? `local/${basename(root)}`;
  const actor = git(root, ["config", "user.name"]) || process.env.USER || "slipway";
  const head = git(root, ["symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD"]);
  const defaultBranch =
    head?.replace(/^origin\//, "") ??
    (git(root, ["rev-parse", "--verify", "-q", "main"]) ? "main" : "master");
  const commitMessage = git(root, ["log", "-1", "--format=%B", sha]) ?? "";
  return { ok: true, facts: { root, sha, ref, repository, actor, defaultBranch, commitMessage } };
}

export function resolveCommit(root: string, rev: string): string | undefined {
  return git(root, ["rev-parse", "--verify", "-q", `${rev}^{commit}`]);
}

/** Files changed between two commits; undefined when git cannot tell (paths filters then pass). */
export function changedPaths(root: string, base: string | undefined, head: string): string[] | undefined {
  const from = base ?? resolveCommit(root, `${head}~1`);
  if (!from) return git(root, ["ls-tree", "-r", "--name-only", head])?.split("\n").filter(Boolean);
  const out = git(root, ["diff", "--name-only", from, head]);
  return out === undefined ? undefined : out.split("\n").filter(Boolean);
}

export function mergeBase(root: string, a: string, b: string): string | undefined {
  return git(root, ["merge-base", a, b]);
}
