// The git facts a release needs, and the commit and tag it makes, with real git.
import { spawnSync } from "node:child_process";
import semver, { type SemVer } from "semver";
import type { Commit } from "./conventional.js";

export class GitError extends Error {}

export function git(root: string, args: string[], input?: string): string {
  const r = spawnSync("git", args, { cwd: root, encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new GitError(`git: ${r.error.message}`);
  if (r.status !== 0) throw new GitError(`git ${args[0]}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** The top folder of the repository holding `dir`, or undefined outside git. */
export function repoRoot(dir: string): string | undefined {
  const r = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd: dir, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface ReleaseTag {
  name: string;
  version: SemVer;
}

/** Tags `<prefix>X.Y.Z[-pre]` reachable from HEAD, highest version first. */
export function releaseTags(root: string, prefix: string): ReleaseTag[] {
  const out = git(root, ["tag", "--merged", "HEAD", "--list", `${prefix}*`]);
  const tags: ReleaseTag[] = [];
  for (const name of out.split("\n")) {
    const v = name.startsWith(prefix) ? semver.parse(name.slice(prefix.length)) : null;
    if (v) tags.push({ name, version: v });
  }
  return tags.sort((a, b) => semver.rcompare(a.version, b.version));
}

/** Commits after `since` (all when undefined) up to HEAD, oldest first; only those touching `paths` if given. */
export function commitsSince(root: string, since: string | undefined, paths?: string[]): Commit[] {
  const range = since ? [`${since}..HEAD`] : ["HEAD"];
  const out = git(root, ["log", "--reverse", "--format=%H%x00%B%x1e", ...range, "--", ...(paths ?? [])]);
  return out
    .split("\x1e")
    .map((r) => r.replace(/^\n/, ""))
    .filter((r) => r.includes("\0"))
    .map((r) => {
      const [sha, message] = r.split("\0") as [string, string];
      return { sha, message: message.trimEnd() };
    });
}

/** Tracked files with changes (staged or not). Untracked files are not part of a release. */
export function dirtyFiles(root: string): string[] {
  return git(root, ["status", "--porcelain=v1", "-z", "--untracked-files=no"])
    .split("\0")
    .filter((l) => l.length > 3)
    .map((l) => l.slice(3));
}

/** A shallow clone (actions/checkout's default) has neither the history nor the tags a release reads. */
export function isShallow(root: string): boolean {
  return git(root, ["rev-parse", "--is-shallow-repository"]).trim() === "true";
}

export function hasHead(root: string): boolean {
  return spawnSync("git", ["rev-parse", "--verify", "-q", "HEAD"], { cwd: root }).status === 0;
}

export function tagExists(root: string, tag: string): boolean {
  return spawnSync("git", ["rev-parse", "--verify", "-q", `refs/tags/${tag}`], { cwd: root }).status === 0;
}

/** Tags pointing at HEAD. */
export function tagsAtHead(root: string): string[] {
  return git(root, ["tag", "--points-at", "HEAD"]).split("\n").filter(Boolean);
}

/** The URL of the `origin` remote (else the first remote), if any. */
export function remoteUrl(root: string): string | undefined {
  const remotes = git(root, ["remote"]).split("\n").filter(Boolean);
  const name = remotes.includes("origin") ? "origin" : remotes[0];
  return name ? git(root, ["remote", "get-url", name]).trim() : undefined;
}

/** The release commit of `files` and one annotated (or signed) tag per name. */
export function commitAndTag(
  root: string,
  files: string[],
  message: string,
  tags: string[],
  sign: boolean,
): string {
  git(root, ["add", "--", ...files]);
  git(root, ["commit", "-q", "-m", message, "--", ...files]);
  for (const t of tags) git(root, ["tag", sign ? "-s" : "-a", t, "-m", t]);
  return git(root, ["rev-parse", "HEAD"]).trim();
}
