import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { describe, expect, test } from "vitest";
import { type EventFacts, matchEvent, matchFilterPatterns } from "./filters.js";

/** The `events` object the parser gives for an `on:` block. */
async function on(yaml: string): Promise<Record<string, unknown>> {
  const content = `on:\n${yaml}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n`;
  const parsed = parseWorkflow({ name: "w.yml", content }, new NoOperationTraceWriter());
  const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
  expect(template.errors ?? []).toEqual([]);
  return template.events as Record<string, unknown>;
}

const push = (ref: string, changedPaths?: string[]): EventFacts => ({ name: "push", ref, changedPaths });
const pr = (baseRef: string, action = "opened", changedPaths?: string[]): EventFacts => ({
  name: "pull_request",
  baseRef,
  action,
  changedPaths,
});
const no = (reason: string) => ({ matched: false, reason });
const yes = { matched: true };

describe("matchFilterPatterns: GitHub's filter pattern cheat sheet", () => {
  // Each row: pattern list, values that match, values that do not.
  const rows: [string[], string[], string[]][] = [
    [["feature/*"], ["feature/my-branch", "feature/your-branch"], ["feature/a/b", "feature", "main"]],
    [
      ["feature/**"],
      ["feature/beta-a/my-branch", "feature/your-branch", "feature/mona/the/octocat"],
      ["features/x"],
    ],
    [
      ["main", "releases/mona-the-octocat"],
      ["main", "releases/mona-the-octocat"],
      ["mainline", "releases/x"],
    ],
    [["*"], ["main", "releases"], ["releases/x"]],
    [["**"], ["all/the/branches", "every/tag"], []],
    [["*-alpha"], ["v2-alpha", "main-alpha"], ["releases/v1-alpha", "alpha"]],
    [["v2*"], ["v2", "v2.0", "v2.9"], ["v1", "x/v2"]],
    [["v[12].[0-9]+.[0-9]+"], ["v1.10.1", "v2.0.0"], ["v3.0.0", "v1.x.1", "v1..1"]],
    [["*"], ["README.md", "server.rb"], ["docs/README.md"]],
    [["*.jsx?"], ["page.js", "page.jsx"], ["page.jsxx", "dir/page.js"]],
    [["*.js"], ["app.js", "index.js"], ["js/index.js", "app.jsx"]],
    [["**.js"], ["index.js", "js/index.js", "src/js/app.js"], ["index.ts"]],
    [["docs/*"], ["docs/README.md", "docs/file.txt"], ["docs/mona/octocat.txt"]],
    [["docs/**"], ["docs/README.md", "docs/mona/octocat.txt"], ["src/docs.md"]],
    [
      ["docs/**/*.md"],
      ["docs/README.md", "docs/mona/hello-world.md", "docs/a/markdown/file.md"],
      ["docs/a.txt"],
    ],
    [["**/docs/**"], ["docs/hello.md", "dir/docs/my-file.txt", "space/docs/plan/space.doc"], ["documents/x"]],
    [["**/README.md"], ["README.md", "js/README.md"], ["README.mdx"]],
    [["**/*src/**"], ["a/src/app.js", "my-src/code/js/app.js"], ["source/app.js"]],
    [["**/*-post.md"], ["my-post.md", "path/their-post.md"], ["post.md"]],
    [
      ["**/migrate-*.sql"],
      ["migrate-10909.sql", "db/migrate-v1.0.sql", "db/sept/migrate-v1.sql"],
      ["db/migrate/v1.sql"],
    ],
    [["*.md", "!README.md"], ["hello.md"], ["README.md", "docs/hello.md"]],
    [["*.md", "!README.md", "README*"], ["hello.md", "README.md", "README.doc"], ["docs/hello.md"]],
    [
      ["[CB]at", "[1-2]00"],
      ["Cat", "Bat", "100", "200"],
      ["Hat", "cat", "300"],
    ],
    [["ab+c"], ["abc", "abbbc"], ["ac"]],
  ];
  test.each(rows)("%j", (patterns, good, bad) => {
    for (const v of good) expect(matchFilterPatterns(patterns, v), v).toBe(true);
    for (const v of bad) expect(matchFilterPatterns(patterns, v), v).toBe(false);
  });

  test("regex characters are literal", () => {
    expect(matchFilterPatterns(["release.(1)"], "release.(1)")).toBe(true);
    expect(matchFilterPatterns(["release.(1)"], "releaseX(1)")).toBe(false);
    expect(matchFilterPatterns(["a|b"], "a")).toBe(false);
    expect(matchFilterPatterns(["^a$"], "^a$")).toBe(true);
    expect(matchFilterPatterns(["{a,b}"], "{a,b}")).toBe(true);
  });

  test("backslash escapes a special character", () => {
    expect(matchFilterPatterns(["v1\\*"], "v1*")).toBe(true);
    expect(matchFilterPatterns(["v1\\*"], "v1x")).toBe(false);
    expect(matchFilterPatterns(["\\!x"], "!x")).toBe(true);
  });

  test("a quantifier with nothing to quantify is literal", () => {
    expect(matchFilterPatterns(["?x"], "?x")).toBe(true);
    expect(matchFilterPatterns(["+x"], "+x")).toBe(true);
  });

  test("invalid patterns match nothing instead of throwing", () => {
    expect(matchFilterPatterns(["[z-a]"], "q")).toBe(false);
    expect(matchFilterPatterns(["[z-a]", "q"], "q")).toBe(true);
  });

  test("only negative patterns match nothing; order decides", () => {
    expect(matchFilterPatterns(["!main"], "dev")).toBe(false);
    expect(matchFilterPatterns(["!main", "**"], "main")).toBe(true);
    expect(matchFilterPatterns(["**", "!main"], "main")).toBe(false);
  });
});

