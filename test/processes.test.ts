import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BIN, slipway, tempRepo } from "./helpers/cli.js";

const repos: string[] = [];
afterAll(() => {
  for (const r of repos) rmSync(r, { recursive: true, force: true });
});

/** Pids of processes whose command line contains `text`. */
function running(text: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").replaceAll("\0", " ").includes(text)) {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        if (stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z") out.push(Number(d));
      }
    } catch {}
  }
  return out;
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

const kill = (pids: number[]) => {
  for (const p of pids)
    try {
      process.kill(p, "SIGKILL");
    } catch {}
};

describe.each([
  ["the fork server", "1"],
  ["Node's spawn", "0"],
])("processes started by %s", (_name, fork) => {
  test("a job's processes end with the job, also those that left its process group", async () => {
    // A unique sleep length per case names its processes in /proc.
    const n = fork === "1" ? 987651 : 987661;
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          setsid sleep ${n} > /dev/null 2>&1 &
          ( sleep ${n + 1} > /dev/null 2>&1 & )
          nohup sleep ${n + 2} > /dev/null 2>&1 &
          sleep ${n + 3} &
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: |
          for i in 1 2 3 4 5 6 7 8 9 10; do
            left=$(for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null; echo; done | grep -c 'sleep ${String(n).slice(0, -1)}[${String(n).slice(-1)}-9]' || true)
            [ "$left" = 0 ] && exit 0
            sleep 0.1
          done
          echo "still running after job a: $left"; exit 1
`,
    });
    repos.push(repo);
    try {
      const r = slipway(["run"], repo, { SLIPWAY_FORK_SERVER: fork });
      expect(r.stdout).not.toContain("still running");
      expect(r.code).toBe(0);
      for (let k = 0; k < 4; k++) expect(running(`sleep ${n + k}`)).toEqual([]);
    } finally {
      for (let k = 0; k < 4; k++) kill(running(`sleep ${n + k}`));
    }
  }, 30_000);
});

describe("when Slipway is killed", () => {
  test("kill -9 of slipway takes its running steps down, also those that left their process group", async () => {
    const n = 987671;
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          setsid sleep ${n} > /dev/null 2>&1 &
          sleep ${n + 1} &
          echo started
          sleep ${n + 2}
`,
    });
    repos.push(repo);
    const child = spawn(process.execPath, [BIN, "run"], {
      cwd: repo,
      env: { ...process.env, CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    try {
      await until(() => out.includes("started") && running(`sleep ${n + 2}`).length > 0, 15_000);
      expect(running(`sleep ${n}`).length).toBe(1);
      child.kill("SIGKILL");
      await until(() => [0, 1, 2].every((k) => running(`sleep ${n + k}`).length === 0), 5000);
      for (let k = 0; k < 3; k++) expect(running(`sleep ${n + k}`)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      for (let k = 0; k < 3; k++) kill(running(`sleep ${n + k}`));
    }
  }, 30_000);
});

describe("step output", () => {
  test("a line over 1 MiB is cut with a note; the lines after it and the run go on", () => {
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          head -c 3000000 /dev/zero | tr '\\0' y; echo
          echo after
`,
    });
    repos.push(repo);
    const r = slipway(["run", "--bind"], repo);
    expect(r.code).toBe(0);
    const log = readFileSync(`${repo}/.slipway/runs/1/logs/a.log`, "utf8").split("\n");
    const cut = log.find((l) => l.startsWith("yyy"))!;
    expect(cut).toBe(
      `${"y".repeat(1024 * 1024)} [slipway: line longer than 1 MiB cut here; ${3_000_000 - 1024 * 1024} more characters not shown]`,
    );
    expect(log).toContain("after");
  }, 30_000);
});

describe("start-up", () => {
  test("git is asked what the run needs in a few processes", () => {
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml":
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
    });
    repos.push(repo);
    writeFileSync(join(repo, "second.txt"), "x");
    execFileSync("git", ["add", "-A"], { cwd: repo });
    execFileSync("git", ["commit", "-q", "-m", "second"], { cwd: repo });
    // A git on PATH that logs each call, then runs the real one.
    const bin = join(repo, ".fakebin");
    mkdirSync(bin);
    const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    writeFileSync(join(bin, "git"), `#!/bin/sh\necho "$*" >> "${bin}/calls"\nexec "${real}" "$@"\n`);
    chmodSync(join(bin, "git"), 0o755);
    const r = slipway(["run", "--bind"], repo, { PATH: `${bin}:${process.env.PATH}` });
    expect(r.code).toBe(0);
    const calls = readFileSync(join(bin, "calls"), "utf8").trim().split("\n");
    // Eight before: rev-parse, config, for-each-ref, log, the branch, the parent twice, diff.
    expect(calls.length).toBeLessThanOrEqual(5);
  }, 30_000);
});
