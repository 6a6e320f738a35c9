// What the environments need from git in the served repository: who wrote the commits a
// deployment brings (self-review), the commits between two deployments (the diff), the tag
// on a commit (the version deployed).
import { spawnSync } from "node:child_process";

function git(root: string, args: string[]): string | undefined {
  const r = spawnSync("git", args, { cwd: root, encoding: "utf8", maxBuffer: 32 * 1024 * 1024 });
  return r.status === 0 ? r.stdout : undefined;
}

export interface Commit {
  sha: string;
  author: string;
  email: string;
  /** Committer time, epoch ms. */
  time: number;
  subject: string;
}

const FORMAT = "--format=%H%x1f%an%x1f%ae%x1f%ct%x1f%s";

function commits(text: string | undefined): Commit[] {
  return (text ?? "")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [sha, author, email, ct, subject] = l.split("\x1f");
      return { sha: sha!, author: author!, email: email!, time: Number(ct) * 1000, subject: subject ?? "" };
    });
}

/** Commits in `to` that `from` lacks, newest first (at most `max`); `from` undefined: `to` alone. */
export function commitsBetween(root: string, from: string | undefined, to: string, max = 500): Commit[] {
  if (!/^[0-9a-f]{7,64}$/.test(to) || (from && !/^[0-9a-f]{7,64}$/.test(from))) return [];
  const range = from ? [`${from}..${to}`] : ["-1", to];
  return commits(git(root, ["log", `--max-count=${max}`, FORMAT, ...range, "--"]));
}

/** The authors of the commits a deployment of `sha` brings after `previous` (the head commit alone without one). */
export function authorsOf(root: string, sha: string, previous?: string): { name: string; email: string }[] {
  const list = commitsBetween(root, previous, sha, 1000);
  const head = list.length ? list : commitsBetween(root, undefined, sha);
  return head.map((c) => ({ name: c.author, email: c.email }));
}

/** A tag that points at `sha` (the newest by version order), if any. */
export function tagAt(root: string, sha: string): string | undefined {
  if (!/^[0-9a-f]{7,64}$/.test(sha)) return undefined;
  const out = git(root, ["tag", "--points-at", sha, "--sort=-version:refname"]);
  return out?.split("\n").find(Boolean);
}