describe("matchEvent: push", () => {
  test("branches", async () => {
    const ev = await on("  push:\n    branches: [main, 'releases/**']");
    expect(matchEvent(ev, push("refs/heads/main"))).toEqual(yes);
    expect(matchEvent(ev, push("refs/heads/releases/v1/hotfix"))).toEqual(yes);
    expect(matchEvent(ev, push("refs/heads/dev"))).toEqual(
      no("branch 'dev' not in branches [main, releases/**]"),
    );
  });

  test("branches-ignore", async () => {
    const ev = await on("  push:\n    branches-ignore: ['mona/octocat', 'releases/**-alpha']");
    expect(matchEvent(ev, push("refs/heads/main"))).toEqual(yes);
    expect(matchEvent(ev, push("refs/heads/releases/beta/3-alpha"))).toEqual(
      no("branch 'releases/beta/3-alpha' matches branches-ignore [mona/octocat, releases/**-alpha]"),
    );
  });

  test("GitHub docs: negative branch patterns", async () => {
    const ev = await on("  push:\n    branches:\n      - 'releases/**'\n      - '!releases/**-alpha'");
    expect(matchEvent(ev, push("refs/heads/releases/10"))).toEqual(yes);
    expect(matchEvent(ev, push("refs/heads/releases/10-alpha"))).toMatchObject({ matched: false });
  });

  test("only branch filters: tag pushes do not run", async () => {
    const ev = await on("  push:\n    branches: ['**']");
    expect(matchEvent(ev, push("refs/tags/v1"))).toEqual(
      no("tag 'v1' pushed, but only branch filters are set"),
    );
  });

  test("only tag filters: branch pushes do not run", async () => {
    const ev = await on("  push:\n    tags: ['v*']");
    expect(matchEvent(ev, push("refs/tags/v1.0.0"))).toEqual(yes);
    expect(matchEvent(ev, push("refs/tags/x1"))).toEqual(no("tag 'x1' not in tags [v*]"));
    expect(matchEvent(ev, push("refs/heads/main"))).toEqual(
      no("branch 'main' pushed, but only tag filters are set"),
    );
  });

  test("tags-ignore", async () => {
    const ev = await on("  push:\n    tags-ignore: ['v1.*']");
    expect(matchEvent(ev, push("refs/tags/v1.2"))).toEqual(no("tag 'v1.2' matches tags-ignore [v1.*]"));
    expect(matchEvent(ev, push("refs/tags/v2.0"))).toEqual(yes);
  });

  test("both branch and tag filters: each applies to its own kind of ref", async () => {
    const ev = await on("  push:\n    branches: [main]\n    tags: ['v*']");
    expect(matchEvent(ev, push("refs/heads/main"))).toEqual(yes);
    expect(matchEvent(ev, push("refs/tags/v1"))).toEqual(yes);
    expect(matchEvent(ev, push("refs/heads/dev"))).toMatchObject({ matched: false });
  });

  test("no ref filters: branches and tags both run", async () => {
    for (const ev of [await on("  push:"), await on("  [push]"), await on("  push: {}")]) {
      expect(matchEvent(ev, push("refs/heads/anything"))).toEqual(yes);
      expect(matchEvent(ev, push("refs/tags/anything"))).toEqual(yes);
    }
  });

  test("paths: one changed file matching is enough; later ! patterns exclude", async () => {
    const ev = await on("  push:\n    paths:\n      - 'sub-project/**'\n      - '!sub-project/docs/**'");
    expect(matchEvent(ev, push("refs/heads/main", ["sub-project/a.ts"]))).toEqual(yes);
    expect(matchEvent(ev, push("refs/heads/main", ["README.md", "sub-project/a.ts"]))).toEqual(yes);
    expect(matchEvent(ev, push("refs/heads/main", ["sub-project/docs/x.md"]))).toEqual(
      no("no changed file matches paths [sub-project/**, !sub-project/docs/**]"),
    );
    expect(matchEvent(ev, push("refs/heads/main", []))).toMatchObject({ matched: false });
  });

  test("paths-ignore: skipped only when every changed file is ignored", async () => {
    const ev = await on("  push:\n    paths-ignore: ['docs/**', '**.md']");
    expect(matchEvent(ev, push("refs/heads/main", ["docs/a.txt", "x/README.md"]))).toEqual(
      no("every changed file matches paths-ignore [docs/**, **.md]"),
    );
    expect(matchEvent(ev, push("refs/heads/main", ["docs/a.txt", "src/a.ts"]))).toEqual(yes);
  });

  test("unknown changed files pass path filters", async () => {
    const ev = await on("  push:\n    paths: ['src/**']");
    expect(matchEvent(ev, push("refs/heads/main"))).toEqual(yes);
  });

  test("branches and paths must both be satisfied", async () => {
    const ev = await on("  push:\n    branches: [main]\n    paths: ['src/**']");
    expect(matchEvent(ev, push("refs/heads/main", ["src/a"]))).toEqual(yes);
    expect(matchEvent(ev, push("refs/heads/main", ["doc/a"]))).toMatchObject({ matched: false });
    expect(matchEvent(ev, push("refs/heads/dev", ["src/a"]))).toMatchObject({ matched: false });
  });

  test("path filters are not evaluated for tag pushes", async () => {
    const ev = await on("  push:\n    tags: ['v*']\n    paths: ['src/**']");
    expect(matchEvent(ev, push("refs/tags/v1", ["docs/x.md"]))).toEqual(yes);
  });
});

