// Exit codes, signals, closed output, full disks and arguments that must not pass silently.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { BIN, ROOT, slipway, tempRepo } from "./helpers/cli.js";

const wf = (body: string) => ({ ".github/workflows/ci.yml": body });
const STACK = /\n\s+at .*:\d+:\d+\)?\n/;

interface Summary {
  result: string;
  runId: string;
  folder: string;
  interrupted?: string;
  notSaved?: string[];
  jobs: { job: string; name: string; result: string; reason?: string }[];
}

/** `slipway run` in its own process group (as a terminal's Ctrl-C reaches it), stdout collected. */
function start(repo: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, "run", ...args], {
    cwd: repo,
    // Host executor: steps signal "ready" through files outside the workspace, which the
    // sandbox would keep in the job's layer.
    env: { ...process.env, CI: "true", SLIPWAY_SANDBOX: "0", ...env },
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((res) => child.on("close", res));
  return { child, exited, out: () => ({ stdout, stderr }) };
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 300 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 50));
  expect(existsSync(path)).toBe(true);
}

describe("Node version", () => {
  test.skipIf(!existsSync("/usr/bin/node") || !/^v(1\d|2[01])\./.test(nodeVersion("/usr/bin/node")))(
    "an older Node stops at once with the version it needs",
    () => {
      for (const cmd of ["lint", "audit", "--version"]) {
        const r = spawnSync("/usr/bin/node", [BIN, cmd], { cwd: ROOT, encoding: "utf8" });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/Slipway needs Node\.js 22 or newer \(found 2[01]\.\d+\.\d+\)/);
        expect(r.stderr).not.toMatch(/internal error|groupBy/);
      }
    },
  );
});

