import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

// Seed 004's CI workflow, as written, on a tiny crate and this machine's Rust toolchain.
const SEED = join(ROOT, "test/fixtures/seeds/004_b94924eae7ad4319-ci.yml");
const CRATE = join(ROOT, "test/fixtures/e2e/rust-lib");

function has(cmd: string, ...args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const rust = existsSync(SEED) && has("cargo", "clippy", "--version") && has("cargo", "fmt", "--version");

interface Out {
  run: number;
  result: string;
  jobs: { job: string; name: string; result: string; reason?: string }[];
}

describe.skipIf(!rust)("seed 004 CI on a Rust crate", () => {
  const repo = tempRepo(CRATE, { ".github/workflows/ci.yml": readFileSync(SEED, "utf8") });
  const env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "slipway-e2e-xdg-")) };
  const run = (...args: string[]) => {
    const r = slipway(["run", "push", "-j", "test", "--json", ...args], repo, env);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
    const out = JSON.parse(r.stdout) as Out;
    const by = Object.fromEntries(out.jobs.map((j) => [j.name, j]));
    const log = (job: string) => slipway(["logs", String(out.run), job], repo).stdout;
    return { ...r, out, by, log };
  };

  test("the stable leg runs fmt, clippy, build, unit, doc and integration tests, and saves the Rust cache", () => {
    const r = run("--matrix", "rust=stable");
    expect(r.code, r.stderr).toBe(0);
    expect(r.by["Test (stable)"]?.result).toBe("success");
    expect(r.by["Test (beta)"]).toMatchObject({
      result: "skipped",
      reason: "not selected by --matrix rust=stable",
    });
    const log = r.log("test.1");
    expect(log).toContain("built-in dtolnay/rust-toolchain");
    expect(log).toMatch(/test tests::adds \.\.\. ok/);
    expect(log).toMatch(/test src\/lib\.rs - add \(line \d+\) \.\.\. ok/);
    expect(log).toMatch(/test smoke \.\.\. ok/);
    expect(log).toMatch(/Cache saved with key: v0-rust-/);
  });

  test("a toolchain the host lacks fails its leg clearly, and fail-fast cancels the others", () => {
    const r = run();
    expect(r.code).toBe(1);
    expect(r.by["Test (beta)"]?.result).toBe("failure");
    expect(r.log("test.2")).toMatch(/Rust toolchain 'beta' is not installed .*rustup toolchain install beta/);
    expect(r.by.test?.reason).toBe("Test (beta) failed");
    expect(r.by["Test (nightly)"]?.result).toBe("cancelled");
  });
});
