import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { DetectError, detect } from "./detect.js";

const FIX = join(import.meta.dirname, "../../test/fixtures");
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

test("a crate: MSRV, benches, no dependencies, the codecov target", () => {
  const p = detect(join(FIX, "init-rust"));
  expect(p.rust).toMatchObject({ msrv: "1.95", hasDeps: false, benches: true, workspace: false });
  expect(p.rust!.crates).toEqual([{ name: "tiny", dir: ".", publish: true, internal: [] }]);
  expect(p.coverage).toEqual({ target: 85, from: "codecov.yml" });
  expect(p.python).toEqual([]);
  expect(p.npm).toBeUndefined();
});

test("a workspace with npm and Python packages beside it", () => {
  const p = detect(join(FIX, "init-x0x"));
  expect(p.rust!.msrv).toBe("1.95");
  expect(p.rust!.crates.map((c) => [c.name, c.internal])).toEqual([
    ["x0xfix-core", []],
    ["x0xfix", ["x0xfix-core"]],
  ]);
  expect(p.python).toEqual([
    expect.objectContaining({
      name: "x0xfix",
      dir: "python",
      module: "x0xfix",
      maturin: false,
      pytest: true,
    }),
  ]);
  expect(p.npm!.root).toBe(false);
  expect(p.npm!.packages.map((x) => [x.name, x.dir, x.deps])).toEqual([
    ["x0xfix-linux-x64", "npm/linux-x64", []],
    ["x0xfix", "npm/main", ["x0xfix-linux-x64"]],
  ]);
  expect(p.coverage.target).toBe(80);
});

test("PyO3: the maturin backend, and pyo3 counts as a dependency", () => {
  const p = detect(join(FIX, "init-pyo3"));
  expect(p.python[0]).toMatchObject({ name: "pyo3fix", maturin: true, minPython: "3.10" });
  expect(p.rust!.hasDeps).toBe(true);
});

test("npm: the test runner, the scripts and the oldest Node.js", () => {
  const p = detect(join(FIX, "init-npm"));
  expect(p.npm).toMatchObject({
    root: true,
    lockfile: true,
    runner: "node",
    minNode: "20",
    scripts: { test: true, lint: true, build: false, coverage: false, typecheck: false },
  });
});

test("a Cargo.toml that does not parse is an error at its position", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-detect-"));
  temps.push(dir);
  cpSync(join(FIX, "init-rust"), dir, { recursive: true });
  writeFileSync(join(dir, "Cargo.toml"), '[package]\nname = "x"\nversion = 1.2.3.4\n');
  let err: unknown;
  try {
    detect(dir);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DetectError);
  expect((err as DetectError).bad).toMatchObject({ file: "Cargo.toml", line: 3 });
});

test("a Poetry project is named by [tool.poetry]", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-detect-"));
  temps.push(dir);
  writeFileSync(join(dir, "pyproject.toml"), '[tool.poetry]\nname = "poet-fix"\nversion = "1.0.0"\n');
  expect(detect(dir).python).toEqual([expect.objectContaining({ name: "poet-fix", module: "poet_fix" })]);
});
