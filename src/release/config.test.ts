import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { loadReuseConfig } from "../run/reuse/config.js";
import { loadReleaseConfig } from "./config.js";

function repo(yml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-release-config-"));
  mkdirSync(join(dir, ".github"));
  writeFileSync(join(dir, ".github/slipway.yml"), yml);
  return dir;
}

test("release settings share .github/slipway.yml with job reuse; each loader reads its own key", () => {
  const dir = repo("jobs:\n  ci.yml/docs:\n    reuse: false\nrelease:\n  mode: per-package\n  sign: true\n");
  expect(loadReleaseConfig(dir)).toEqual({ mode: "per-package", sign: true });
  const reuse = loadReuseConfig(dir);
  expect(reuse.ok && [...reuse.config.keys()]).toEqual(["ci.yml/docs"]);
});

test("defaults without the file or the key; errors at their line and column", () => {
  expect(loadReleaseConfig(mkdtempSync(join(tmpdir(), "slipway-release-config-")))).toEqual({
    mode: "unified",
    sign: false,
  });
  expect(loadReleaseConfig(repo("jobs: {}\n"))).toEqual({ mode: "unified", sign: false });
  expect(loadReleaseConfig(repo("release:\n  sign: yes please\n"))).toMatchObject({
    line: 2,
    col: 9,
    message: "release.sign must be true or false",
  });
  expect(loadReleaseConfig(repo("release:\n  tags: x\n"))).toMatchObject({ line: 2, col: 3 });
  expect(loadReleaseConfig(repo("release: [\n"))).toMatchObject({ file: ".github/slipway.yml", line: 2 });
});