describe("matchEvent: pull_request", () => {
  test("branch filters apply to the base branch", async () => {
    const ev = await on("  pull_request:\n    branches: [main, 'releases/**']");
    expect(matchEvent(ev, pr("main"))).toEqual(yes);
    expect(matchEvent(ev, pr("releases/2"))).toEqual(yes);
    expect(matchEvent(ev, pr("dev"))).toEqual(no("base branch 'dev' not in branches [main, releases/**]"));
  });

  test("default types are opened, synchronize and reopened", async () => {
    const ev = await on("  pull_request:");
    for (const a of ["opened", "synchronize", "reopened"]) expect(matchEvent(ev, pr("main", a))).toEqual(yes);
    expect(matchEvent(ev, pr("main", "closed"))).toEqual(
      no("activity type 'closed' not in the default types [opened, synchronize, reopened]"),
    );
    expect(matchEvent(ev, { name: "pull_request", baseRef: "main" })).toEqual(yes);
  });

  test("types replaces the defaults", async () => {
    const ev = await on("  pull_request:\n    types: [closed, labeled]");
    expect(matchEvent(ev, pr("main", "closed"))).toEqual(yes);
    expect(matchEvent(ev, pr("main", "opened"))).toEqual(
      no("activity type 'opened' not in types [closed, labeled]"),
    );
  });

  test("paths against the pull request's changed files", async () => {
    const ev = await on("  pull_request:\n    paths: ['**.js']");
    expect(matchEvent(ev, pr("main", "opened", ["a/b.js"]))).toEqual(yes);
    expect(matchEvent(ev, pr("main", "opened", ["a/b.ts"]))).toMatchObject({ matched: false });
  });

  test("pull_request_target has the same defaults and base-branch filter", async () => {
    const ev = await on("  pull_request_target:\n    branches-ignore: [wip]");
    expect(matchEvent(ev, { name: "pull_request_target", baseRef: "main", action: "opened" })).toEqual(yes);
    expect(matchEvent(ev, { name: "pull_request_target", baseRef: "wip", action: "opened" })).toEqual(
      no("base branch 'wip' matches branches-ignore [wip]"),
    );
    expect(matchEvent(ev, { name: "pull_request_target", baseRef: "main", action: "edited" })).toMatchObject({
      matched: false,
    });
  });
});

