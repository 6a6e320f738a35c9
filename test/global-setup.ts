import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * CLI tests run the real bundle; build it once per test run. A failed build does not
 * stop unit tests: the CLI tests then fail on their own, with the build error above.
 * Every temporary folder the tests make goes under one per-run folder (TMPDIR, inherited by the
 * test workers and the processes they start), removed at the end. No test reaches the network.
 */
export default function setup(): () => void {
  const root = join(import.meta.dirname, "..");
  const tmp = mkdtempSync(join(tmpdir(), "slipway-tests-"));
  process.env.TMPDIR = tmp;
  // Remote actions missing from a test's store are fetched from here, never from github.com.
  process.env.SLIPWAY_GITHUB_URL = join(tmp, "no-github");
  try {
    execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" });
  } catch {
    console.error("global setup: the build failed; CLI tests will fail");
  }
  return () => rmSync(tmp, { recursive: true, force: true });
}
