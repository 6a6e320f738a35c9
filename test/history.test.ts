import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, test } from "vitest";
import { openHistory } from "../src/db/open.js";
import { type Backend, backends } from "../src/db/test-helpers.js";
import { BIN, type CliResult, slipway, slipwayAsync, tempRepo } from "./helpers/cli.js";

const CI = `name: ci
on: push
jobs:
  build:
    strategy:
      matrix: { n: [1, 2] }
    runs-on: ubuntu-latest
    steps:
      - run: echo hello \${{ matrix.n }}
      - run: echo "::warning file=a.txt,line=3::careful"
  after:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo done
`;

interface RunJson {
  number: number;
  result: string | null;
  interrupted: string | null;
  durationMs: number | null;
  ref: string;
  event: string;
  sha: string;
  jobs: {
    key: string;
    leg: number | null;
    result: string | null;
    startedAt: number | null;
    steps: { name: string; conclusion: string | null; durationMs: number | null }[];
    annotations: { level: string; message: string }[];
  }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("history: no database yet says so and exits 0", () => {
  const repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI });
  const r = slipway(["history"], repo);
  expect(r).toMatchObject({ code: 0, stderr: "" });
  expect(r.stdout).toMatch(/^No runs recorded yet/);
  expect(JSON.parse(slipway(["history", "--json"], repo).stdout)).toEqual([]);
  expect(existsSync(join(repo, ".slipway", "slipway.db"))).toBe(false);
});

/**
 * The CLI against back end `b`: SQLite in the repository (SLIPWAY_DATABASE_URL cleared), or a
 * fresh PostgreSQL database through SLIPWAY_DATABASE_URL.
 */
async function backend(b: Backend) {
  const { url } = await b.fresh();
  const env = { SLIPWAY_DATABASE_URL: url ?? "" };
  return {
    url,
    env,
    cli: (args: string[], cwd: string): CliResult => slipway(args, cwd, env),
    cliAsync: (args: string[], cwd: string): Promise<CliResult> => slipwayAsync(args, cwd, env),
  };
}