describe("matchEvent: other events", () => {
  test("an event not in on: does not run", async () => {
    const ev = await on("  push:\n  pull_request:");
    expect(matchEvent(ev, { name: "schedule" })).toEqual(
      no("event 'schedule' not in on: [push, pull_request]"),
    );
  });

  test("workflow_dispatch, schedule and workflow_call match by presence", async () => {
    const ev = await on(
      "  workflow_dispatch:\n    inputs:\n      x:\n        type: string\n  schedule:\n    - cron: '0 0 * * *'\n  workflow_call:",
    );
    expect(matchEvent(ev, { name: "workflow_dispatch" })).toEqual(yes);
    expect(matchEvent(ev, { name: "schedule" })).toEqual(yes);
    expect(matchEvent(ev, { name: "workflow_call" })).toEqual(yes);
  });

  test("types on other events; all types run by default", async () => {
    const ev = await on("  release:\n    types: [published]\n  issues:");
    expect(matchEvent(ev, { name: "release", action: "published" })).toEqual(yes);
    expect(matchEvent(ev, { name: "release", action: "created" })).toEqual(
      no("activity type 'created' not in types [published]"),
    );
    expect(matchEvent(ev, { name: "issues", action: "deleted" })).toEqual(yes);
  });

  test("workflow_run: workflows, types and the triggering run's branch", async () => {
    const ev = await on("  workflow_run:\n    workflows: [CI]\n    types: [completed]\n    branches: [main]");
    const run = (o: Partial<EventFacts>): EventFacts => ({
      name: "workflow_run",
      ref: "refs/heads/main",
      action: "completed",
      workflow: "CI",
      ...o,
    });
    expect(matchEvent(ev, run({}))).toEqual(yes);
    expect(matchEvent(ev, run({ workflow: "Deploy" }))).toEqual(
      no("workflow 'Deploy' not in workflows [CI]"),
    );
    expect(matchEvent(ev, run({ action: "requested" }))).toMatchObject({ matched: false });
    expect(matchEvent(ev, run({ ref: "refs/heads/dev" }))).toEqual(no("branch 'dev' not in branches [main]"));
    expect(matchEvent(ev, run({ workflow: undefined }))).toEqual(yes);
  });
});
