// Parallel jobs restoring the same cache into the same folder (rust-cache's ~/.cargo/registry
// in every leg of a matrix): each restore must finish whole, none may meet another's half-written
// files ("tar: …: Cannot open: File exists").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const temp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};

// Many small files in nested folders: the window in which two extractions collide.
const SEED = `name: seed
on: workflow_dispatch
jobs:
  seed:
    runs-on: ubuntu-latest
    steps:
      - run: |
          for d in $(seq 1 100); do
            mkdir -p ~/.race/registry/$d
            for f in $(seq 1 100); do echo "$d/$f" > ~/.race/registry/$d/$f.txt; done
          done
      - uses: actions/cache@v4
        with:
          path: ~/.race/registry
          key: race-\${{ runner.os }}
`;
const WORKFLOW = `name: race
on: push
jobs:
  leg:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [1, 2, 3, 4, 5, 6]
    steps:
      - uses: actions/cache@v4
        id: c
        with:
          path: ~/.race/registry
          key: race-\${{ runner.os }}
      - run: |
          test "\${{ steps.c.outputs.cache-hit }}" = true
          test "$(find ~/.race/registry -type f | wc -l)" -eq 10000
          grep -qx 100/100 ~/.race/registry/100/100.txt
`;

test("six legs restore the same cache into the same folder at once", () => {
  const home = temp("slipway-race-home-");
  const repo = tempRepo(undefined, {
    ".github/workflows/seed.yml": SEED,
    ".github/workflows/race.yml": WORKFLOW,
  });
  dirs.push(repo);
  const env = {
    HOME: home,
    XDG_CACHE_HOME: temp("slipway-race-xdg-"),
    SLIPWAY_REUSE: "0",
    SLIPWAY_HISTORY: "0",
  };
  // The seed saves the cache; its folder is then removed so every leg restores for real.
  const seed = slipway(["run", "workflow_dispatch", "--no-sandbox"], repo, env);
  expect(seed.stdout + seed.stderr).toContain("Cache saved with key: race-Linux");
  // Twice: into an empty folder, then over the files the first round left.
  for (let round = 0; round < 2; round++) {
    const r = slipway(["run", "push", "--jobs", "6", "--no-sandbox"], repo, env);
    const out = r.stdout + r.stderr;
    expect(out).not.toContain("Cannot open");
    expect(out).toContain("Run success");
    expect(r.code).toBe(0);
  }
}, 240_000);
