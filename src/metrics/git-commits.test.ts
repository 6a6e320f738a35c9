import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Deployment } from "../cd/types.js";
import { dora } from "./dora.js";
import { GitCommits } from "./git-commits.js";

// A real repository: main with plain commits, a merged branch and a squash-merged pull request
// whose own commits are older than the squash.
const T0 = Date.UTC(2026, 10, 1) / 1000;
let dir: string;
const sha: Record<string, string> = {};

function git(args: string[], at?: number): string {
  const date =
    at === undefined ? {} : { GIT_COMMITTER_DATE: `@${T0 + at} +0000`, GIT_AUTHOR_DATE: `@${T0 + at} +0000` };
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, ...date } }).trim();
}
function commit(name: string, at: number, message = name): string {
  writeFileSync(join(dir, `${name}.txt`), name);
  git(["add", "-A"]);
  git(["commit", "-q", "-m", message], at);
  sha[name] = git(["rev-parse", "HEAD"]);
  return sha[name]!;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-git-commits-"));
  git(["init", "-q", "-b", "main"]);
  git(["config", "user.email", "t@example.com"]);
  git(["config", "user.name", "t"]);
  git(["config", "commit.gpgsign", "false"]);
  commit("c0", 0);
  commit("c1", 100);
  commit("c2", 200);
  // A branch merged with a merge commit.
  git(["checkout", "-q", "-b", "topic"]);
  commit("t1", 250);
  git(["checkout", "-q", "main"]);
  commit("c3", 260);
  git(["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"], 300);
  sha.merge = git(["rev-parse", "HEAD"]);
  // A pull request with two commits, squash-merged an hour later.
  git(["checkout", "-q", "-b", "feature"]);
  commit("f1", 400);
  commit("f2", 500);
  git(["update-ref", "refs/pull/7/head", sha.f2!]);
  git(["checkout", "-q", "main"]);
  git(["merge", "-q", "--squash", "feature"]);
  git(["commit", "-q", "-m", "Add the feature (#7)"], 4000);
  sha.squash7 = git(["rev-parse", "HEAD"]);
  // Another one, whose head only the run history knows (no pull ref, branch deleted).
  git(["checkout", "-q", "-b", "other"]);
  commit("o1", 4100);
  git(["checkout", "-q", "main"]);
  git(["merge", "-q", "--squash", "other"]);
  git(["commit", "-q", "-m", "Other change (#8)"], 5000);
  sha.squash8 = git(["rev-parse", "HEAD"]);
  git(["branch", "-q", "-D", "other"]);
  // A squash whose pull request nobody recorded.
  commit("s9", 5500, "Lonely change (#9)");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const dep = (s: string, at: number): Deployment => ({
  id: ++n,
  repo: "",
  environment: "production",
  sha: s,
  ref: "refs/heads/main",
  run: n,
  job: "deploy",
  attempt: 1,
  approvedBy: [],
  startedAt: (T0 + at) * 1000,
  finishedAt: (T0 + at) * 1000,
  status: "inactive",
  kind: "deploy",
});
const names = (shas: string[]) => shas.map((s) => Object.keys(sha).find((k) => sha[k] === s) ?? s);

describe("the commits a deployment brought", () => {
  const g = () => new GitCommits(dir, { prHeads: (n) => (n === 8 ? [sha.o1!] : []) });

  /** The commits of the last of `ds` (deployed in that order). */
  const last = (...ds: Deployment[]) => g().commitsFor(ds)(ds.at(-1)!, undefined);

  test("reachable from its commit and not from the previous deployment's; merge commits left out", () => {
    const c = last(dep(sha.c1!, 150), dep(sha.merge!, 310));
    expect(names(c.map((x) => x.sha)).sort()).toEqual(["c2", "c3", "t1"]);
    expect(c.find((x) => x.sha === sha.t1)!.time).toBe((T0 + 250) * 1000);
  });

  test("the first deployment recorded brings only its own commit", () => {
    expect(names(last(dep(sha.c2!, 210)).map((x) => x.sha))).toEqual(["c2"]);
  });

  test("a squash merge is matched to its pull request's commits (pull ref or recorded head)", () => {
    const c = last(dep(sha.merge!, 310), dep(sha.s9!, 6000));
    expect(names(c.map((x) => x.sha)).sort()).toEqual(["f1", "f2", "o1", "s9"]);
    expect(c.find((x) => x.sha === sha.f1)!.time).toBe((T0 + 400) * 1000);
  });

  test("lead time runs from the pull request's first commit, each commit once", () => {
    const provider = g();
    const d1 = dep(sha.merge!, 310);
    const d2 = dep(sha.squash7!, 4600);
    // A rollback to d1, then d3 deploys everything again with #8.
    const rb = { ...dep(sha.merge!, 4700), kind: "rollback" as const };
    const d3 = dep(sha.squash8!, 5600);
    const f = dora(
      {
        deployments: [d1, d2, rb, d3],
        incidents: [],
        commitsOf: provider.commitsFor([d1, d2, rb, d3]),
        days: 7,
        now: (T0 + 6000) * 1000,
      },
      "",
      "production",
    );
    // d1: merge (first recorded: itself, a merge commit: none); d2: f1 4200 s, f2 4100 s;
    // d3: o1 1500 s (f1 and f2 not again).
    expect(f.leadTime.count).toBe(3);
    expect(f.leadTime.medianMs).toBe(4100_000);
    expect(f.leadTime.p90Ms).toBe(4200_000);
    expect(f.changeFailure.failedIds).toEqual([d2.id]);
  });

  test("an unknown commit brings nothing", () => {
    expect(last(dep(sha.c0!, 0), dep("f".repeat(40), 1))).toEqual([]);
  });
});
