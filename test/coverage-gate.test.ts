import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

/**
 * codecov/codecov-action on a small Python project, two commits on main. The coverage is made
 * by the real pytest-cov when the machine has it, else taken from the report pytest-cov wrote
 * for that commit (recorded/: the numbers are the same). Commit 1: 66.66 %, codecov.yml's target
 * 60 %: passes. Commit 2 adds power() with one line untested and tests whisper(): 81.25 %, the
 * target 90 % (threshold 1 %) fails, and the patch (3 of 4 changed lines covered) is below its 80 %.
 */
const FIX = join(ROOT, "test/fixtures");

interface RunOut {
  jobs: { job: string; result: string; coverage?: { lines: number; hit: number; percent: number } }[];
}

describe.each(backends())("$name", (b) => {
  test("coverage gate: passes below actual, fails above; fail_ci_if_error; coverage in history; change against main", async () => {
    const { url } = await b.fresh();
    const env = { SLIPWAY_DATABASE_URL: url ?? "" };
    const repo = tempRepo(join(FIX, "coverage-repo"));
    const cli = (args: string[]) => slipway(args, repo, env);
    let coverage: Record<string, RunOut["jobs"][number]["coverage"]> = {};
    const run = () => {
      const r = cli(["run", "push", "--json"]);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
      const out = JSON.parse(r.stdout) as RunOut;
      coverage = Object.fromEntries(out.jobs.map((j) => [j.job, j.coverage]));
      return Object.fromEntries(out.jobs.map((j) => [j.job, j.result]));
    };
    const logs = (n: number, job: string) => cli(["logs", String(n), job]).stdout;

    expect(run()).toEqual({
      python: "success",
      search: "success",
      missing: "failure",
      broken: "failure",
      "missing-lenient": "success",
    });
    // run --json: each job that read coverage carries its total.
    expect(coverage).toEqual({
      python: { lines: 12, hit: 8, percent: 66.66 },
      search: { lines: 12, hit: 8, percent: 66.66 },
      missing: undefined,
      broken: undefined,
      "missing-lenient": undefined,
    });
    const p1 = logs(1, "python");
    // Which made the report (the test passes either way: the numbers are pytest-cov's).
    expect(p1).toMatch(/coverage by pytest-cov|pytest-cov is not installed/);
    expect(p1).toContain("built-in codecov/codecov-action@v4 (no download)");
    expect(p1).toContain("token: no effect offline (nothing is uploaded to Codecov)");
    expect(p1).toContain("Coverage: 66.66% (8 of 12 lines in 3 file(s), from 1 report(s))");
    expect(p1).toContain("No earlier run on main recorded coverage for this job: nothing to compare with.");
    expect(p1).toContain("project coverage (default): 66.66% (8/12 lines), target 60.00%: passes");
    expect(p1).toContain("| calc | 12 | 8 | 66.66% |");
    // Found by its name (build/cobertura.xml), no files named.
    const search = logs(1, "search");
    expect(search).toContain("build/cobertura.xml: 3 file(s)");
    expect(search).toContain("build/extra.lcov: 2 file(s)");
    expect(search).toContain(
      "1 file(s) the reports name are not in the workspace, not counted: /opt/elsewhere/lib.py",
    );
    expect(search).toContain("Coverage: 66.66% (8 of 12 lines in 3 file(s), from 2 report(s))");
    // fail_ci_if_error: a missing file fails the step; without it, a warning.
    expect(logs(1, "missing")).toContain(
      "codecov/codecov-action@v5: Coverage file not found: nowhere/coverage.xml (fail_ci_if_error)",
    );
    expect(logs(1, "broken")).toMatch(
      /codecov\/codecov-action@v4: coverage\.xml:3:\d+: not valid XML: .* \(fail_ci_if_error\)/,
    );
    expect(logs(1, "broken")).toContain("flags: no effect offline");
    const lenient = logs(1, "missing-lenient");
    expect(lenient).toContain("##[warning] Coverage file not found: nowhere/coverage.xml");
    expect(lenient).toContain("##[warning] No coverage reports found");

    // Commit 2 on main: more code, more tests, a stricter codecov.yml.
    cpSync(join(FIX, "coverage-repo-v2"), repo, { recursive: true });
    const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, encoding: "utf8" }).trim();
    git("add", "-A");
    git("commit", "-q", "-m", "power, and a 90% target");
    const [before, sha] = [git("rev-parse", "--short=7", "HEAD~1"), git("rev-parse", "--short=7", "HEAD")];

    // The search job reads the same report under the same codecov.yml: it fails too.
    expect(run()).toMatchObject({ python: "failure", search: "failure" });
    const p2 = logs(2, "python");
    expect(p2).toMatch(/Against main \(run 1, [0-9a-f]{7}\): 66\.66% → 81\.25% \(\+14\.58\)/);
    expect(p2).toContain(
      "##[error] .github/workflows/ci.yml:16:15: codecov/codecov-action@v4: 2 coverage gates failed: project coverage (default): 81.25% (13/16 lines), target 90.00%, threshold 1.00%: fails; lowered most by calc/core.py (8/10), calc/text.py (5/6)",
    );
    expect(p2).toContain(
      `patch coverage of ${before}..${sha} (default): 75.00% (3/4 lines), target 80.00%: fails; lowered most by calc/core.py (3/4 changed lines)`,
    );
    // The step summary: the total and each directory against main's last run.
    expect(p2).toContain("**81.25%** of lines covered: 13 of 16 (+14.58 against main, run 1)");
    expect(p2).toContain("| calc | 16 | 13 | 81.25% | +14.58 |");

    const h2 = cli(["history", "2"]).stdout;
    expect(h2).toContain("coverage (step 3): 81.25% of lines (13/16, 3 file(s))");
    expect(h2).toMatch(
      / {5}80\.00% {2}calc\/core\.py \(8\/10\)\n {5}83\.33% {2}calc\/text\.py \(5\/6\)\n {4}100\.00% {2}calc\/__init__\.py \(0\/0\)/,
    );
    const json = JSON.parse(cli(["history", "1", "--json"]).stdout) as {
      jobs: { key: string; coverage: { step: number; path: string; lines: number; hit: number }[] }[];
    };
    expect(json.jobs.find((j) => j.key === "python")!.coverage).toEqual([
      { step: 2, path: "calc/__init__.py", lines: 0, hit: 0 },
      { step: 2, path: "calc/core.py", lines: 6, hit: 5 },
      { step: 2, path: "calc/text.py", lines: 6, hit: 3 },
    ]);

    // A pull request from a branch that changes no covered line: the patch gate has nothing to
    // judge; the project gate (now 80 %) passes; the change is against main's last run (2).
    git("checkout", "-q", "-b", "docs");
    writeFileSync(
      join(repo, "codecov.yml"),
      readFileSync(join(repo, "codecov.yml"), "utf8").replace("90%", "80%"),
    );
    writeFileSync(join(repo, "NOTES.md"), "notes\n");
    git("add", "-A");
    git("commit", "-q", "-m", "notes");
    const head = git("rev-parse", "--short=7", "HEAD");
    const pr = cli(["run", "pull_request", "--base", "main", "--json", "-j", "python"]);
    expect((JSON.parse(pr.stdout) as RunOut).jobs).toMatchObject([{ job: "python", result: "success" }]);
    const p3 = logs(3, "python");
    expect(p3).toMatch(/Against main \(run 2, [0-9a-f]{7}\): 81\.25% → 81\.25% \(\+0\.00\)/);
    expect(p3).toContain(
      "project coverage (default): 81.25% (13/16 lines), target 80.00%, threshold 1.00%: passes",
    );
    expect(p3).toContain(
      `patch coverage of ${sha}...${head} (default): no changed line is covered by the report; passes`,
    );
  }, 120_000);
});