describe("--matrix", () => {
  test("values of one key are alternatives, different keys must all match", () => {
    const repo = tempRepo(
      undefined,
      wf(`on: push
jobs:
  t:
    runs-on: ubuntu-latest
    strategy:
      matrix: { k: [a, b, c], j: [1, 2] }
    steps: [{ run: echo ran }]
`),
    );
    const r = slipway(["run", "--json", "--matrix", "k=a", "--matrix", "k=b", "--matrix", "j=1"], repo);
    const out = JSON.parse(r.stdout) as Summary;
    const ran = out.jobs.filter((j) => j.job.startsWith("t.") && j.result === "success").map((j) => j.name);
    expect(ran.sort()).toEqual(["t (a, 1)", "t (b, 1)"]);
    expect(out.jobs.find((j) => j.name === "t (c, 1)")?.reason).toBe("not selected by --matrix k=a or k=b");
    expect(r.code).toBe(0);
  });

  test("a called workflow's matrix legs and plan obey it too", () => {
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: push
jobs:
  call:
    strategy:
      matrix: { k: [a, b, c] }
    uses: ./.github/workflows/lib.yml
    with: { k: "\${{ matrix.k }}" }
`,
      ".github/workflows/lib.yml": `on:
  workflow_call:
    inputs: { k: { type: string } }
jobs:
  inner:
    runs-on: ubuntu-latest
    steps:
      - run: echo "inner-\${{ inputs.k }}"
`,
    });
    const r = slipway(["run", "--matrix", "k=b", "--matrix", "k=c"], repo);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("inner-b");
    expect(r.stdout).toContain("inner-c");
    expect(r.stdout).not.toContain("inner-a");
    const p = slipway(["plan", "--matrix", "k=b", "--matrix", "nokey=1"], repo);
    expect(p.stdout).toMatch(/- call \(a\) {2}\(not selected by --matrix k=b\)/);
    expect(p.stdout).toMatch(/◦ call \(b\)/);
    expect(p.stderr).toMatch(/--matrix nokey: no matrix job of the plan has a 'nokey' value/);
  });
});

describe("signals", () => {
  test("Ctrl-C: exit 130, the matrix job says it was cancelled, logs say the run was interrupted", async () => {
    const ready = join(mkdtempSync(join(tmpdir(), "slipway-int-")), "ready");
    const repo = tempRepo(
      undefined,
      wf(`on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    strategy:
      matrix: { k: [a, b] }
    steps:
      - run: touch "${ready}" && sleep 300
`),
    );
    const run = start(repo, ["--json", "--matrix", "k=a"]);
    await waitFor(ready);
    process.kill(-run.child.pid!, "SIGINT");
    expect(await run.exited).toBe(130);
    const out = JSON.parse(run.out().stdout) as Summary;
    expect(out.result).toBe("cancelled");
    expect(out.interrupted).toBe("SIGINT");
    const parent = out.jobs.find((j) => j.job === "slow");
    expect(parent?.result).toBe("cancelled");
    expect(parent?.reason).not.toMatch(/--matrix/);
    expect(parent?.reason).toMatch(/cancelled/);
    const logs = slipway(["logs"], repo);
    expect(logs.stdout).toMatch(/Run 1 was interrupted \(Ctrl-C\); result: cancelled/);
  });

  test("a second Ctrl-C stops at once and still removes the temporary folders", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-int-"));
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    const ready = join(dir, "ready");
    const repo = tempRepo(
      undefined,
      // Slow to stop: the first Ctrl-C leaves the run waiting for it.
      wf(`on: push
jobs:
  stubborn:
    runs-on: ubuntu-latest
    steps:
      - run: |
          trap 'sleep 4' TERM
          touch "${ready}"
          sleep 300
`),
    );
    const run = start(repo, ["--json"], { TMPDIR: tmp });
    await waitFor(ready);
    const temps = readdirSync(tmp).filter((d) => d.startsWith("slipway-"));
    expect(temps).toHaveLength(1);
    const shm = join("/dev/shm", temps[0]!);
    process.kill(-run.child.pid!, "SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    process.kill(-run.child.pid!, "SIGINT");
    expect(await run.exited).toBe(130);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(readdirSync(tmp).filter((d) => d.startsWith("slipway-"))).toEqual([]);
    expect(existsSync(shm)).toBe(false);
    const result = JSON.parse(readFileSync(join(repo, ".slipway/runs/1/result.json"), "utf8")) as Summary;
    expect(result).toMatchObject({ result: "cancelled", interrupted: "SIGINT" });
    expect(JSON.parse(run.out().stdout)).toMatchObject({ result: "cancelled", interrupted: "SIGINT" });
    expect(run.out().stderr).not.toMatch(STACK);
  });
});

describe("closed output", () => {
  test("`slipway run | head -3` finishes the run, saves it and leaves no temporary folder", () => {
    const tmp = mkdtempSync(join(tmpdir(), "slipway-pipe-"));
    const repo = tempRepo(
      undefined,
      wf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: seq 1 20
      - run: sleep 1; seq 1 200
  b:
    needs: a
    runs-on: ubuntu-latest
    steps: [{ run: echo after }]
`),
    );
    const r = spawnSync(
      "bash",
      ["-c", `"${process.execPath}" "${BIN}" run | head -3; echo "exit=\${PIPESTATUS[0]}" >&2`],
      { cwd: repo, encoding: "utf8", env: { ...process.env, CI: "true", TMPDIR: tmp } },
    );
    expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(3);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/EPIPE|internal error/);
    expect(r.stderr).toMatch(/exit=0/);
    const result = JSON.parse(readFileSync(join(repo, ".slipway/runs/1/result.json"), "utf8")) as Summary;
    expect(result.result).toBe("success");
    expect(result.jobs.map((j) => j.name).sort()).toEqual(["a", "b"]);
    expect(readdirSync(tmp).filter((d) => d.startsWith("slipway-"))).toEqual([]);
    expect(existsSync(join("/dev/shm", `slipway-${result.runId}`))).toBe(false);
  });

  test("list, plan and logs into a closed pipe: no stack trace, no error", () => {
    const jobs = Array.from(
      { length: 200 },
      (_, i) => `  j${i}: { runs-on: ubuntu-latest, steps: [{ run: seq 1 500 }] }`,
    );
    const repo = tempRepo(undefined, wf(`on: push\njobs:\n${jobs.slice(0, 1).join("\n")}\n`));
    expect(slipway(["run"], repo).code).toBe(0);
    execFileSync("sh", ["-c", `cat > .github/workflows/ci.yml`], {
      cwd: repo,
      input: `on: push\njobs:\n${jobs.join("\n")}\n`,
    });
    for (const cmd of ["list", "plan", "logs"]) {
      const r = spawnSync(
        "bash",
        ["-c", `"${process.execPath}" "${BIN}" ${cmd} | head -1; echo "exit=\${PIPESTATUS[0]}" >&2`],
        {
          cwd: repo,
          encoding: "utf8",
        },
      );
      expect(r.stderr).toBe("exit=0\n");
    }
  });
});

