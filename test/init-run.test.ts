// What `slipway init` writes runs green under `slipway run` on this machine: the npm and Python
// fixtures completely (push and pull_request), the Rust ones job by job. Jobs for macOS and
// Windows are skipped with their reason. Not run here: the coverage jobs of Rust projects and
// cargo-deny (taiki-e/install-action downloads its tools from GitHub), and the PyO3 fixture
// beyond rustfmt (building pyo3 and the wheel takes minutes; a full push run of it was measured
// by hand instead). A release tag runs the tag guard and the build of every package here; the
// whole release, publishing to local registries, is in init-publish.test.ts.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BIN, ROOT, slipway, tempRepo } from "./helpers/cli.js";
import { initStore } from "./helpers/init-store.js";

const store = initStore();
const dirs: string[] = [store];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ENV = { SLIPWAY_REUSE: "0", SLIPWAY_HISTORY: "0" };
const SLOW = 240_000;

/** A fixture repository with init's output committed, as a user would have it. */
function initialised(fixture: string): string {
  const dir = tempRepo(join(ROOT, "test/fixtures", fixture));
  dirs.push(dir);
  const r = slipway(["init", "--offline", "--store", store], dir);
  expect(r.code, r.stderr).toBe(0);
  const git = (...a: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t.invalid", ...a], { cwd: dir });
  git("add", "-A");
  git("commit", "-qm", "ci: slipway init");
  return dir;
}

function run(dir: string, ...args: string[]) {
  const r = slipway(["run", ...args], dir, ENV);
  return { ...r, out: r.stdout + r.stderr };
}

describe("whole runs", () => {
  test.each(["push", "pull_request"])(
    "the npm package's workflows: %s",
    (event) => {
      const dir = initialised("init-npm");
      const r = run(dir, event);
      expect(r.out).toContain("Run success");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/npm test \(ubuntu-latest, node 20\)\s+✓ success/);
      expect(r.out).toMatch(
        /npm test \(windows-latest, node lts\/\*\)\s+- skipped\s+\(runs-on 'windows-latest' cannot run/,
      );
      expect(r.out).toMatch(/npm coverage\s+✓ success/);
    },
    SLOW,
  );

  test(
    "the Python package's workflows: push, and the lint job on a pull request",
    () => {
      const dir = initialised("init-python");
      const r = run(dir, "push");
      expect(r.out).toContain("Run success");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/pytest \(ubuntu-latest, 3\.10\)\s+✓ success/);
      expect(r.out).toMatch(/python coverage\s+✓ success/);
      expect(run(dir, "pull_request", "-j", "ruff").out).toContain("Run success");
    },
    SLOW,
  );
});

describe("job by job", () => {
  test(
    "the Rust crate: fmt, clippy, tests (MSRV too), docs, benchmarks",
    () => {
      const dir = initialised("init-rust");
      for (const job of ["fmt", "clippy", "test", "docs", "bench"]) {
        const r = run(dir, "push", "-j", job);
        expect(r.out, job).toContain("Run success");
      }
      const pr = run(dir, "pull_request", "-j", "test");
      expect(pr.out).toMatch(/test \(ubuntu-latest, 1\.95\)\s+✓ success/);
      expect(pr.out).toMatch(/test \(macos-latest, stable\)\s+- skipped/);
      // Benchmarks run on pushes to the default branch only.
      const bench = run(dir, "pull_request", "-j", "bench");
      expect(bench.out).toMatch(/\[bench\] - job skipped/);
      expect(bench.code).toBe(0);
    },
    SLOW,
  );

  test(
    "the x0x-like repository: Rust jobs and the Python package's",
    () => {
      const dir = initialised("init-x0x");
      // The Python matrix is the Python fixture's; here its coverage job stands for it.
      for (const job of ["fmt", "clippy", "test", "docs", "pytest-coverage"]) {
        // Legs in parallel: they restore the same Rust cache into ~/.cargo/registry at once.
        const r = run(dir, "push", "-j", job);
        expect(r.out, job).toContain("Run success");
      }
    },
    SLOW,
  );

  test(
    "the PyO3 package: rustfmt",
    () => {
      const dir = initialised("init-pyo3");
      expect(run(dir, "pull_request", "-j", "fmt").out).toContain("Run success");
    },
    SLOW,
  );
});

describe("a release tag", () => {
  test(
    "the x0x-like release: the tag guard, then every package built once and kept as artifacts",
    () => {
      const dir = initialised("init-x0x");
      // The workflow runs `slipway` from PATH, as on a machine that has it installed.
      const bin = mkdtempSync(join(tmpdir(), "slipway-bin-"));
      dirs.push(bin);
      writeFileSync(join(bin, "slipway"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
      chmodSync(join(bin, "slipway"), 0o755);
      const env = { ...ENV, PATH: `${bin}:${process.env.PATH}` };
      const tag = (v: string) => {
        execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t.invalid", "tag", "-a", v, "-m", v], {
          cwd: dir,
        });
        const r = slipway(["run", "push", "--ref", `refs/tags/${v}`, "-j", "build"], dir, env);
        return { ...r, out: r.stdout + r.stderr };
      };
      const good = tag("v0.2.0");
      expect(good.out).toMatch(/check tag\s+✓ success/);
      expect(good.out).toMatch(/build packages\s+✓ success/);
      const list = slipway(["artifacts"], dir).stdout;
      for (const a of ["dist-crates  2 file(s)", "dist-npm  2 file(s)", "dist-python-sdist  2 file(s)"])
        expect(list).toContain(a);
      // A tag that is not the manifests' version stops before anything is built.
      const bad = tag("v0.3.0");
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/check tag\s+✗ failure/);
      expect(bad.out).toContain(
        "python/pyproject.toml:7:11: project.version is 0.2.0, tag v0.3.0 says 0.3.0",
      );
      expect(bad.out).toMatch(/build\s+- skipped\s+\(needed job check-tag did not succeed\)/);
    },
    SLOW,
  );
});
