import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Prepared } from "./adapter.js";
import { checkPackage } from "./checks.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-checks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function npmPkg(
  files: string[],
  size = 100,
  manifest: Record<string, unknown> = { name: "x", license: "MIT" },
): Prepared {
  const pj = join(dir, "package.json");
  writeFileSync(pj, JSON.stringify(manifest));
  return {
    pkg: { ecosystem: "npm", name: "x", version: "1.0.0", dir, manifest: pj, deps: [] },
    artifacts: [{ file: join(dir, "x-1.0.0.tgz"), sha256: "", size, files, entries: [] }],
  };
}

describe("checks before publishing", () => {
  test("a clean package passes", () => {
    expect(checkPackage(npmPkg(["package.json", "README.md", "LICENSE", "index.js"]))).toEqual([]);
  });

  test("secrets, VCS data and build junk are refused, each named", () => {
    const found = checkPackage(
      npmPkg([
        "README.md",
        "LICENSE",
        ".env",
        "config/.env.production",
        "keys/server.pem",
        ".ssh/id_rsa",
        ".git/config",
        "lib/__pycache__/a.pyc",
        ".npmrc",
      ]),
    );
    expect(found).toEqual([
      "x-1.0.0.tgz contains .env: an environment file (secrets)",
      "x-1.0.0.tgz contains config/.env.production: an environment file (secrets)",
      "x-1.0.0.tgz contains keys/server.pem: a private key or certificate store",
      "x-1.0.0.tgz contains .ssh/id_rsa: an SSH private key",
      "x-1.0.0.tgz contains .git/config: git data",
      "x-1.0.0.tgz contains lib/__pycache__/a.pyc: Python bytecode (build junk)",
      "x-1.0.0.tgz contains .npmrc: a registry credentials file",
    ]);
  });

  test("an example env file is no secret", () => {
    expect(checkPackage(npmPkg(["README.md", "LICENSE", ".env.example"]))).toEqual([]);
  });

  test("README, LICENSE and the license field are required; the size limit holds", () => {
    expect(checkPackage(npmPkg(["index.js"], 3 * 2 ** 20, { name: "x" }), 2 * 2 ** 20)).toEqual([
      "x-1.0.0.tgz is 3.0 MiB, over the 2.0 MiB limit",
      "x-1.0.0.tgz has no README",
      "x-1.0.0.tgz has no LICENSE",
      `${join(dir, "package.json")}: no "license"`,
    ]);
  });
});