describe("a full disk", () => {
  test.skipIf(process.getuid?.() !== 0)(
    "saving the run fails: the path and the error are named, the result is printed, exit 74",
    () => {
      const repo = tempRepo(
        undefined,
        wf(`on: push
jobs:
  loud:
    runs-on: ubuntu-latest
    steps:
      - run: seq 1 40000
`),
      );
      const store = join(repo, ".slipway");
      mkdirSync(store);
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", store]);
      } catch {
        return; // no tmpfs here: nothing to test against
      }
      try {
        const r = slipway(["run"], repo);
        expect(r.code).toBe(74);
        expect(r.stderr).toMatch(
          /could not save the run: .*\.slipway\/runs\/1\/\S+: ENOSPC: no space left on device/,
        );
        expect(r.stdout).toMatch(/loud +✓ success/);
        expect(r.stderr + r.stdout).not.toMatch(STACK);
        expect(r.stderr).not.toMatch(/internal error/);
        rmSync(join(store, "runs"), { recursive: true });
        const j = slipway(["run", "--json"], repo);
        expect(j.code).toBe(74);
        expect((JSON.parse(j.stdout) as Summary).notSaved?.[0]).toMatch(/ENOSPC/);
        // Full before the run starts: said at once, nothing runs, no half-made run folder.
        spawnSync("dd", ["if=/dev/zero", `of=${join(store, "fill")}`, "bs=4k"]);
        const full = slipway(["run"], repo);
        expect(full.code).toBe(74);
        expect(full.stderr).toMatch(/^slipway run: cannot write .*\.slipway\/runs\/2\/event\.json: ENOSPC/);
        expect(full.stdout).not.toMatch(/loud/);
        expect(readdirSync(join(store, "runs"))).toEqual(["1"]);
      } finally {
        execFileSync("umount", [store]);
      }
    },
  );
});

