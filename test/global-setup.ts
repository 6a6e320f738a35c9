import { execFileSync } from "node:child_process";
import { join } from "node:path";

/**
 * CLI tests run the real bundle; build it once per test run. A failed build does not
 * stop unit tests: the CLI tests then fail on their own, with the build error above.
 */
export default function setup(): void {
  const root = join(import.meta.dirname, "..");
  try {
    execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" });
  } catch {
    console.error("global setup: the build failed; CLI tests will fail");
  }
}
