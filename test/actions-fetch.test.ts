import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

const git = (cwd: string, ...a: string[]) => execFileSync("git", a, { cwd, encoding: "utf8" }).trim();

const ACTION =
  'name: greeter\ndescription: d\ninputs:\n  who:\n    default: fetched\noutputs:\n  said:\n    value: ${{ steps.s.outputs.said }}\nruns:\n  using: composite\n  steps:\n    - id: s\n      shell: bash\n      run: echo "said=hello ${{ inputs.who }}" >> $GITHUB_OUTPUT\n';
const CALLEE =
  "on:\n  workflow_call:\n    outputs:\n      word:\n        value: ${{ jobs.inner.outputs.word }}\njobs:\n  inner:\n    runs-on: ubuntu-latest\n    outputs:\n      word: ${{ steps.w.outputs.word }}\n    steps:\n      - id: w\n        run: echo word=remote >> $GITHUB_OUTPUT\n";

/** A folder laid out as github.com is: <base>/<owner>/<repo>, each a bare repository. */
function fakeGithub(): { base: string; sha: string } {
  const base = mkdtempSync(join(tmpdir(), "slipway-github-"));
  const src = tempRepo(undefined, { "action.yml": ACTION, ".github/workflows/build.yml": CALLEE });
  git(src, "tag", "v1");
  git(src, "branch", "release");
  mkdirSync(join(base, "acme"));
  git(base, "clone", "-q", "--bare", src, join(base, "acme", "greeter.git"));
  git(base, "clone", "-q", "--bare", src, join(base, "acme", "hello"));
  return { base, sha: git(src, "rev-parse", "HEAD") };
}

function run(repo: string, env: Record<string, string>, ...args: string[]) {
  const r = slipway(["run", "push", "--json", ...args], repo, env);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
  const out = JSON.parse(r.stdout) as { run: number; jobs: { job: string; result: string }[] };
  const jobs = Object.fromEntries(out.jobs.map((j) => [j.job, j.result]));
  const log = (job: string) => slipway(["logs", String(out.run), job], repo).stdout;
  return { ...r, jobs, log };
}

describe("remote actions missing from the store are fetched on first use", () => {
  const gh = fakeGithub();
  const workflow = (uses: string) =>
    `on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ${uses}\n        id: g\n      - run: test "\${{ steps.g.outputs.said }}" = "hello fetched"\n`;

  test("by tag: fetched once, then the store is the cache", () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const repo = tempRepo(undefined, { ".github/workflows/ci.yml": workflow("acme/greeter@v1") });
    const env = { SLIPWAY_ACTION_STORE: store, SLIPWAY_GITHUB_URL: gh.base };
    const first = run(repo, env);
    expect(first.jobs.t, first.log("t")).toBe("success");
    expect(first.log("t")).toContain(
      `Fetched acme/greeter@v1 (${gh.sha}) from ${join(gh.base, "acme", "greeter.git")}`,
    );
    expect(existsSync(join(store, "acme", "greeter", "v1", "action.yml"))).toBe(true);
    // The "remote" is gone: the second run must not need it.
    const moved = `${gh.base}-gone`;
    renameSync(gh.base, moved);
    try {
      const second = run(repo, env);
      expect(second.jobs.t, second.log("t")).toBe("success");
      expect(second.log("t")).not.toContain("Fetched");
    } finally {
      renameSync(moved, gh.base);
    }
  });

  test("by SHA and by branch, from a file:// URL", () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: acme/hello@${gh.sha}\n        id: g\n      - uses: acme/hello@release\n        id: h\n      - run: test "\${{ steps.g.outputs.said }}\${{ steps.h.outputs.said }}" = "hello fetchedhello fetched"\n`,
    });
    const r = run(repo, { SLIPWAY_ACTION_STORE: store, SLIPWAY_GITHUB_URL: `file://${gh.base}` });
    expect(r.jobs.t, r.log("t")).toBe("success");
    expect(existsSync(join(store, "acme", "hello", gh.sha, ".slipway-action.json"))).toBe(true);
  });

  test("--offline forbids it and says how to add the action", () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const repo = tempRepo(undefined, { ".github/workflows/ci.yml": workflow("acme/greeter@v1") });
    const r = run(repo, { SLIPWAY_ACTION_STORE: store, SLIPWAY_GITHUB_URL: gh.base }, "--offline");
    expect(r.jobs.t).toBe("failure");
    expect(r.log("t")).toMatch(
      /fetching is off \(--offline.*add it first: slipway actions add acme\/greeter@v1 --from/,
    );
    expect(existsSync(join(store, "acme"))).toBe(false);
  });

  test("a repository or ref the remote lacks fails clearly, with the hint", () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const repo = tempRepo(undefined, { ".github/workflows/ci.yml": workflow("acme/greeter@v9") });
    const r = run(repo, { SLIPWAY_ACTION_STORE: store, SLIPWAY_GITHUB_URL: gh.base });
    expect(r.jobs.t).toBe("failure");
    expect(r.log("t")).toMatch(
      /fetching it failed: cannot fetch v9 from .*; add it by hand: slipway actions add acme\/greeter@v9/,
    );
  });

  test("a remote reusable workflow: plan and run fetch it; --offline keeps the error", () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml":
        'on: push\njobs:\n  call:\n    uses: acme/greeter/.github/workflows/build.yml@v1\n  after:\n    needs: call\n    runs-on: ubuntu-latest\n    steps:\n      - run: test "${{ needs.call.outputs.word }}" = remote\n',
    });
    const env = { SLIPWAY_ACTION_STORE: store, SLIPWAY_GITHUB_URL: gh.base };
    const offline = slipway(["plan", "--offline"], repo, env);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/ci\.yml:4:\d+: .*fetching is off.*slipway actions add acme\/greeter@v1/);
    const plan = slipway(["plan"], repo, env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toMatch(
      /fetched acme\/greeter\/\.github\/workflows\/build\.yml@v1 \([0-9a-f]{40}\) from /,
    );
    expect(existsSync(join(store, "acme", "greeter", "v1", ".github", "workflows", "build.yml"))).toBe(true);
    const r = run(repo, env);
    expect(r.jobs.after, r.stdout).toBe("success");
  });
});

test("slipway actions add without --from fetches from GitHub (here: SLIPWAY_GITHUB_URL)", () => {
  const gh = fakeGithub();
  const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
  const env = { SLIPWAY_ACTION_STORE: store, SLIPWAY_GITHUB_URL: gh.base };
  const add = slipway(["actions", "add", "acme/hello@v1"], tmpdir(), env);
  expect(add.stderr).toBe("");
  expect(add.stdout).toContain(`Added acme/hello@v1 at ${gh.sha}`);
  expect(slipway(["actions", "list"], tmpdir(), env).stdout).toContain(`acme/hello@v1  ${gh.sha}`);
  // Again: the stored copy is replaced, not kept.
  expect(slipway(["actions", "add", "acme/hello@v1"], tmpdir(), env).code).toBe(0);
  const missing = slipway(["actions", "add", "acme/nothing@v1"], tmpdir(), env);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/cannot fetch v1 from .*acme\/nothing/);
});
