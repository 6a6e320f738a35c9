// The commits each deployment brought, read from the served repository with git: those
// reachable from the deployed commit and not from the previous successful deployment of the
// environment. Merge commits are left out (the commits they merge are in the range and are
// the changes). A squash merge is matched to the pull request's own commits: its subject ends
// with GitHub's "(#N)", and the pull request's head (refs/pull/N/head when fetched, or a head
// the run history's pull_request events recorded) gives the commits it squashed, with their
// times — so lead time starts at the first commit of the change, not at the merge. When no
// head is known, the squash commit stands for them.
import { execFileSync } from "node:child_process";
import type { CommitTime, Deployment } from "../cd/types.js";
import type { Db } from "../db/db.js";
import type { CommitsOf } from "./source.js";

export interface GitCommitsOptions {
  /** Heads pull request #n had (the run history's pull_request events: pullRequestHeads). */
  prHeads?: (n: number) => string[];
}

const SQUASH = /\(#(\d{1,9})\)\s*$/;
const SHA = /^[0-9a-f]{7,64}$/i;

export class GitCommits {
  /** By "previous..deployed": a range's commits never change. */
  private readonly cache = new Map<string, CommitTime[]>();

  constructor(
    readonly root: string,
    private readonly o: GitCommitsOptions = {},
  ) {}

  /** The provider the DORA figures take. */
  readonly commitsOf: CommitsOf = (d: Deployment, previous: Deployment | undefined) => {
    const key = `${previous?.sha ?? ""}..${d.sha}`;
    let out = this.cache.get(key);
    if (!out) {
      out = this.range(d.sha, previous?.sha);
      this.cache.set(key, out);
    }
    return out;
  };

  /**
   * The commits of `to` not in `from`; with no `from` (the first deployment recorded, whose
   * base is unknown), the deployed commit alone. An unknown commit gives none.
   */
  private range(to: string, from: string | undefined): CommitTime[] {
    if (!SHA.test(to)) return [];
    const known = from && SHA.test(from) && this.git(["cat-file", "-e", `${from}^{commit}`]) !== undefined;
    const lines = this.log(known ? [to, "--not", from] : ["-1", to]);
    const seen = new Set<string>();
    const out: CommitTime[] = [];
    const add = (c: CommitTime) => {
      if (!seen.has(c.sha)) out.push(c);
      seen.add(c.sha);
    };
    for (const c of lines) {
      if (c.parents.length > 1) continue;
      const squashed = c.parents.length === 1 ? this.squashed(c.subject, c.parents[0]!) : [];
      if (squashed.length) squashed.forEach(add);
      else add({ sha: c.sha, time: c.time });
    }
    return out;
  }

  /** The pull request's own commits when `subject` is a squash merge's of a known head. */
  private squashed(subject: string, parent: string): CommitTime[] {
    const m = SQUASH.exec(subject);
    if (!m) return [];
    const n = Number(m[1]);
    const heads = [`refs/pull/${n}/head`, ...(this.o.prHeads?.(n) ?? []).filter((h) => SHA.test(h))];
    for (const head of heads) {
      if (this.git(["rev-parse", "-q", "--verify", `${head}^{commit}`]) === undefined) continue;
      const own = this.log([head, "--not", parent]).filter((c) => c.parents.length <= 1);
      if (own.length) return own.map((c) => ({ sha: c.sha, time: c.time }));
    }
    return [];
  }

  private log(args: string[]): { sha: string; parents: string[]; time: number; subject: string }[] {
    const text = this.git(["log", "--format=%H%x00%P%x00%ct%x00%s", ...args]);
    if (!text) return [];
    return text.split("\n").map((l) => {
      const [sha, parents, time, subject] = l.split("\0");
      return {
        sha: sha!,
        parents: parents ? parents.split(" ") : [],
        time: Number(time) * 1000,
        subject: subject ?? "",
      };
    });
  }

  private git(args: string[]): string | undefined {
    try {
      return execFileSync("git", args, {
        cwd: this.root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        maxBuffer: 64 * 1024 * 1024,
      }).trim();
    } catch {
      return undefined;
    }
  }
}

/** The heads of each pull request the run history saw (its pull_request events' payloads), newest first. */
export async function pullRequestHeads(db: Db): Promise<Map<number, string[]>> {
  const rows = await db.all<{ payload: string | null; sha: string }>(
    `SELECT payload, sha FROM runs WHERE repo = ? AND event IN ('pull_request', 'pull_request_target')
     ORDER BY number DESC`,
    [db.repo],
  );
  const out = new Map<number, string[]>();
  for (const r of rows) {
    let p: { number?: unknown; pull_request?: { number?: unknown; head?: { sha?: unknown } } } = {};
    try {
      p = r.payload ? (JSON.parse(r.payload) as typeof p) : {};
    } catch {}
    const n = p.pull_request?.number ?? p.number;
    const head = p.pull_request?.head?.sha;
    if (typeof n !== "number") continue;
    const heads = out.get(n) ?? [];
    for (const h of [head, r.sha]) if (typeof h === "string" && !heads.includes(h)) heads.push(h);
    out.set(n, heads);
  }
  return out;
}
