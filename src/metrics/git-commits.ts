// The commits each deployment brought, read from the served repository with git: those
// reachable from the deployed commit and from no earlier successful deployment of its
// environment (on a straight history: not from the previous one; after a rollback, the
// commits rolled back are not brought again). The commit graph is read once with one
// `git log` (then only what is new), and the ranges are walked in memory: 1,000 deployments
// cost one git process, not 1,000.
//
// Merge commits are left out (the commits they merge are in the range and are the changes).
// A squash merge is matched to the pull request's own commits: its subject ends with GitHub's
// "(#N)", and the pull request's head (refs/pull/N/head when fetched, or a head the run
// history's pull_request events recorded) gives the commits it squashed, with their times —
// so lead time starts at the change's first commit, not at the merge. When no head is known,
// the squash commit stands for them. The first deployment recorded brings only its own commit
// (what was deployed before Slipway saw it is unknown).
import { execFileSync } from "node:child_process";
import type { CommitTime, Deployment } from "../cd/types.js";
import type { Db } from "../db/db.js";
import { landed, landedAt } from "./dora.js";
import type { CommitsOf } from "./source.js";

export interface GitCommitsOptions {
  /** Heads pull request #n had, newest first (the run history's: pullRequestHeads). */
  prHeads?: (n: number) => string[];
}

interface Commit {
  parents: string[];
  time: number;
  subject: string;
}

const SQUASH = /\(#(\d{1,9})\)\s*$/;
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export class GitCommits {
  private readonly graph = new Map<string, Commit>();
  /** Revisions git does not have (not asked again). */
  private readonly missing = new Set<string>();

  constructor(
    readonly root: string,
    private readonly o: GitCommitsOptions = {},
  ) {}

  /** The provider for `deployments` (the DORA figures' commitsOf), from one read of the graph. */
  commitsFor(deployments: Deployment[]): CommitsOf {
    const pulls = this.pullRefs();
    const tips = new Set(deployments.map((d) => d.sha));
    for (const sha of pulls.values()) tips.add(sha);
    const heads = (n: number) =>
      [pulls.get(n), ...(this.o.prHeads?.(n) ?? [])].filter((h) => h !== undefined);
    this.load([...tips]);
    // The heads of squashed pull requests the recorded heads name: one more read.
    const more = new Set<string>();
    for (const c of this.graph.values()) {
      const n = SQUASH.exec(c.subject)?.[1];
      if (n && c.parents.length === 1) for (const h of heads(Number(n))) if (!this.graph.has(h)) more.add(h);
    }
    if (more.size) this.load([...more]);

    const out = new Map<number, CommitTime[]>();
    const envs = new Map<string, Deployment[]>();
    for (const d of deployments.filter(landed)) {
      const k = `${d.repo}\0${d.environment}`;
      envs.set(k, [...(envs.get(k) ?? []), d]);
    }
    for (const list of envs.values()) {
      list.sort((a, b) => landedAt(a) - landedAt(b) || a.id - b.id);
      const seen = new Set<string>();
      list.forEach((d, i) => {
        if (!this.graph.has(d.sha)) {
          out.set(d.id, []);
          return;
        }
        const fresh = this.walk(d.sha, seen);
        const brought = i === 0 ? [d.sha] : fresh;
        const commits: CommitTime[] = [];
        for (const sha of brought) {
          const c = this.graph.get(sha)!;
          if (c.parents.length > 1) continue;
          const own = this.squashed(c, heads, seen);
          if (own.length) commits.push(...own);
          else commits.push({ sha, time: c.time });
        }
        out.set(d.id, commits);
      });
    }
    return (d) => out.get(d.id) ?? [];
  }

  /** Commits reachable from `tip` not in `seen`, newest first; they join `seen`. */
  private walk(tip: string, seen: Set<string>): string[] {
    const out: string[] = [];
    const stack = [tip];
    while (stack.length) {
      const sha = stack.pop()!;
      if (seen.has(sha)) continue;
      const c = this.graph.get(sha);
      if (!c) continue;
      seen.add(sha);
      out.push(sha);
      for (let i = c.parents.length - 1; i >= 0; i--) stack.push(c.parents[i]!);
    }
    return out;
  }

  /** The pull request's own commits when `c` is a squash merge of a known head. */
  private squashed(c: Commit, heads: (n: number) => string[], seen: Set<string>): CommitTime[] {
    if (c.parents.length !== 1) return [];
    const n = SQUASH.exec(c.subject)?.[1];
    if (!n) return [];
    for (const head of heads(Number(n))) {
      if (!this.graph.has(head) || seen.has(head)) continue;
      const own = this.walk(head, seen)
        .map((sha) => ({ sha, c: this.graph.get(sha)! }))
        .filter((x) => x.c.parents.length <= 1);
      if (own.length) return own.map((x) => ({ sha: x.sha, time: x.c.time }));
    }
    return [];
  }

  /** Reads the commits reachable from `tips` that the graph lacks (one git log). */
  private load(tips: string[]): void {
    const wanted = tips.filter((t) => SHA.test(t) && !this.graph.has(t) && !this.missing.has(t));
    if (!wanted.length) return;
    const check = this.git(
      ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
      `${wanted.join("\n")}\n`,
    );
    const present = new Set(
      (check ?? "")
        .split("\n")
        .filter((l) => l.endsWith(" commit"))
        .map((l) => l.split(" ")[0]!),
    );
    for (const t of wanted) if (!present.has(t)) this.missing.add(t);
    if (!present.size) return;
    // What is known already stops the walk (the deployed tips read before).
    const known = tips.filter((t) => this.graph.has(t)).slice(0, 1000);
    const text = this.git(
      ["log", "--stdin", "--format=%H%x00%P%x00%ct%x00%s"],
      `${[...present].join("\n")}\n${known.length ? `--not\n${known.join("\n")}\n` : ""}`,
    );
    for (const l of text ? text.split("\n") : []) {
      const [sha, parents, time, subject] = l.split("\0");
      this.graph.set(sha!, {
        parents: parents ? parents.split(" ") : [],
        time: Number(time) * 1000,
        subject: subject ?? "",
      });
    }
  }

  /** refs/pull/N/head → its commit. */
  private pullRefs(): Map<number, string> {
    const text = this.git(["for-each-ref", "--format=%(objectname) %(refname)", "refs/pull/"]);
    const out = new Map<number, string>();
    for (const l of text ? text.split("\n") : []) {
      const m = /^(\S+) refs\/pull\/(\d+)\/head$/.exec(l);
      if (m) out.set(Number(m[2]), m[1]!);
    }
    return out;
  }

  private git(args: string[], input?: string): string | undefined {
    try {
      return execFileSync("git", args, {
        cwd: this.root,
        encoding: "utf8",
        input,
        stdio: ["pipe", "pipe", "ignore"],
        maxBuffer: 512 * 1024 * 1024,
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
