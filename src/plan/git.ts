import { execFileSync, spawnSync } from "node:child_process";
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

/**
 * `name` as a GitHub login (letters, digits and single inner hyphens, at most 39; bots end in
 * `[bot]`): other characters become '-'; undefined when nothing is left.
 */
export function loginShaped(name: string | undefined): string | undefined {
  const bot = name?.endsWith("[bot]") ? "[bot]" : "";
  const login = (bot ? name!.slice(0, -5) : (name ?? ""))
    .replace(/[^A-Za-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 39)
    .replace(/-+$/, "");
  return login ? login + bot : undefined;
}

/** Separates the answers of the git commands readGit runs in one shell. */
const SEP = "--slipway-git--";

export function readGit(cwd: string): GitResult {
  // One process (a shell running four git commands) instead of eight: each process costs
  // several milliseconds at every start.
  const out = shell(
    cwd,
    [
      "git rev-parse --show-toplevel HEAD --symbolic-full-name HEAD || exit 1",
      `echo ${SEP}`,
      "git config --get-regexp '^(remote\\.origin\\.url|user\\.name)$'",
      `echo ${SEP}`,
      "git for-each-ref '--format=%(refname) %(symref)' refs/remotes/origin/HEAD refs/heads/main",
      `echo ${SEP}`,
      "git log -1 --format=%P%n%B HEAD",
    ].join("\n"),
  );
  const [heads, configText, refs, log] = out?.split(`${SEP}\n`) ?? [];
  const root = heads?.split("\n")[0] || git(cwd, ["rev-parse", "--show-toplevel"]);
  if (!root)
    return { ok: false, error: `${cwd} is not a git repository (run 'git init' and commit, or use --bind)` };
  const [, sha, symbolic] = heads?.split("\n") ?? [];
  if (!sha || !/^[0-9a-f]{40,64}$/.test(sha))
    return { ok: false, error: `${root} has no commits yet (commit once, or use --bind)` };
  const ref = symbolic?.startsWith("refs/") ? symbolic : undefined;
  const config = new Map<string, string>();
  for (const line of configText?.split("\n") ?? []) {
    const sp = line.indexOf(" ");
    if (sp > 0 && !config.has(line.slice(0, sp))) config.set(line.slice(0, sp), line.slice(sp + 1));
  }
  const origin = config.get("remote.origin.url");
  const repository = (origin && ownerRepoFromUrl(origin)) ?? `local/${basename(root)}`;
  // github.actor is a login (git's user.name is a display name, often with spaces): the
  // remote's owner, else the local user.
  const owner = origin ? ownerRepoFromUrl(origin)?.split("/")[0] : undefined;
  const actor = loginShaped(owner) ?? loginShaped(process.env.USER) ?? "slipway";
  // origin/HEAD names the default branch when there is a remote; else main, else master.
  const originHead = /^refs\/remotes\/origin\/HEAD refs\/remotes\/origin\/(.+)$/m.exec(refs ?? "")?.[1];
  const defaultBranch = originHead ?? (/^refs\/heads\/main(?: |$)/m.test(refs ?? "") ? "main" : "master");
  // The parents line answers `<sha>~1` and the branch look-up later without more processes.
  const nl = log?.indexOf("\n") ?? -1;
  if (nl >= 0) remember(root, `${sha}~1`, log!.slice(0, nl).split(" ")[0] || undefined);
  if (ref) remember(root, ref, sha);
  const commitMessage =
    nl >= 0 ? log!.slice(nl + 1).trim() : (git(root, ["log", "-1", "--format=%B", sha]) ?? "");
  return { ok: true, facts: { root, sha, ref, repository, actor, defaultBranch, commitMessage } };
}

/** Runs a shell script; its stdout (untrimmed), or undefined when it fails. */
function shell(cwd: string, script: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", script], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return undefined;
  }
}

/** Look-ups readGit answered on the way (HEAD's parent, HEAD's branch), per root and revision. */
const commits = new Map<string, string | undefined>();
const remember = (root: string, rev: string, sha: string | undefined) => commits.set(`${root}\0${rev}`, sha);

/** The commit of `rev` as git has it now (no remembered answer: a server's refs move). */
export function currentCommit(root: string, rev: string): string | undefined {
  return git(root, ["rev-parse", "--verify", "-q", `${rev}^{commit}`]);
}

export function resolveCommit(root: string, rev: string): string | undefined {
  const key = `${root}\0${rev}`;
  if (commits.has(key)) return commits.get(key);
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

export type MergeResult =
  | { ok: true; sha: string }
  | { ok: false; conflicts: string[]; error?: undefined }
  | { ok: false; conflicts?: undefined; error: string };

/**
 * The merge commit of `head` into `base`, as GitHub makes for a pull request: written to
 * the object database only (no ref, index or working tree changes), parents base then
 * head. Dated like the head commit so the same pair always gives the same sha.
 */
export function mergeCommit(root: string, base: string, head: string): MergeResult {
  const tree = spawnSync(
    "git",
    ["merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", base, head],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  const fields = tree.stdout?.split("\0") ?? [];
  if (tree.status === 1 && fields.length > 1)
    return { ok: false, conflicts: [...new Set(fields.slice(1).filter(Boolean))] };
  if (tree.status !== 0 || !/^[0-9a-f]{40,64}$/.test(fields[0] ?? ""))
    return { ok: false, error: (tree.stderr || tree.error?.message || "git merge-tree failed").trim() };
  const date = git(root, ["log", "-1", "--format=%cI", head]) ?? "";
  const who: Record<string, string> = { NAME: "GitHub", EMAIL: "noreply@github.com" };
  if (date) who.DATE = date;
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [k, v] of Object.entries(who)) {
    env[`GIT_AUTHOR_${k}`] = v;
    env[`GIT_COMMITTER_${k}`] = v;
  }
  const commit = spawnSync(
    "git",
    ["commit-tree", "--no-gpg-sign", fields[0]!, "-p", base, "-p", head, "-m", `Merge ${head} into ${base}`],
    { cwd: root, encoding: "utf8", env },
  );
  const sha = commit.stdout?.trim() ?? "";
  if (commit.status !== 0 || !/^[0-9a-f]{40,64}$/.test(sha))
    return { ok: false, error: (commit.stderr || "git commit-tree failed").trim() };
  return { ok: true, sha };
}
