// The loopback registries `.ci/registries.sh` starts: why a test that publishes to them is
// skipped ("" when everything it needs is here).
import { spawnSync } from "node:child_process";

export function registriesMissing(vars: string[]): string {
  const missing = vars.filter((v) => !process.env[v]);
  if (missing.length) return `needs ${missing.join(", ")}: source .ci/registries.sh first`;
  return spawnSync("cargo", ["--version"]).status === 0 ? "" : "needs cargo";
}