test("coverage gate: codecov.yml's ignore drops files from the count; a status's paths judges only its files", () => {
  const lcov = (files: [string, number, number][]) =>
    files
      .map(([f, lines, hit]) =>
        [
          `SF:${f}`,
          ...Array.from({ length: lines }, (_, k) => `DA:${k + 1},${k < hit ? 1 : 0}`),
          "end_of_record",
        ].join("\\n"),
      )
      .join("\\n");
  const report = lcov([
    ["src/core.rs", 10, 9],
    ["src/gen/proto_pb.rs", 10, 0],
    ["cli/main.rs", 10, 5],
  ]);
  const repo = tempRepo(undefined, {
    ".github/workflows/ci.yml": `on: push
jobs:
  cov:
    runs-on: ubuntu-latest
    steps:
      - run: printf '${report}\\n' > lcov.info
      - uses: codecov/codecov-action@v5
        with: { files: lcov.info }
`,
    "codecov.yml": `ignore:
  - "**/gen/**"
coverage:
  status:
    project:
      core:
        target: 85%
        paths: ["src/"]
      all:
        target: 80%
`,
    "src/core.rs": "\n".repeat(10),
    "src/gen/proto_pb.rs": "\n".repeat(10),
    "cli/main.rs": "\n".repeat(10),
  });
  const r = slipway(["run", "push", "--json"], repo, { SLIPWAY_DATABASE_URL: "" });
  const out = JSON.parse(r.stdout) as RunOut;
  // 14 of 20 lines once the generated file is ignored (not 14 of 30).
  expect(out.jobs[0]).toMatchObject({ result: "failure", coverage: { lines: 20, hit: 14 } });
  const log = slipway(["logs", "1", "cov"], repo, { SLIPWAY_DATABASE_URL: "" }).stdout;
  expect(log).toContain("codecov.yml: ignore: 1 file(s) not counted: src/gen/proto_pb.rs");
  expect(log).toContain("project coverage (core, paths src/): 90.00% (9/10 lines), target 85.00%: passes");
  expect(log).toMatch(
    /project coverage \(all\): 70\.00% \(14\/20 lines\), target 80\.00%: fails; lowered most by cli\/main\.rs/,
  );
});
