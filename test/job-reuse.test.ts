import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

// Job reuse end to end: the real CLI on a real git repository, run after run.

const CI = `name: ci
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    outputs:
      v: \${{ steps.s.outputs.v }}
    steps:
      - id: s
        run: echo "v=from-a-$RANDOM" >> "$GITHUB_OUTPUT"
      - run: mkdir out && echo built > out/a.txt
      - uses: actions/upload-artifact@v4
        with: { name: a-out, path: out }
  b:
    needs: a
    runs-on: ubuntu-latest
    outputs:
      got: \${{ steps.g.outputs.got }}
    steps:
      - id: g
        run: echo "got=\${{ needs.a.outputs.v }}" >> "$GITHUB_OUTPUT"
      - run: echo "### b ran" >> "$GITHUB_STEP_SUMMARY"
  c:
    needs: a
    runs-on: ubuntu-latest
    env:
      TOKEN: \${{ secrets.DOCS_TOKEN }}
    steps:
      - run: cat docs/readme.md
`;

const SETTINGS = `jobs:
  ci.yml/a: { inputs: ["src/**"] }
  ci.yml/b: { inputs: ["src/**"] }
  ci.yml/c: { inputs: ["docs/**"] }
`;

interface Job {
  job: string;
  result: string;
  reason?: string;
  outputs: Record<string, string>;
}
interface Run {
  run: number;
  result: string;
  folder: string;
  jobs: Job[];
}

function run(repo: string, args: string[] = [], env: Record<string, string> = {}): Run {
  const r = slipway(["run", "push", "--json", "--secret", "DOCS_TOKEN=one", ...args], repo, {
    SLIPWAY_DATABASE_URL: "",
    ...env,
  });
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  return JSON.parse(r.stdout) as Run;
}

const reused = (r: Run) =>
  r.jobs
    .filter((j) => /^reused \(run \d+, \d+ s ago\)$/.test(j.reason ?? ""))
    .map((j) => j.job)
    .sort();
const byKey = (r: Run, k: string) => r.jobs.find((j) => j.job === k)!;

function commit(repo: string, path: string, text: string): void {
  writeFileSync(join(repo, path), text);
  execFileSync("git", ["add", path], { cwd: repo });
  execFileSync("git", ["commit", "-q", "-m", `change ${path}`], { cwd: repo });
}

function repo3(): string {
  return tempRepo(undefined, {
    ".github/workflows/ci.yml": CI,
    ".github/slipway.yml": SETTINGS,
    ".gitignore": ".slipway/\n",
    "src/main.txt": "main\n",
    "docs/readme.md": "docs\n",
  });
}