describe("arguments that used to pass silently", () => {
  const repo = tempRepo(
    undefined,
    wf("on: push\njobs: { a: { runs-on: ubuntu-latest, steps: [{ run: echo }] } }\n"),
  );
  writeFileSync(join(repo, "array.json"), "[1, 2]");
  const cases: [string[], RegExp][] = [
    [["run", "nosuchevent"], /unknown event 'nosuchevent'; GitHub's events are:[\s\S]*workflow_dispatch/],
    [["plan", "nosuchevent"], /unknown event 'nosuchevent'/],
    [["run", "push", "extra"], /expected one event/],
    [["run", "--base", "mian"], /--base mian: no such branch, tag or commit/],
    [["run", "pull_request", "--base", "mian"], /--base mian: no such branch, tag or commit/],
    [["run", "--jobs", "0"], /--jobs expects a whole number from 1, got '0'/],
    [["run", "--jobs", "abc"], /--jobs expects a whole number from 1, got 'abc'/],
    [
      ["run", "pull_request", "--type", "opend"],
      /'pull_request' has no activity type 'opend'; its types are:[\s\S]*synchronize/,
    ],
    [["run", "--type", "opened"], /'push' has no activity types/],
    [["run", "--actor", "Jane Doe"], /--actor expects a GitHub login/],
    [["run", "--limit", "max-depth=0"], /--limit max-depth expects a whole number from 1/],
    [
      ["run", "--ref", "feature branch"],
      /--ref expects a branch, a tag or refs\/\.\.\., got 'feature branch'/,
    ],
    [["run", "--ref", "a..b"], /--ref expects/],
    [["run", "--secret", "my token=x"], /--secret: 'my token' is not a valid name/],
    [["run", "--var", "1X=x"], /--var: '1X' is not a valid name/],
    [["run", "-e", "/dev/null"], /--event-file \/dev\/null: not JSON/],
    [
      ["run", "-e", "array.json"],
      /--event-file array\.json: expected a JSON object \(an event payload\), got an array/,
    ],
    [["run", "-e", "/nonexistent.json"], /--event-file \/nonexistent\.json: file not found/],
    [["run", "--job", "nosuchjob"], /--job: no workflow has a job 'nosuchjob' \(jobs: a\)/],
  ];
  test.each(cases)("%j", (args, message) => {
    const r = slipway(args, repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK);
    expect(existsSync(join(repo, ".slipway"))).toBe(false);
  });

  test("every command: a bad option is exit 2, one line naming the command, and where --help is", () => {
    for (const cmd of [
      "run",
      "plan",
      "list",
      "logs",
      "lint",
      "audit",
      "score",
      "pin",
      "artifacts",
      "actions",
      "history",
      "stats",
    ]) {
      const r = slipway([cmd, "--no-such-option"], repo);
      expect(r.code, cmd).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^slipway ${cmd}: Unknown option '--no-such-option'`));
      expect(r.stderr).toContain(`Run 'slipway ${cmd} --help' for its options.`);
    }
    expect(slipway(["score", "--min", "abc"], repo).stderr).toMatch(/^slipway score: --min must be/);
  });

  test("--base may name a branch only the remote has", () => {
    const r = tempRepo(
      undefined,
      wf("on: pull_request\njobs: { a: { runs-on: ubuntu-latest, steps: [{ run: echo }] } }\n"),
    );
    execFileSync("git", ["update-ref", "refs/remotes/origin/develop", "HEAD"], { cwd: r });
    expect(slipway(["plan", "pull_request", "--base", "develop"], r).code).toBe(0);
    expect(slipway(["plan", "pull_request", "--base", "develo"], r).code).toBe(2);
  });

  test("a run that triggers nothing makes no run folder", () => {
    const r = slipway(["run", "release"], repo);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No workflow is triggered by 'release'/);
    expect(existsSync(join(repo, ".slipway"))).toBe(false);
  });
});

describe("github.actor and repository.private", () => {
  const body = wf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "actor=[$GITHUB_ACTOR] private=$(jq .repository.private "$GITHUB_EVENT_PATH")"
`);
  const actorOf = (repo: string, args: string[] = [], env: Record<string, string> = {}) => {
    const r = slipway(["run", ...args], repo, env);
    expect(r.code).toBe(0);
    return /actor=\[(.*?)\] private=(\w+)/.exec(r.stdout)?.slice(1);
  };

  test("a login: --actor, else the remote's owner, else $USER; never git's user.name", () => {
    const withRemote = tempRepo(undefined, body, "https://github.com/octo-org/hello.git");
    execFileSync("git", ["config", "user.name", "Jane Q. Developer"], { cwd: withRemote });
    expect(actorOf(withRemote)).toEqual(["octo-org", "false"]);
    expect(actorOf(withRemote, ["--actor", "monalisa"])).toEqual(["monalisa", "false"]);
    const local = tempRepo(undefined, body);
    execFileSync("git", ["config", "user.name", "Jane Q. Developer"], { cwd: local });
    expect(actorOf(local, [], { USER: "jane doe" })).toEqual(["jane-doe", "false"]);
  });
});

function nodeVersion(node: string): string {
  try {
    return execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}