describe.each(backends())("$name", (b) => {
  test("history lists recorded runs newest first, filters them, and shows one run's jobs, legs, steps and annotations", async () => {
    const { cli } = await backend(b);
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": CI,
      ".github/workflows/other.yml":
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: exit 1\n",
    });
    const first = cli(["run", "-W", ".github/workflows/ci.yml"], repo);
    expect(first.code, first.stderr).toBe(0);
    // Node's ExperimentalWarning for SQLite is not Slipway's output.
    expect(first.stderr).toBe("");
    expect(cli(["run", "-W", ".github/workflows/other.yml", "--ref", "feature"], repo).code).toBe(1);
    const list = cli(["history"], repo);
    expect(list).toMatchObject({ code: 0, stderr: "" });
    const rows = list.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^RUN\s+RESULT\s+DURATION\s+COMMIT\s+EVENT\s+BRANCH/);
    expect(rows[1]).toMatch(/^2\s+failure\s+\S+ m?s\s+[0-9a-f]{7}\s+push\s+feature\s.*other\.yml$/);
    expect(rows[2]).toMatch(/^1\s+success\s+.*\bmain\s.*ci\.yml$/);
    const json = (args: string[]) => JSON.parse(cli(["history", ...args, "--json"], repo).stdout);
    expect(json([]).map((r: RunJson) => r.number)).toEqual([2, 1]);
    expect(json(["--branch", "main"]).map((r: RunJson) => r.number)).toEqual([1]);
    expect(json(["--branch", "refs/heads/feature"]).map((r: RunJson) => r.number)).toEqual([2]);
    expect(json(["--workflow", "ci.yml"]).map((r: RunJson) => r.number)).toEqual([1]);
    expect(json(["--workflow", ".github/workflows/other.yml"]).map((r: RunJson) => r.number)).toEqual([2]);
    // ... or by its name (the CI file's workflow is named 'ci').
    expect(json(["--workflow", "ci"]).map((r: RunJson) => r.number)).toEqual([1]);
    expect(json(["--limit", "1"]).map((r: RunJson) => r.number)).toEqual([2]);

    const one = json(["1"]) as RunJson;
    expect(one).toMatchObject({ number: 1, result: "success", event: "push", ref: "refs/heads/main" });
    expect(one.durationMs).toBeGreaterThan(0);
    expect(one.jobs.map((j) => [j.key, j.leg, j.result])).toEqual([
      ["build", null, "success"],
      ["after", null, "success"],
      ["build.1", 1, "success"],
      ["build.2", 2, "success"],
    ]);
    const leg = one.jobs[2]!;
    expect(leg.steps.map((s) => s.conclusion)).toEqual(["success", "success"]);
    expect(leg.steps[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(leg.annotations).toMatchObject([{ level: "warning", message: "careful" }]);

    const text = cli(["history", "1"], repo);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Run 1: success in /);
    expect(text.stdout).toMatch(
      /\nbuild {2}success .*\n {2}build \(1\) {2}success .*\n {4}1\. Run echo hello/,
    );
    expect(text.stdout).toContain("    warning: a.txt:3: careful");
    expect(cli(["history", "latest", "--json"], repo).stdout).toContain('"number": 2');

    const missing = cli(["history", "9"], repo);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no run 9 in the history (the latest is 2)");
    expect(cli(["history", "--limit", "0"], repo).code).toBe(2);
  });

  test("kill -9 mid-run: the database stays consistent, and the run shows as interrupted with its jobs and steps so far", async () => {
    const { url, env, cli } = await backend(b);
    const repo = tempRepo(undefined, {
      ".github/workflows/slow.yml": `on: push
jobs:
  quick:
    runs-on: ubuntu-latest
    steps:
      - run: echo quick
  slow:
    needs: quick
    runs-on: ubuntu-latest
    steps:
      - run: echo before
      - run: sleep 30
`,
    });
    const child = spawn(process.execPath, [BIN, "run", "--no-sandbox"], {
      cwd: repo,
      detached: true,
      stdio: "ignore",
      env: { ...process.env, CI: "true", ...env },
    });
    const db = join(repo, ".slipway", "slipway.db");
    // Until the sleep step's start is in the database (written in batches of 50 ms).
    const deadline = Date.now() + 20_000;
    for (;;) {
      let n = 0;
      try {
        const d = await openHistory(repo, false, url);
        n =
          (await d?.get<{ n: number }>("SELECT count(*) AS n FROM steps WHERE name = 'Run sleep 30'"))?.n ??
          0;
        await d?.close();
      } catch {
        // Made but not yet migrated (the run migrates it).
      }
      if (n > 0) break;
      if (Date.now() > deadline) throw new Error("the sleep step never started");
      await sleep(50);
    }
    process.kill(-child.pid!, "SIGKILL");
    await new Promise((r) => child.once("exit", r));

    if (!url) {
      const check = new DatabaseSync(db);
      expect(check.prepare("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
      check.close();
    }
    const list = JSON.parse(cli(["history", "--json"], repo).stdout) as RunJson[];
    expect(list).toMatchObject([{ number: 1, result: "cancelled", interrupted: "lost" }]);
    const run = JSON.parse(cli(["history", "1", "--json"], repo).stdout) as RunJson;
    expect(run.jobs.map((j) => [j.key, j.result])).toEqual([
      ["quick", "success"],
      ["slow", null],
    ]);
    expect(run.jobs[1]!.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["Run echo before", "success"],
      ["Run sleep 30", null],
    ]);
    expect(cli(["history"], repo).stdout).toMatch(/\n1\s+interrupted\s/);
    expect(cli(["history", "1"], repo).stdout).toMatch(/slow {2}interrupted/);
    // The log index still points into the run folder's files.
    expect(readFileSync(join(repo, ".slipway", "runs", "1", "logs", "quick.log"), "utf8")).toContain("quick");
  }, 40_000);

  test("two runs at once in one repository are both recorded", async () => {
    const { cli, cliAsync } = await backend(b);
    const jobs = Array.from(
      { length: 8 },
      (_, i) => `  j${i}:\n    runs-on: ubuntu-latest\n    steps:\n${"      - run: echo step\n".repeat(5)}`,
    );
    const repo = tempRepo(undefined, { ".github/workflows/ci.yml": `on: push\njobs:\n${jobs.join("")}` });
    // --no-reuse: both runs must run every job; with reuse on, the slower run would rightly reuse
    // jobs the faster one had finished, and record no steps for them.
    const both = ["run", "--no-reuse"];
    const [one, two] = await Promise.all([cliAsync(both, repo), cliAsync(both, repo)]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(one.stderr + two.stderr).toBe("");
    const list = JSON.parse(cli(["history", "--json"], repo).stdout) as RunJson[];
    expect(list.map((r) => r.number).sort()).toEqual([1, 2]);
    for (const r of list) {
      expect(r.result).toBe("success");
      const detail = JSON.parse(cli(["history", String(r.number), "--json"], repo).stdout) as RunJson;
      expect(detail.jobs).toHaveLength(8);
      expect(detail.jobs.flatMap((j) => j.steps)).toHaveLength(40);
    }
  }, 60_000);

  test("stats: durations, failure rates and slowest steps from the history; none yet says so", async () => {
    const { cli } = await backend(b);
    const repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI });
    expect(cli(["stats"], repo).stdout).toMatch(/^No runs recorded yet/);
    for (let i = 0; i < 2; i++) expect(cli(["run"], repo).code).toBe(0);
    const r = cli(["stats"], repo);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^The last 2 finished runs \(1 to 2\)/);
    expect(r.stdout).toMatch(/\nWORKFLOW\s+RUNS\s+P50\s+P90\s+TREND\s+FAILED\nci\s+2\s/);
    expect(r.stdout).toMatch(/\nci build \(1\)\s+2\s.*\s0%\s+-\n/);
    expect(r.stdout).toMatch(/\nSLOWEST STEP\s/);
    const json = JSON.parse(cli(["stats", "--json", "--last", "1"], repo).stdout) as { runs: number[] };
    expect(json.runs).toEqual([2]);
  });

  test("a run's event payload (masked), where each job ran, step summaries, artifacts and caches are recorded and shown", async () => {
    const { cli } = await backend(b);
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p out && echo hi > out/a.txt && echo there > out/b.txt
      - uses: actions/upload-artifact@v4
        with: { name: dist, path: out }
      - uses: actions/cache@v4
        with: { path: out, key: "k-\${{ github.event.n }}", restore-keys: k- }
      - run: echo "# Built it" >> "$GITHUB_STEP_SUMMARY"
`,
      "one.json": JSON.stringify({ n: "1", note: "s3cr3t-value" }),
      "two.json": JSON.stringify({ n: "2" }),
    });
    // --no-reuse: the second run repeats the first on purpose (its cache is restored).
    const run = (event: string) =>
      expect(
        cli(["run", "--no-reuse", "--no-sandbox", "-e", event, "-s", "TOKEN=s3cr3t-value"], repo).code,
      ).toBe(0);
    run("one.json");
    run("one.json");
    run("two.json");
    interface Detail {
      branch: string;
      payload: { n: string; note?: string };
      jobs: {
        runner: { executor: string; name: string; labels?: string[] };
        summaries: { step: number; markdown: string }[];
        artifacts: { name: string; files: number; size: number; path: string }[];
        caches: {
          action: string;
          key: string;
          hit: boolean;
          matchedKey: string | null;
          size: number | null;
        }[];
      }[];
    }
    const detail = (n: number) => JSON.parse(cli(["history", String(n), "--json"], repo).stdout) as Detail;
    const first = detail(1);
    expect(first.branch).toBe("main");
    expect(first.payload).toMatchObject({ n: "1", note: "***" });
    const job = first.jobs[0]!;
    expect(job.runner).toEqual({ executor: "host", name: hostname(), labels: ["ubuntu-latest"] });
    expect(job.summaries).toEqual([{ step: 3, markdown: "# Built it\n" }]);
    expect(job.artifacts).toEqual([
      { name: "dist", files: 2, size: 9, path: "artifacts/dist", createdAt: expect.any(Number) },
    ]);
    expect(job.caches).toEqual([
      { action: "restore", key: "k-1", hit: false, matchedKey: null, size: null, at: expect.any(Number) },
      {
        action: "save",
        key: "k-1",
        hit: false,
        matchedKey: null,
        size: expect.any(Number),
        at: expect.any(Number),
      },
    ]);
    expect(detail(2).jobs[0]!.caches).toMatchObject([
      { action: "restore", key: "k-1", hit: true, matchedKey: "k-1" },
    ]);
    expect(detail(3).jobs[0]!.caches).toMatchObject([
      { action: "restore", key: "k-2", hit: false, matchedKey: "k-1" },
      { action: "save", key: "k-2" },
    ]);
    const text = cli(["history", "1"], repo).stdout;
    expect(text).toContain(`\n  runner: host on ${hostname()}\n`);
    expect(text).toContain("\n  summary of step 4: # Built it\n");
    expect(text).toContain("\n  artifact 'dist': 2 file(s), 9 B (.slipway/runs/1/artifacts/dist)\n");
    expect(text).toMatch(/\n {2}cache 'k-1': miss\n {2}cache 'k-1': saved, \d+ B\n/);
    expect(cli(["history", "2"], repo).stdout).toMatch(/\n {2}cache 'k-1': hit, \d+ B\n/);
    expect(cli(["history", "3"], repo).stdout).toMatch(/\n {2}cache 'k-2': restored from 'k-1', \d+ B\n/);
    expect(JSON.stringify(detail(1))).not.toContain("s3cr3t");
  });

  test("deployments: each approval request and its decision are recorded with who decided", async () => {
    const { cli } = await backend(b);
    const repo = tempRepo(undefined, {
      ".github/workflows/cd.yml": `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo deployed
`,
    });
    expect(cli(["run", "--approve", "production"], repo).code).toBe(0);
    // Not approved (no --approve, no terminal): the job is skipped, and a run of skipped jobs failed nothing.
    const skipped = cli(["run", "--json"], repo);
    expect(skipped.stdout).toContain("deploys to environment 'production'");
    expect(JSON.parse(skipped.stdout).result).toBe("skipped");
    expect(skipped.code).toBe(0);
    const approvals = (n: number) =>
      (
        JSON.parse(cli(["history", String(n), "--json"], repo).stdout) as {
          jobs: {
            key: string;
            approvals: { environment: string; approved: boolean; by: string; decidedAt: number }[];
          }[];
        }
      ).jobs.find((j) => j.key === "deploy")?.approvals;
    expect(approvals(1)).toMatchObject([{ environment: "production", approved: true, by: "--approve" }]);
    expect(approvals(2)).toMatchObject([{ environment: "production", approved: false }]);
    expect(approvals(1)![0]!.decidedAt).toBeGreaterThan(0);
    expect(cli(["history", "1"], repo).stdout).toContain("environment 'production': approved by --approve");
  });
});

test("SLIPWAY_HISTORY=0 records nothing; a broken database is warned about once and the run goes on", () => {
  const repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI });
  const off = slipway(["run"], repo, { SLIPWAY_HISTORY: "0" });
  expect(off.code, off.stderr).toBe(0);
  expect(existsSync(join(repo, ".slipway", "slipway.db"))).toBe(false);
  // A folder where the database should be: nothing SQLite can open.
  mkdirSync(join(repo, ".slipway", "slipway.db"));
  const r = slipway(["run"], repo);
  expect(r.code).toBe(0);
  expect(r.stderr.trim().split("\n")).toEqual([
    expect.stringMatching(/^slipway: run history not recorded: /),
  ]);
  expect(r.stdout).toMatch(/Run success/);
  rmSync(join(repo, ".slipway", "slipway.db"), { recursive: true });
  // A file that is no database: history says so, exit 74, no stack trace.
  writeFileSync(join(repo, ".slipway", "slipway.db"), "x".repeat(4096));
  const bad = slipway(["history"], repo);
  expect(bad.code).toBe(74);
  expect(bad.stderr).toMatch(/^slipway history: .*slipway\.db: file is not a database\n$/);
});

// As a run folder that cannot be written: the run goes on, the result is printed, exit 74.
test.skipIf(process.getuid?.() !== 0)(
  "a full disk under the database: the run ends, says what was not saved, exit 74; the database stays whole",
  () => {
    const steps = "      - run: true\n".repeat(300);
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: push\njobs:\n  many:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`,
    });
    const store = join(repo, ".slipway");
    mkdirSync(store);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", store]);
    } catch {
      return; // no tmpfs here: nothing to test against
    }
    try {
      // The database exists, then the disk is filled but for room enough for the run folder.
      expect(slipway(["run", "--job", "many", "--env", "X=1"], repo, { SLIPWAY_HISTORY: "1" }).code).toBe(0);
      const fill = join(store, "fill");
      spawnSync("dd", ["if=/dev/zero", `of=${fill}`, "bs=4k"]);
      truncateSync(fill, statSync(fill).size - 400 * 1024);
      const r = slipway(["run", "--no-sandbox"], repo);
      expect(r.stderr).toMatch(/could not save the run: .*slipway\.db: database or disk is full/);
      expect(r.code).toBe(74);
      expect(r.stdout).toMatch(/many +✓ success/);
      rmSync(fill);
      const check = new DatabaseSync(join(store, "slipway.db"));
      expect(check.prepare("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
      check.close();
      expect(slipway(["history"], repo).code).toBe(0);
    } finally {
      execFileSync("umount", [store]);
    }
  },
  60_000,
);

