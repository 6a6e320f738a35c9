import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { openHistory } from "../src/db/open.js";
import { slipway, tempRepo } from "./helpers/cli.js";
import { api, serve, stopAll, until } from "./helpers/serve.js";

afterAll(async () => {
  await stopAll();
}, 60_000);

// `slipway history prune`: old runs leave the history and the disk; the newest stay, numbers go on.

test("history prune --older-than: a dry run says what would go; then the runs and their folders go, the newest N stay, the next run's number goes on; bad input is a usage error", () => {
  const repo = tempRepo(undefined, {
    ".github/workflows/ci.yml":
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
  });
  for (let i = 0; i < 3; i++) expect(slipway(["run", "--no-reuse"], repo).code).toBe(0);
  const dry = slipway(["history", "prune", "--older-than", "0d", "--keep", "1", "--dry-run"], repo);
  expect([dry.code, dry.stdout]).toEqual([0, "Would delete 2 runs: #1 … #2\n"]);
  expect(existsSync(join(repo, ".slipway", "runs", "1"))).toBe(true);
  const done = slipway(["history", "prune", "--older-than", "0", "--keep", "1", "--json"], repo);
  expect(done.code, done.stderr).toBe(0);
  expect((JSON.parse(done.stdout) as { runs: { number: number }[] }).runs.map((r) => r.number)).toEqual([
    1, 2,
  ]);
  for (const n of ["1", "2"]) expect(existsSync(join(repo, ".slipway", "runs", n))).toBe(false);
  const left = JSON.parse(slipway(["history", "--json"], repo).stdout) as { number: number }[];
  expect(left.map((r) => r.number)).toEqual([3]);
  expect(slipway(["history", "prune", "--older-than", "90d"], repo).stdout).toBe("No run to delete.\n");
  expect(slipway(["run", "--no-reuse", "--json"], repo).stdout).toContain('"run": 4,');
  for (const bad of [
    [],
    ["--older-than", "soon"],
    ["--older-than", "1d", "--keep", "0"],
    ["extra", "--older-than", "1d"],
  ]) {
    const r = slipway(["history", "prune", ...bad], repo);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^slipway history: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
});

test("serve --retention-days: runs that ended longer ago are deleted at start (the newest 10 stay)", async () => {
  const repo = tempRepo(undefined, {
    ".github/workflows/ci.yml":
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
  });
  for (let i = 0; i < 12; i++) expect(slipway(["run", "--no-reuse"], repo).code).toBe(0);
  // Runs 1 and 2 ended 40 days ago.
  const db = (await openHistory(repo, false))!;
  await db.run("UPDATE runs SET ended_at = ? WHERE number IN (1, 2)", [Date.now() - 40 * 86_400_000]);
  await db.close();
  const s = await serve(repo, ["--agents", "0", "--no-schedules", "--retention-days", "30"], {});
  const runs = await until("the old runs to go", async () => {
    const r = (await api(s, "/api/runs?limit=50")).body.runs as unknown as { number: number }[];
    return r.length === 10 ? r : undefined;
  });
  expect(runs.map((r) => r.number).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  expect(existsSync(join(repo, ".slipway", "runs", "1"))).toBe(false);
  expect(s.out()).toContain("retention: deleted 2 run(s) that ended over 30 day(s) ago");
  s.proc.kill("SIGTERM");
  await s.exited;
}, 90_000);
