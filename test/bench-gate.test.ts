import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

/**
 * The benchmark regression gate, end to end: the workflow cats a committed cargo bencher output
 * (criterion's, made with the real tool) into output.txt and the github-action-benchmark
 * built-in compares it with the last successful run on main.
 */
const FIX = join(ROOT, "test/fixtures/bench-gate");

interface RunOut {
  run: number;
  result: string;
  jobs: { job: string; result: string; benchmarks?: { suite: string; name: string; value: number }[] }[];
}

describe.each(backends())("$name", (b) => {
  test("benchmarks: baseline on main, a 3× regression alerts and fails, equal values pass, a folder is a clear error, stats --bench", async () => {
    const { url } = await b.fresh();
    const env = { SLIPWAY_DATABASE_URL: url ?? "" };
    const repo = tempRepo(FIX);
    const cli = (args: string[]) => slipway(args, repo, env);
    const run = (args: string[] = []) => {
      // PostgreSQL through --db: the built-in reads its baseline where the run records.
      const db = url ? ["--db", url] : [];
      // --no-reuse: run 3 repeats run 1's inputs on purpose, to be measured again.
      const r = slipway(["run", "push", "--json", "--no-reuse", ...db, ...args], repo, {
        SLIPWAY_DATABASE_URL: "",
      });
      expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
      const out = JSON.parse(r.stdout) as RunOut;
      last = out;
      return Object.fromEntries(out.jobs.map((j) => [j.job, j.result]));
    };
    const logs = (n: number, job: string) => cli(["logs", String(n), job]).stdout;
    let last: RunOut | undefined;

    // 1: the first results on main: no baseline yet; they become it.
    expect(run()).toEqual({ bench: "success", lenient: "success", seed: "skipped" });
    const l1 = logs(1, "bench");
    expect(l1).toContain("built-in benchmark-action/github-action-benchmark@v1 (no download)");
    expect(l1).toContain("Rust Benchmark: 2 benchmark result(s) from output.txt (cargo)");
    expect(l1).toContain("no baseline yet: no successful run on main recorded 'Rust Benchmark'");
    expect(l1).toContain(
      "auto-push: the results are stored in the run history (not pushed to gh-pages:dev/bench)",
    );
    expect(l1).toContain("github-token: no effect offline");

    // 2: fib 10 three times slower: an alert, and the step fails (fail-on-alert).
    expect(run(["--env", "SAMPLE=slow"])).toEqual({ bench: "failure", lenient: "success", seed: "skipped" });
    // run --json: each job's benchmark results.
    expect(last!.jobs.find((j) => j.job === "bench")!.benchmarks).toEqual([
      expect.objectContaining({ suite: "Rust Benchmark", name: "fib 10", value: 387 }),
      expect.objectContaining({ suite: "Rust Benchmark", name: "fib 15", value: 1486 }),
    ]);
    expect(last!.jobs.find((j) => j.job === "seed")!.benchmarks).toBeUndefined();
    const l2 = logs(2, "bench");
    expect(l2).toMatch(/baseline: run 1 \([0-9a-f]{7}\) on main, 2 benchmark\(s\) to compare/);
    expect(l2).toContain(
      "##[warning] Performance alert! 1 benchmark(s) of 'Rust Benchmark' are worse than the alert threshold 200%:",
    );
    expect(l2).toContain("fib 10: 387 ns/iter (previous 129 ns/iter, 3.00× worse)");
    expect(l2).toMatch(
      /##\[error\] .*1 benchmark\(s\) of 'Rust Benchmark' are worse than the fail threshold 200% \(fail-on-alert\)/,
    );
    expect(l2).toContain("  fib 15: 1486 ns/iter (previous 1486 ns/iter, 1.00× the same)");

    // Past the alert threshold, not the fail threshold: a warning, the step passes.
    expect(l2).toContain("comment-on-alert: the alert is in the step summary (no commit comment offline)");
    const lenient = logs(2, "lenient");
    expect(lenient).toContain("##[warning] Performance alert! 1 benchmark(s) of 'Lenient'");
    expect(lenient).not.toContain("##[error]");

    // 3: equal values: the baseline is still run 1 (run 2 failed), and the step passes.
    expect(run()).toEqual({ bench: "success", lenient: "success", seed: "skipped" });
    const l3 = logs(3, "bench");
    expect(l3).toMatch(/baseline: run 1 \(/);
    expect(l3).not.toContain("Performance alert");

    // 4: the seeds' output-file-path (criterion's folder): a clear step error, no stack.
    expect(run(["--var", "SEED=yes"])).toEqual({ bench: "success", lenient: "success", seed: "failure" });
    expect(logs(4, "seed")).toContain(
      "output-file-path 'target/criterion' is a folder; tool 'cargo' expects a file of cargo bench's bencher output (`test name ... bench: 1,234 ns/iter (+/- 56)` lines), e.g. `cargo bench -- --output-format bencher | tee output.txt`",
    );

    // The step summary has the alert and the comparison (comment-on-alert).
    const h2 = cli(["history", "2"]).stdout;
    expect(h2).toContain("benchmark 'Rust Benchmark' (cargo): 2 result(s)");
    expect(h2).toContain("  fib 10: 387 ns/iter (± 0)");
    expect(h2).toContain("summary of step 3: **⚠️ Performance alert**");
    const j2 = JSON.parse(cli(["history", "2", "--json"]).stdout) as {
      jobs: {
        key: string;
        benchmarks: { suite: string; name: string; value: number; unit: string; biggerIsBetter: boolean }[];
        summaries: { markdown: string }[];
      }[];
    };
    const bench = j2.jobs.find((j) => j.key === "bench")!;
    expect(bench.benchmarks.map((x) => [x.suite, x.name, x.value, x.unit, x.biggerIsBetter])).toEqual([
      ["Rust Benchmark", "fib 10", 387, "ns/iter", false],
      ["Rust Benchmark", "fib 15", 1486, "ns/iter", false],
    ]);
    expect(bench.summaries[0]!.markdown).toContain("| fib 10 | 387 ns/iter (± 0) | 129 ns/iter | 3.00 🚨 |");

    // stats --bench: each benchmark's values, oldest first, and the newest change.
    const stats = cli(["stats", "--bench"]).stdout;
    expect(stats).toMatch(/BENCHMARK\s+UNIT\s+VALUES \(OLDEST FIRST\)\s+CHANGE/);
    expect(stats).toMatch(/Rust Benchmark › fib 10\s+ns\/iter\s+129 387 129 129\s+\+0%/);
    expect(cli(["stats", "--bench", "--last", "2"]).stdout).toMatch(/fib 10\s+ns\/iter\s+129 129\s/);
    const bad = cli(["stats", "--bench", "--workflow", "bench"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--workflow does not apply to --bench");
    const sj = JSON.parse(cli(["stats", "--bench", "--json"]).stdout) as {
      benchmarks: {
        name: string;
        points: { run: number; value: number }[];
        change: number | null;
        worse: boolean;
      }[];
    };
    const fib10 = sj.benchmarks.find((s) => s.name === "fib 10")!;
    expect(fib10.points.map((p) => [p.run, p.value])).toEqual([
      [1, 129],
      [2, 387],
      [3, 129],
      [4, 129],
    ]);
    expect(fib10.change).toBe(0);
  }, 120_000);
});

test("benchmarks: each tool's real output is recorded; bad input is a clear step error", () => {
  const repo = tempRepo(join(ROOT, "test/fixtures/bench-edge"));
  const env = { SLIPWAY_DATABASE_URL: "" };
  const r = slipway(["run", "push", "--json"], repo, env);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
  const jobs = Object.fromEntries((JSON.parse(r.stdout) as RunOut).jobs.map((j) => [j.job, j.result]));
  expect(jobs).toEqual({
    pytest: "success",
    go: "success",
    custom: "success",
    missing: "failure",
    empty: "failure",
    "bad-tool": "failure",
    "bad-threshold": "failure",
    "not-json": "failure",
  });
  const logs = (job: string) => slipway(["logs", "1", job], repo, env).stdout;
  expect(logs("pytest")).toContain("Python: 2 benchmark result(s) from pytest.json (pytest)");
  expect(logs("go")).toContain("Go: 4 benchmark result(s) from go.txt (go)");
  expect(logs("missing")).toContain(
    "output-file-path 'nowhere.txt' does not exist; tool 'go' expects a file of `go test -bench` output",
  );
  expect(logs("empty")).toContain(
    "output.txt: no benchmark result found; tool 'cargo' expects a file of cargo bench's bencher output",
  );
  expect(logs("bad-tool")).toContain(
    "tool 'jmh' is not supported by the built-in (it reads: cargo, go, benchmarkjs, pytest, customSmallerIsBetter, customBiggerIsBetter)",
  );
  expect(logs("bad-threshold")).toContain("alert-threshold must be a percentage such as '200%', got 'twice'");
  expect(logs("not-json")).toMatch(
    /out\.json: not JSON \(.*\); expected the JSON file pytest-benchmark writes/,
  );
  const h = JSON.parse(slipway(["history", "1", "--json"], repo, env).stdout) as {
    jobs: {
      key: string;
      benchmarks: { name: string; unit: string; biggerIsBetter: boolean; extra?: string }[];
    }[];
  };
  const of = (k: string) => h.jobs.find((j) => j.key === k)!.benchmarks;
  expect(of("pytest").map((b) => [b.name, b.unit, b.biggerIsBetter])).toEqual([
    ["test_fib.py::test_fib_10", "iter/sec", true],
    ["test_fib.py::test_fib_15", "iter/sec", true],
  ]);
  expect(of("custom")).toEqual([
    {
      step: 1,
      suite: "Size",
      tool: "customBiggerIsBetter",
      name: "bundle",
      value: 120,
      unit: "KB",
      extra: "gzip",
      biggerIsBetter: true,
    },
  ]);

  // No history: nothing to compare with, nothing stored, and the log says so.
  const off = slipway(["run", "push", "-j", "go"], repo, { ...env, SLIPWAY_HISTORY: "0" });
  expect(off.stdout).toContain("SLIPWAY_HISTORY=0: no run history, so no baseline to compare with");
  expect(off.stdout).toContain("the results are not stored (SLIPWAY_HISTORY=0)");
}, 60_000);

const SEED = join(ROOT, "test/fixtures/seeds/004_b94924eae7ad4319-ci.yml");
const cargo = (() => {
  try {
    execFileSync("cargo", ["--version"], { stdio: "ignore" });
    return existsSync(SEED);
  } catch {
    return false;
  }
})();

test.skipIf(!cargo)(
  "seed 004's benchmarks job, as written: cargo bench runs, then the folder path is a clear error",
  () => {
    const repo = tempRepo(join(ROOT, "test/fixtures/e2e/rust-lib"), {
      ".github/workflows/ci.yml": readFileSync(SEED, "utf8"),
    });
    const env = {
      SLIPWAY_DATABASE_URL: "",
      XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "slipway-bench-xdg-")),
    };
    const r = slipway(["run", "push", "-j", "benchmarks", "--json"], repo, env);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
    expect((JSON.parse(r.stdout) as RunOut).jobs.map((j) => [j.job, j.result])).toEqual([
      ["benchmarks", "failure"],
    ]);
    const log = slipway(["logs", "1", "benchmarks"], repo, env).stdout;
    expect(log).toMatch(/Finished\S* `bench` profile/);
    expect(log).toContain(
      "Store benchmark result: output-file-path 'target/criterion' does not exist; tool 'cargo' expects a file of cargo bench's bencher output (`test name ... bench: 1,234 ns/iter (+/- 56)` lines), e.g. `cargo bench -- --output-format bencher | tee output.txt`",
    );
  },
  120_000,
);