test("a PostgreSQL server that cannot be reached: history and stats say so in one line, exit 74; a run warns once and goes on", () => {
  const repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI });
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const url = "postgres://slipway:s3cret@127.0.0.1:1/history";
  for (const args of [["history"], ["stats"], ["history", "1", "--json"]]) {
    const r = slipway([...args, "--db", url], repo);
    expect(r.code).toBe(74);
    expect(r.stderr).toBe(
      `slipway ${args[0]}: postgres://slipway:***@127.0.0.1:1/history: connect ECONNREFUSED 127.0.0.1:1\n`,
    );
    expect(r.stdout).toBe("");
  }
  // The same through the environment.
  expect(slipway(["history"], repo, { SLIPWAY_DATABASE_URL: url }).code).toBe(74);
  const run = slipway(["run"], repo, { SLIPWAY_DATABASE_URL: url });
  expect(run.code).toBe(0);
  expect(run.stderr).toBe("slipway: run history not recorded: connect ECONNREFUSED 127.0.0.1:1\n");
  expect(run.stdout).toMatch(/Run success/);
  // Not a PostgreSQL URL: a usage error before anything runs.
  for (const cmd of ["run", "history", "stats"]) {
    const bad = slipway([cmd, "--db", "mysql://x"], repo);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--db: expected a postgres:\/\/ or postgresql:\/\/ URL, got 'mysql:\/\/x'/);
  }
  expect(slipway(["history"], repo, { SLIPWAY_DATABASE_URL: "nope" }).stderr).toMatch(
    /SLIPWAY_DATABASE_URL: expected a postgres/,
  );
});
