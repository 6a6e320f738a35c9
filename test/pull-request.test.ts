import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

const WORKFLOW = `on: [pull_request, pull_request_target]
jobs:
  facts:
    runs-on: ubuntu-latest
    outputs:
      sha: \${{ steps.f.outputs.sha }}
      ref: \${{ steps.f.outputs.ref }}
      files: \${{ steps.f.outputs.files }}
      merge: \${{ github.event.pull_request.merge_commit_sha }}
      head: \${{ github.event.pull_request.head.sha }}/\${{ github.event.pull_request.head.ref }}
      base: \${{ github.event.pull_request.base.sha }}/\${{ github.event.pull_request.base.ref }}
      number: \${{ github.event.number }}/\${{ github.ref_name }}
    steps:
      - id: f
        run: |
          echo "sha=$GITHUB_SHA" >> "$GITHUB_OUTPUT"
          echo "ref=$GITHUB_REF" >> "$GITHUB_OUTPUT"
          echo "files=$(ls | grep txt | tr '\\n' ' ')" >> "$GITHUB_OUTPUT"
  checkout:
    runs-on: ubuntu-latest
    outputs:
      parents: \${{ steps.p.outputs.parents }}
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
      - id: p
        run: echo "parents=$(git rev-parse HEAD HEAD^1 HEAD^2 | tr '\\n' ' ')" >> "$GITHUB_OUTPUT"
  shallow:
    runs-on: ubuntu-latest
    outputs:
      seen: \${{ steps.s.outputs.seen }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/checkout@v4
        with: { ref: refs/pull/1/head, path: head }
      - id: s
        run: echo "seen=$(git rev-parse HEAD refs/remotes/pull/1/merge | tr '\\n' ' ') $(ls head | grep txt | tr '\\n' ' ')" >> "$GITHUB_OUTPUT"
`;

interface Out {
  result: string;
  jobs: { name: string; result: string; outputs: Record<string, string> }[];
}

/** main: a.txt, then b.txt (after the branch point); feat: f.txt. Checked out: feat. */
function prRepo(conflict = false) {
  const repo = tempRepo(undefined, { ".github/workflows/pr.yml": WORKFLOW, "a.txt": "a\n" });
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, encoding: "utf8" }).trim();
  git("checkout", "-q", "-b", "feat");
  writeFileSync(join(repo, "f.txt"), "f\n");
  if (conflict) writeFileSync(join(repo, "a.txt"), "from feat\n");
  git("add", "-A");
  git("commit", "-q", "-m", "feat");
  git("checkout", "-q", "main");
  writeFileSync(join(repo, "b.txt"), "b\n");
  if (conflict) writeFileSync(join(repo, "a.txt"), "from main\n");
  git("add", "-A");
  git("commit", "-q", "-m", "main moves on");
  git("checkout", "-q", "feat");
  return { repo, git, head: git("rev-parse", "feat"), base: git("rev-parse", "main") };
}

const outputs = (o: Out, name: string) => o.jobs.find((j) => j.name === name)?.outputs ?? {};

describe("pull_request runs on the merge of the head into the base", () => {
  test("GITHUB_SHA, the workspace, checkout's parents and the payload are the merge's; user refs untouched", () => {
    const { repo, git, head, base } = prRepo();
    const before = git("for-each-ref");
    const r = slipway(["run", "pull_request", "--base", "main", "--json"], repo);
    const out = JSON.parse(r.stdout) as Out;
    expect(out.result, r.stdout + r.stderr).toBe("success");
    const f = outputs(out, "facts");
    expect(f.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(f.sha).not.toBe(head);
    expect(f.merge).toBe(f.sha);
    expect(f.ref).toBe("refs/pull/1/merge");
    expect(f.number).toBe("1/1/merge");
    expect(f.files?.trim()).toBe("a.txt b.txt f.txt");
    expect(f.head).toBe(`${head}/feat`);
    expect(f.base).toBe(`${base}/main`);
    expect(outputs(out, "checkout").parents?.trim()).toBe(`${f.sha} ${base} ${head}`);
    expect(outputs(out, "shallow").seen?.trim().split(/\s+/)).toEqual([f.sha, f.sha, "a.txt", "f.txt"]);
    expect(git("for-each-ref")).toBe(before);
    expect(git("status", "--porcelain")).toBe("");
    expect(git("symbolic-ref", "HEAD")).toBe("refs/heads/feat");
    // The same pull request gives the same merge commit; the base defaults to the default branch.
    const again = JSON.parse(slipway(["run", "pull_request", "-j", "facts", "--json"], repo).stdout) as Out;
    expect(outputs(again, "facts").sha).toBe(f.sha);
  });

  test("pull_request_target runs on the base branch, with the merge in the payload", () => {
    const { repo, head, base } = prRepo();
    const r = slipway(["run", "pull_request_target", "--base", "main", "-j", "facts", "--json"], repo);
    const out = JSON.parse(r.stdout) as Out;
    expect(out.result, r.stdout + r.stderr).toBe("success");
    const f = outputs(out, "facts");
    expect(f.sha).toBe(base);
    expect(f.ref).toBe("refs/heads/main");
    expect(f.number).toBe("1/main");
    expect(f.files?.trim()).toBe("a.txt b.txt");
    expect(f.merge).toMatch(/^[0-9a-f]{40}$/);
    expect(f.head).toBe(`${head}/feat`);
  });

  test("a conflicting merge is a clear error naming the files", () => {
    const { repo } = prRepo(true);
    const r = slipway(["run", "pull_request", "--base", "main"], repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/does not merge cleanly; conflicting files: a\.txt\b/);
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    // pull_request_target runs on the base: a conflict does not stop it.
    const t = slipway(["run", "pull_request_target", "--base", "main", "-j", "facts", "--json"], repo);
    expect((JSON.parse(t.stdout) as Out).result, t.stderr).toBe("success");
  });

  test("--bind says the working tree is not the merge the event names", () => {
    const { repo } = prRepo();
    const r = slipway(["run", "pull_request", "--base", "main", "--bind", "-j", "facts"], repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /note: --bind runs in the working tree at [0-9a-f]{7}, not in the event's commit/,
    );
    const plain = tempRepo(undefined, {
      ".github/workflows/ci.yml":
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
    });
    const push = slipway(["run", "--bind"], plain);
    expect(push.stdout, push.stderr).toMatch(/Run success/);
    expect(push.stdout).not.toMatch(/note: --bind/);
  });
});
