import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

// A re-run is a new attempt of its run, as on GitHub: the real CLI on a real git repository.
// github.run_id and run_number stay the first attempt's, github.run_attempt goes up; every
// attempt keeps its own Slipway run number and folder.

interface Job {
  job: string;
  result: string;
  reason?: string;
  outputs: Record<string, string>;
}
interface Run {
  run: number;
  runId: string;
  attempt?: number;
  attemptOf?: number;
  result: string;
  folder: string;
  jobs: Job[];
}

const IDS = `name: ci
on: push
jobs:
  ids:
    runs-on: ubuntu-latest
    outputs:
      expr: \${{ steps.s.outputs.expr }}
      env: \${{ steps.s.outputs.env }}
    steps:
      - id: s
        run: |
          echo "expr=\${{ github.run_number }}/\${{ github.run_id }}/\${{ github.run_attempt }}" >> "$GITHUB_OUTPUT"
          echo "env=$GITHUB_RUN_NUMBER/$GITHUB_RUN_ID/$GITHUB_RUN_ATTEMPT" >> "$GITHUB_OUTPUT"
`;

function run(repo: string, args: string[] = []): Run {
  const r = slipway(["run", "push", "--json", ...args], repo, { SLIPWAY_DATABASE_URL: "" });
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  return JSON.parse(r.stdout) as Run;
}

test("--rerun-of N: github.run_number and run_id stay the first attempt's, run_attempt goes up", () => {
  const repo = tempRepo(undefined, { ".gitignore": ".slipway/\n", ".github/workflows/ci.yml": IDS });
  const ids = (r: Run) => r.jobs.find((j) => j.job === "ids")!.outputs;
  const first = run(repo);
  expect(first.result).toBe("success");
  expect(first.attempt).toBeUndefined();
  const runId = ids(first).expr!.split("/")[1]!;
  expect(ids(first)).toEqual({ expr: `1/${runId}/1`, env: `1/${runId}/1` });

  const second = run(repo, ["--rerun-of", "1"]);
  expect(second.result).toBe("success");
  // Its own run number and folder here (run 1's logs are kept), the run's identity on GitHub.
  expect([second.run, second.attempt, second.attemptOf]).toEqual([2, 2, 1]);
  expect(second.folder).toMatch(/runs[/\\]2$/);
  expect(ids(second)).toEqual({ expr: `1/${runId}/2`, env: `1/${runId}/2` });

  // A re-run of the re-run: attempt 3 of run 1.
  const third = run(repo, ["--rerun-of", "2"]);
  expect([third.run, third.attempt, third.attemptOf]).toEqual([3, 3, 1]);
  expect(ids(third)).toEqual({ expr: `1/${runId}/3`, env: `1/${runId}/3` });

  // A saved plan run again can be a new attempt too.
  const planned = JSON.parse(
    slipway(["run", "--json", "--plan", join(first.folder, "plan.json"), "--rerun-of", "3"], repo, {
      SLIPWAY_DATABASE_URL: "",
    }).stdout,
  ) as Run;
  expect([planned.run, planned.attempt, planned.attemptOf]).toEqual([4, 4, 1]);
  expect(ids(planned)).toEqual({ expr: `1/${runId}/4`, env: `1/${runId}/4` });

  // The history says which attempt each run is.
  const one = JSON.parse(slipway(["history", "3", "--json"], repo, { SLIPWAY_DATABASE_URL: "" }).stdout);
  expect([one.attempt, one.attemptOf]).toEqual([3, 1]);
  const detail = slipway(["history", "2"], repo, { SLIPWAY_DATABASE_URL: "" }).stdout;
  expect(detail).toMatch(/attempt 2 of run #1/);
  const list = slipway(["history"], repo, { SLIPWAY_DATABASE_URL: "" }).stdout;
  expect(list).toMatch(/3 \(#1, attempt 3\)/);
  // Every attempt's logs are kept.
  for (const n of ["1", "2", "3"])
    expect(slipway(["logs", n, "ids"], repo, { SLIPWAY_DATABASE_URL: "" }).code).toBe(0);
});

test("--rerun-of: a run that is not in the history, or not a number, is a usage error", () => {
  const repo = tempRepo(undefined, { ".gitignore": ".slipway/\n", ".github/workflows/ci.yml": IDS });
  run(repo);
  const none = slipway(["run", "push", "--rerun-of", "9"], repo, { SLIPWAY_DATABASE_URL: "" });
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/--rerun-of 9: no run 9 in the run history/);
  expect(none.stderr).not.toMatch(/at .*\.js:\d+/);
  const keep = slipway(["run", "push", "--keep-succeeded-of", "9"], repo, { SLIPWAY_DATABASE_URL: "" });
  expect(keep.code).toBe(2);
  expect(keep.stderr).toMatch(/--keep-succeeded-of 9: no run 9 in the run history/);
  const bad = slipway(["run", "push", "--rerun-of", "x"], repo, { SLIPWAY_DATABASE_URL: "" });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--rerun-of: expected a run number, got 'x'/);
  const both = slipway(["run", "push", "--rerun-of", "1", "--keep-succeeded-of", "2"], repo, {
    SLIPWAY_DATABASE_URL: "",
  });
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/name different runs/);
  const off = slipway(["run", "push", "--rerun-of", "1"], repo, {
    SLIPWAY_DATABASE_URL: "",
    SLIPWAY_HISTORY: "0",
  });
  expect(off.code).toBe(2);
  expect(off.stderr).toMatch(/the run history is off/);
  // Nothing ran for them: run 1 is still the only one.
  expect(run(repo).run).toBe(2);
});

test("--keep-succeeded-of N keeps a succeeded deployment that versions by github.run_number", () => {
  const healthy = join(mkdtempSync(join(tmpdir(), "slipway-health-")), "healthy");
  const repo = tempRepo(undefined, {
    ".gitignore": ".slipway/\n",
    ".github/workflows/ci.yml": `name: ci
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: prod
    steps:
      - run: echo "deploying 1.0.\${{ github.run_number }}"
  check:
    needs: deploy
    runs-on: ubuntu-latest
    steps: [{ run: test -f ${healthy} }]
`,
  });
  const logs = (n: string) => {
    const r = slipway(["logs", n, "deploy"], repo, { SLIPWAY_DATABASE_URL: "" });
    return r.stdout + r.stderr;
  };
  const first = run(repo, ["--approve", "prod"]);
  expect(first.result).toBe("failure");
  expect(logs("1")).toMatch(/deploying 1\.0\.1/);
  writeFileSync(healthy, "");
  const again = run(repo, ["--approve", "prod", "--keep-succeeded-of", "1"]);
  expect(again.result).toBe("success");
  expect([again.attempt, again.attemptOf]).toEqual([2, 1]);
  // Deployed once: kept from run 1, not run again.
  const deploy = again.jobs.find((j) => j.job === "deploy")!;
  expect(deploy.reason).toMatch(/^reused \(run 1, /);
  expect(logs("2")).not.toMatch(/deploying/);
});
