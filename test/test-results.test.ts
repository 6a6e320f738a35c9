import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

/**
 * The three test-report actions on a real pytest run: the fixture's test_flaky fails when the
 * run sets FLAKY=fail, so one commit both fails and passes it; STRICT=yes turns on each
 * action's own "fail the step" input.
 */
const FIX = join(ROOT, "test/fixtures/test-results");

interface RunOut {
  run: number;
  result: string;
  jobs: { job: string; result: string; tests?: { passed: number; failed: number; skipped: number } }[];
}

const sqliteOnly = { SLIPWAY_DATABASE_URL: "" };

function run(repo: string, args: string[], env: Record<string, string> = {}) {
  const r = slipway(["run", "push", "--json", ...args], repo, env);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
  const out = JSON.parse(r.stdout) as RunOut;
  return { out, jobs: Object.fromEntries(out.jobs.map((j) => [j.job, j.result])) };
}

const logs = (repo: string, n: number, job: string) =>
  slipway(["logs", String(n), job], repo, sqliteOnly).stdout;

describe.each(backends())("$name", (b) => {
  test("test reports: each action fails its step only when told to; cases in history; a flaky test in stats", async () => {
    const { url } = await b.fresh();
    // The history in PostgreSQL when the tests have a server; the run folder and logs stay in the repository.
    const env = { SLIPWAY_DATABASE_URL: url ?? "" };
    const repo = tempRepo(FIX);
    const cli = (args: string[]) => slipway(args, repo, env);
    const logs = (n: number, job: string) => cli(["logs", String(n), job]).stdout;

    // 1: the flaky test fails and every action is told to fail on it.
    const strict = run(repo, ["--env", "FLAKY=fail", "--var", "STRICT=yes"], env);
    expect(strict.jobs).toEqual({
      mikepenz: "failure",
      dorny: "failure",
      enricomi: "failure",
      empty: "failure",
    });
    // --json: tests per job that read reports.
    expect(Object.fromEntries(strict.out.jobs.map((j) => [j.job, j.tests]))).toEqual({
      mikepenz: { passed: 1, failed: 1, skipped: 1 },
      dorny: { passed: 1, failed: 1, skipped: 1 },
      enricomi: { passed: 1, failed: 1, skipped: 1 },
      empty: undefined,
    });
    const m1 = logs(1, "mikepenz");
    expect(m1).toContain("built-in mikepenz/action-junit-report@v5 (no download)");
    expect(m1).toContain(
      "comment: no effect offline (check runs and pull request comments are GitHub API features)",
    );
    expect(m1).toContain("pytest (mikepenz): 3 test(s), 1 passed, 1 failed, 1 skipped, from 1 file(s)");
    // The failed test is an error annotation at the failing line.
    expect(m1).toContain("##[error] tests/test_math.py:12: AssertionError: the flaky test failed this time");
    expect(m1).toContain("1 of 3 test(s) failed in pytest (mikepenz) (fail_on_failure)");
    expect(logs(1, "dorny")).toContain("Failed tests were found and 'fail-on-error' option is set to true");
    expect(logs(1, "enricomi")).toContain("(action_fail, fail_on: test failures)");
    expect(logs(1, "empty")).toContain("No test results found for JUnit Test Report");

    // 2: the same failure, the actions not told to fail: green.
    const lenient = run(repo, ["--env", "FLAKY=fail"], env);
    expect(lenient.jobs).toEqual({
      mikepenz: "success",
      dorny: "success",
      enricomi: "success",
      empty: "failure",
    });
    // The json output (its quotes eaten by the shell that echoes it).
    expect(logs(2, "enricomi")).toMatch(
      /json=\{title:1 fail, 1 skipped, 1 pass in \d+s,conclusion:failure,stats:\{files:1,tests:3,/,
    );

    // 3: the flaky test passes on the same commit; the console shows tests per job.
    const plain = cli(["run", "push", "--var", "STRICT=yes"]);
    expect(plain.stdout).toMatch(/mikepenz\s+✓ success\s+2 passed, 1 skipped\s+\S+/);
    expect(plain.stdout).toMatch(/JOB\s+RESULT\s+TESTS\s+TIME/);

    const h1 = cli(["history", "1"]).stdout;
    expect(h1).toContain("tests 'pytest (mikepenz)': 3 (1 passed, 1 failed, 1 skipped)");
    expect(h1).toContain(
      "failed pytest › tests.test_math.test_flaky at tests/test_math.py:12: AssertionError: the flaky test failed this time",
    );
    expect(h1).toContain("tests 'pytest (dorny)': 3 (1 passed, 1 failed, 1 skipped)");
    const h3 = JSON.parse(cli(["history", "3", "--json"]).stdout) as {
      jobs: {
        key: string;
        tests: { name: string; outcome: string; file: string | null; line: number | null }[];
      }[];
    };
    const mikepenz = h3.jobs.find((j) => j.key === "mikepenz")!;
    expect(mikepenz.tests.map((t) => [t.name, t.outcome, t.file, t.line])).toEqual([
      ["tests.test_math.test_adds", "passed", "tests/test_math.py", 6],
      ["tests.test_math.test_flaky", "passed", "tests/test_math.py", 10],
      ["tests.test_math.test_skipped", "skipped", "tests/test_math.py", 15],
    ]);

    const stats = cli(["stats"]).stdout;
    expect(stats).toMatch(/FLAKY TEST\s+FAILED\s+PASSED\s+ON/);
    expect(stats).toMatch(/pytest › tests\.test_math\.test_flaky\s+6\s+3\s+[0-9a-f]{7}/);
    expect(stats).toContain("SLOWEST TEST");
    const json = JSON.parse(cli(["stats", "--json"]).stdout) as {
      flakyTests: { name: string; failed: number; passed: number }[];
    };
    expect(json.flakyTests).toEqual([
      expect.objectContaining({ name: "tests.test_math.test_flaky", failed: 6, passed: 3 }),
    ]);
  }, 120_000);
});

test("test reports: bad input is a clear step error; a report that is not XML is a warning unless told to fail", () => {
  // The vitest source the report names (kept out of the fixture, where vitest would collect it).
  const repo = tempRepo(join(ROOT, "test/fixtures/test-results-edge"), {
    "web/sample.test.ts": readFileSync(join(ROOT, "test/fixtures/junit/vitest-source.ts.txt"), "utf8"),
  });
  const { jobs } = run(repo, [], sqliteOnly);
  expect(jobs).toEqual({
    "parse-warn": "success",
    "parse-fail": "failure",
    placed: "success",
    "bad-reporter": "failure",
    "no-name": "failure",
    "none-found": "success",
    "bad-fail-on": "failure",
    "dorny-empty": "failure",
  });
  const warn = logs(repo, 1, "parse-warn");
  expect(warn).toMatch(/##\[warning\] reports\/broken\.xml:3:\d+: not valid XML/);
  expect(warn).toContain("reports/vitest.xml: 4 test case(s)");
  expect(logs(repo, 1, "parse-fail")).toMatch(/##\[error\] .*reports\/broken\.xml:3:\d+: not valid XML/);
  // vitest names the file relative to its root (the report's folder): placed in the workspace.
  expect(logs(repo, 1, "placed")).toContain(
    "##[error] web/sample.test.ts:8: expected 4 to be 5 // Object.is equality",
  );
  expect(logs(repo, 1, "bad-reporter")).toContain(
    "reporter 'dotnet-trx' is not supported by the built-in dorny/test-reporter (it reads JUnit XML: java-junit, jest-junit, python-xunit, swift-xunit)",
  );
  expect(logs(repo, 1, "no-name")).toContain("Input required and not supplied: name");
  expect(logs(repo, 1, "dorny-empty")).toContain("No test results found in 1 report file(s)");
  expect(logs(repo, 1, "none-found")).toContain("Could not find any files for nowhere/**/*.xml");
  expect(logs(repo, 1, "bad-fail-on")).toContain(
    "fail_on must be 'nothing', 'errors' or 'test failures', got 'sometimes'",
  );
}, 60_000);