test("job reuse: unchanged inputs reuse every job; a docs change re-runs only the job that reads docs/", () => {
  const repo = repo3();
  const first = run(repo);
  expect(first.result).toBe("success");
  expect(reused(first)).toEqual([]);
  const v = byKey(first, "a").outputs.v!;
  expect(v).toMatch(/^from-a-\d+$/);

  const second = run(repo);
  expect(second.result).toBe("success");
  expect(reused(second)).toEqual(["a", "b", "c"]);
  expect(byKey(second, "a").reason).toMatch(/^reused \(run 1, /);
  // a's outputs are restored: the same random value as in run 1, and b had them.
  expect(byKey(second, "a").outputs.v).toBe(v);
  expect(byKey(second, "b").outputs.got).toBe(v);
  // Its artifact is copied into this run's folder; b's step summary is restored.
  expect(readFileSync(join(second.folder, "artifacts", "a-out", "a.txt"), "utf8")).toBe("built\n");
  const log = slipway(["logs", "2", "b"], repo, { SLIPWAY_DATABASE_URL: "" });
  expect(log.stdout + log.stderr).toMatch(/reused \(run 1/);

  commit(repo, "docs/readme.md", "new docs\n");
  const third = run(repo);
  expect(reused(third)).toEqual(["a", "b"]);
  expect(byKey(third, "c").result).toBe("success");

  // A change outside every job's inputs reuses them all.
  commit(repo, "other.txt", "x\n");
  expect(reused(run(repo))).toEqual(["a", "b", "c"]);

  // A source change re-runs a, so b and c (whose needs' outputs changed) run too.
  commit(repo, "src/main.txt", "changed\n");
  expect(reused(run(repo))).toEqual([]);
});

test("job reuse: a secret's new value re-runs the jobs that read it; --no-reuse and SLIPWAY_REUSE=0 run all", () => {
  const repo = repo3();
  run(repo);
  const changed = run(repo, ["--secret", "DOCS_TOKEN=two"]);
  expect(reused(changed)).toEqual(["a", "b"]);
  expect(reused(run(repo, ["--no-reuse"]))).toEqual([]);
  expect(reused(run(repo, [], { SLIPWAY_REUSE: "0" }))).toEqual([]);
  // The secret's value is nowhere in the history or the run folders; only keyed hashes.
  const db = readFileSync(join(repo, ".slipway", "slipway.db"));
  expect(db.includes("two")).toBe(false);
  expect(readFileSync(join(repo, ".slipway", "reuse-key"), "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
});

test("job reuse: environment, publishing, reuse: false and failed jobs are never reused; nor without history", () => {
  const repo = tempRepo(undefined, {
    ".gitignore": ".slipway/\n",
    ".github/slipway.yml": "jobs:\n  ci.yml/opted-out: { reuse: false }\n",
    ".github/workflows/ci.yml": `name: ci
on: push
jobs:
  plain:
    runs-on: ubuntu-latest
    steps: [{ run: echo plain }]
  deploy:
    runs-on: ubuntu-latest
    environment: prod
    steps: [{ run: echo deploying }]
  publish:
    runs-on: ubuntu-latest
    steps: [{ run: echo npm publish --access public }]
  opted-out:
    runs-on: ubuntu-latest
    steps: [{ run: echo opted out }]
  broken:
    runs-on: ubuntu-latest
    steps: [{ run: exit 1 }]
`,
  });
  const first = run(repo, ["--approve", "prod"]);
  expect(first.result).toBe("failure");
  const second = run(repo, ["--approve", "prod"]);
  expect(reused(second)).toEqual(["plain"]);
  expect(byKey(second, "broken").result).toBe("failure");
  expect(byKey(second, "deploy").result).toBe("success");
  const off = slipway(["run", "push", "--json", "--approve", "prod"], repo, {
    SLIPWAY_HISTORY: "0",
    SLIPWAY_DATABASE_URL: "",
  });
  expect(reused(JSON.parse(off.stdout) as Run)).toEqual([]);
});

test("--keep-succeeded-of N: re-running run N's failed jobs keeps its deployment and publishing", () => {
  const healthy = join(mkdtempSync(join(tmpdir(), "slipway-health-")), "healthy");
  const repo = tempRepo(undefined, {
    ".gitignore": ".slipway/\n",
    ".github/workflows/ci.yml": `name: ci
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: prod
    steps: [{ run: echo deploying }]
  publish:
    runs-on: ubuntu-latest
    steps: [{ run: echo npm publish --access public }]
  health:
    needs: deploy
    runs-on: ubuntu-latest
    steps: [{ run: test -f ${healthy} }]
`,
  });
  const first = run(repo, ["--approve", "prod"]);
  expect(first.result).toBe("failure");
  writeFileSync(healthy, "");
  const again = run(repo, ["--approve", "prod", "--keep-succeeded-of", "1"]);
  expect(again.result).toBe("success");
  expect(reused(again)).toEqual(["deploy", "publish"]);
  expect(byKey(again, "deploy").reason).toMatch(/^reused \(run 1, /);
  expect(byKey(again, "health").result).toBe("success");
  // Naming run 1 again keeps them again (health is reused as any unchanged job is)…
  const other = run(repo, ["--approve", "prod", "--keep-succeeded-of", "1"]);
  expect(reused(other)).toEqual(["deploy", "health", "publish"]);
  // …and a plain run deploys again.
  expect(reused(run(repo, ["--approve", "prod"]))).toEqual(["health"]);
  const bad = slipway(["run", "push", "--keep-succeeded-of", "x"], repo, { SLIPWAY_DATABASE_URL: "" });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--keep-succeeded-of: expected a run number, got 'x'/);
});

test("job reuse: a bad .github/slipway.yml is a usage error at its line and column", () => {
  const repo = tempRepo(undefined, {
    ".github/workflows/ci.yml":
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo a }]\n",
    ".github/slipway.yml": "jobs:\n  ci.yml/a:\n    inputs: docs\n",
  });
  const r = slipway(["run", "push"], repo, { SLIPWAY_DATABASE_URL: "" });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(".github/slipway.yml:3:13: ci.yml/a: inputs must be a list of globs");
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  expect(existsSync(join(repo, ".slipway", "runs", "1"))).toBe(false);
});

test("plan --why-run: per job, reused or which part of its key changed", () => {
  const repo = repo3();
  const why = (secret = "one") => {
    const r = slipway(["plan", "push", "--why-run", "--secret", `DOCS_TOKEN=${secret}`], repo, {
      SLIPWAY_DATABASE_URL: "",
    });
    expect(r.stderr).toBe("");
    return r.stdout.slice(r.stdout.indexOf("Job reuse:"));
  };
  expect(why()).toBe("Job reuse: no job would be reused: no run is recorded yet\n");
  run(repo);
  expect(why()).toMatch(
    /^Job reuse:\n {2}a {2}reused \(run 1, \d+ s ago\)\n {2}b {2}reused \(run 1, .*\n {2}c {2}reused \(run 1, .*\n$/,
  );
  expect(why("two")).toMatch(/ {2}c {2}would run: changed since its last run: secrets\n/);
  commit(repo, "docs/readme.md", "new docs\n");
  expect(why()).toMatch(
    / {2}a {2}reused .*\n {2}b {2}reused .*\n {2}c {2}would run: changed since its last run: content\n/,
  );
  commit(repo, "src/main.txt", "changed\n");
  expect(why()).toMatch(
    / {2}a {2}would run: changed since its last run: content\n {2}b {2}would run: it needs a, which would run\n {2}c {2}would run: it needs a, which would run\n/,
  );
});

test("job reuse: the run's table says which jobs were reused and from which run", () => {
  const repo = repo3();
  expect(run(repo).result).toBe("success");
  const plain = slipway(["run", "push", "--secret", "DOCS_TOKEN=one"], repo, { SLIPWAY_DATABASE_URL: "" });
  expect(plain.code, plain.stderr).toBe(0);
  const row = plain.stdout.split("\n").find((l) => /^a\s/.test(l));
  expect(row).toMatch(/success.*\(reused \(run 1, \d+ s ago\)\)/);
  // No job ran: no executor was chosen (no sandbox probe), and the history says the jobs ran nowhere.
  expect(plain.stdout + plain.stderr).not.toContain("executor:");
  const history = JSON.parse(
    slipway(["history", "2", "--json"], repo, { SLIPWAY_DATABASE_URL: "" }).stdout,
  ) as {
    jobs: { runner: unknown }[];
  };
  expect(history.jobs.map((j) => j.runner)).toEqual([null, null, null]);
  // A job that runs makes the executor, said once before it starts.
  commit(repo, "docs/readme.md", "new docs\n");
  const third = slipway(["run", "push", "--secret", "DOCS_TOKEN=one"], repo, { SLIPWAY_DATABASE_URL: "" });
  expect(third.stdout.match(/^executor: /gm)).toHaveLength(1);
});

test("job reuse: a reused job's test results and coverage are restored into the report, --json and history", () => {
  const junit =
    '<testsuites><testsuite name="calc" tests="2"><testcase classname="calc" name="adds" time="0.01"/>' +
    '<testcase classname="calc" name="divides" time="0.02" file="calc.py" line="7"><skipped message="later"/></testcase>' +
    "</testsuite></testsuites>";
  const lcov = "SF:calc.py\\nDA:1,1\\nDA:2,0\\nDA:3,1\\nend_of_record\\n";
  const repo = tempRepo(undefined, {
    ".github/workflows/ci.yml": `name: ci
on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: |
          printf '%s' '${junit}' > report.xml
          printf '${lcov}' > lcov.info
      - uses: mikepenz/action-junit-report@v5
        with: { report_paths: report.xml }
      - uses: codecov/codecov-action@v5
        with: { files: lcov.info }
`,
    ".gitignore": ".slipway/\n",
    "calc.py": "a = 1\nb = 2\nc = 3\n",
  });
  const view = (r: Run & { jobs: (Job & { tests?: unknown; coverage?: unknown })[] }) => ({
    tests: r.jobs[0]!.tests,
    coverage: r.jobs[0]!.coverage,
  });
  const first = run(repo) as Parameters<typeof view>[0];
  expect(first.result).toBe("success");
  expect(view(first)).toEqual({
    tests: { passed: 1, failed: 0, skipped: 1 },
    coverage: { lines: 3, hit: 2, percent: expect.closeTo(66.67, 1) },
  });
  const second = run(repo) as Parameters<typeof view>[0];
  expect(reused(second)).toEqual(["t"]);
  expect(view(second)).toEqual(view(first));
  const history = JSON.parse(
    slipway(["history", "2", "--json"], repo, { SLIPWAY_DATABASE_URL: "" }).stdout,
  ) as {
    jobs: { coverage: { path: string; lines: number; hit: number }[]; tests?: unknown }[];
  };
  expect(history.jobs[0]!.coverage.map((c) => [c.path, c.lines, c.hit])).toEqual([["calc.py", 3, 2]]);
  const table = slipway(["history", "2"], repo, { SLIPWAY_DATABASE_URL: "" }).stdout;
  expect(table).toMatch(/tests?.*1 passed.*1 skipped|1 passed, 0 failed, 1 skipped/);
});
