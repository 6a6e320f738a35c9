import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { bareRepo } from "./helpers/bare-repo.js";
import { BIN } from "./helpers/cli.js";
import { api, slipwayProcess, stopAll, until } from "./helpers/serve.js";

// `slipway serve --repo`: a bare repository the server clones, polls and runs at each pushed
// commit, with that commit's workflows (not a working tree's).

afterAll(async () => {
  await stopAll();
}, 60_000);

const workflow = (words: string) => `on: push
jobs:
  say:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${words} at \${{ github.ref_name }}"
`;

test("serve --repo --poll: a push to a bare repository runs that commit's workflow; a tag push too", async () => {
  const top = mkdtempSync(join(tmpdir(), "slipway-serve-repo-"));
  const { bare, dev, git } = bareRepo(top, workflow("version one"));

  const data = join(top, "data");
  const s = slipwayProcess(
    ["serve", "--port", "0", "--repo", bare, "--data", data, "--poll", "1", "--agents", "1", "--no-sandbox"],
    top,
    {},
  );
  const url = await until("listening", () => /listening on (http:\/\/\S+)/.exec(s.out())?.[1], 20_000);
  // The clone is made; what was there at start is not run.
  await new Promise((r) => setTimeout(r, 1500));
  expect(((await api({ url }, "/api/queue")).body as unknown[]).length).toBe(0);

  // The working tree of the clone is not what runs: the pushed commit's workflow is.
  writeFileSync(join(dev, ".github/workflows/ci.yml"), workflow("version two"));
  git(dev, "commit", "-qam", "two");
  const two = git(dev, "rev-parse", "HEAD");
  git(dev, "push", "-q", "origin", "HEAD:main");
  git(dev, "tag", "-a", "v1.0.0", "-m", "v1.0.0");
  git(dev, "push", "-q", "origin", "v1.0.0");

  const done = await until(
    "two runs",
    async () => {
      const q = (await api({ url }, "/api/queue")).body as unknown as { state: string; run: number }[];
      return q.length === 2 && q.every((x) => x.state === "done") ? q : undefined;
    },
    60_000,
  );
  const runs = (await api({ url }, "/api/runs")).body.runs as unknown as {
    ref: string;
    sha: string;
    result: string;
  }[];
  expect(runs.map((r) => [r.ref, r.sha, r.result]).sort()).toEqual([
    ["refs/heads/main", two, "success"],
    ["refs/tags/v1.0.0", two, "success"],
  ]);
  const served = join(data, "repos", "origin");
  for (const q of done) {
    const log = spawnSync(process.execPath, [BIN, "logs", String(q.run), "say"], {
      cwd: served,
      encoding: "utf8",
      env: { ...process.env, SLIPWAY_DATABASE_URL: "" },
    });
    expect(log.stdout).toMatch(/version two at (main|v1\.0\.0)/);
  }
}, 120_000);

test("a bare repository's post-receive hook asks the server to fetch (POST /api/poll): a push runs at once, with no --poll", async () => {
  const top = mkdtempSync(join(tmpdir(), "slipway-serve-hook-"));
  const { bare, dev, git } = bareRepo(top, workflow("hooked"));
  const token = "hook-admin-token";
  const s = slipwayProcess(
    [
      "serve",
      "--port",
      "0",
      "--repo",
      bare,
      "--data",
      join(top, "data"),
      "--token",
      token,
      "--agents",
      "1",
      "--no-sandbox",
      "--no-schedules",
    ],
    top,
    {},
  );
  const url = await until("listening", () => /listening on (http:\/\/\S+)/.exec(s.out())?.[1], 30_000);
  // The hook as the README gives it (curl; the token in the hook's environment or file).
  const hook = join(bare, "hooks", "post-receive");
  writeFileSync(
    hook,
    `#!/bin/sh\ncurl -fsS -X POST -H "Authorization: Bearer ${token}" ${url}/api/poll >/dev/null || echo "slipway: the server was not told" >&2\n`,
    { mode: 0o755 },
  );
  expect((await api({ url }, "/api/poll", { method: "POST" })).status).toBe(401);
  writeFileSync(join(dev, "x.txt"), "two\n");
  git(dev, "add", "-A");
  git(dev, "commit", "-qm", "two");
  const pushed = spawnSync("git", ["push", "-q", "origin", "HEAD:main"], { cwd: dev, encoding: "utf8" });
  expect(pushed.stderr).not.toContain("was not told");
  const sha = git(dev, "rev-parse", "HEAD");
  // Queued by the hook's request itself (no poll timer runs): the run is there at once.
  const q = (await api({ url }, "/api/queue")).body as unknown as { queued: number }[];
  expect(q.length).toBe(1);
  const run = await until("the pushed commit's run", async () => {
    const runs = (await api({ url }, "/api/runs")).body.runs as unknown as {
      sha: string;
      result: string | null;
    }[];
    return runs[0]?.result ? runs[0] : undefined;
  });
  expect(run).toMatchObject({ sha, result: "success" });
}, 90_000);
