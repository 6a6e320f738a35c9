// `slipway release` end to end through bin/slipway.js, on real git repositories.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { slipway } from "./helpers/cli.js";
import { change, fixtureRepo, git, read, snapshot } from "./helpers/release.js";

const STACK = /\n\s+at .*:\d+:\d+\)?\n/;
const ENV = { SOURCE_DATE_EPOCH: "1796428800" }; // 2026-12-05

describe("slipway release", () => {
  test("--dry-run prints the version, the changelog section and the diffs, and changes nothing", () => {
    const dir = fixtureRepo("rust-workspace", { tag: "v1.4.2", origin: "https://github.com/demo/ws.git" });
    change(dir, "crates/cli/src/main.rs", "fix(cli): exit code");
    const before = snapshot(dir);
    const r = slipway(["release", "--dry-run"], dir, ENV);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1.4.3 (tag v1.4.3; since v1.4.2, 1 change in the changelog)");
    expect(r.stdout).toContain("## [1.4.3] - 2026-12-05\n\n### Fixed\n\n- **cli:** exit code ([");
    expect(r.stdout).toContain("--- a/Cargo.lock\n+++ b/Cargo.lock\n@@");
    expect(r.stdout).toContain(
      "-version = '1.4.2'   # its own, kept in step\n+version = '1.4.3'   # its own, kept in step\n",
    );
    expect(r.stdout).toContain("--- /dev/null\n+++ b/CHANGELOG.md\n");
    expect(snapshot(dir)).toBe(before);
  });

  test("releases, then check-tag passes on the tag and fails naming files on another", () => {
    const dir = fixtureRepo("npm-workspace", { tag: "v2.0.0" });
    change(dir, "packages/b/index.js", "feat(b): more");
    // From a subfolder: the repository is found above; --notes is relative to where it runs.
    const r = slipway(["release", "--json", "--notes", "out/notes.md"], join(dir, "packages"), ENV);
    expect(r.code).toBe(0);
    expect(read(dir, "packages/out/notes.md")).toMatch(/^### Added\n\n- \*\*b:\*\* more \(/);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      status: "released",
      releases: [{ version: "2.1.0", tag: "v2.1.0" }],
      signed: false,
    });
    expect(out.files).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "CHANGELOG.md"]));
    expect(slipway(["release", "check-tag"], dir).code).toBe(0); // the tag at HEAD
    const bad = slipway(["release", "check-tag", "v2.0.0"], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("packages/a/package.json:3:13: version is 2.1.0, tag v2.0.0 says 2.0.0");
    expect(
      slipway(["release", "check-tag"], dir, { GITHUB_REF_NAME: "v2.1.0", GITHUB_REF_TYPE: "tag" }).code,
    ).toBe(0);
    // In a workflow step: outputs for the steps after it.
    const outputs = join(dir, "..", `outputs-${Date.now()}`);
    const again = slipway(["release"], dir, { GITHUB_OUTPUT: outputs });
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain("nothing to release");
    expect(readFileSync(outputs, "utf8")).toBe("released=false\n");
    change(dir, "packages/a/x.js", "fix(a): y");
    expect(slipway(["release"], dir, { GITHUB_OUTPUT: outputs }).code).toBe(0);
    expect(readFileSync(outputs, "utf8")).toBe(
      "released=false\nreleased=true\nversion=2.1.1\ntag=v2.1.1\ntags=v2.1.1\n",
    );
  });

  test("bad input: exit 2 with a message and no stack trace", () => {
    const outside = mkdtempSync(join(tmpdir(), "slipway-norepo-"));
    for (const [args, cwd, msg] of [
      [["release"], outside, "is not in a git repository"],
      [["release", "--bump", "huge"], outside, "--bump expects major, minor, patch or pre"],
      [["release", "--version", "1.0.0", "--bump", "minor"], outside, "not both"],
      [["release", "check-tag", "latest"], fixtureRepo("poetry"), "'latest' is not a release tag"],
    ] as [string[], string, string][]) {
      const r = slipway(args, cwd);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  test("a dirty tree is refused with exit 1 and the file's name", () => {
    const dir = fixtureRepo("poetry", { tag: "v0.9.0" });
    change(dir, "x.py", "fix: x");
    writeFileSync(join(dir, "pyproject.toml"), `${read(dir, "pyproject.toml")}# edit\n`);
    const r = slipway(["release"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("uncommitted changes");
    expect(r.stderr).toContain("  pyproject.toml");
  });
});

const gpg = spawnSync("gpg", ["--version"]).status === 0;
const homes: string[] = [];
afterAll(() => {
  for (const h of homes)
    spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: h } });
});

describe("signed tags", () => {
  test.skipIf(!gpg)("--sign or release.sign: a tag that `git tag -v` verifies with the user's key", () => {
    const home = mkdtempSync(join(tmpdir(), "gnupg-"));
    homes.push(home);
    const env = { GNUPGHOME: home };
    const gen = spawnSync(
      "gpg",
      [
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Slipway Test <test@example.com>",
        "ed25519",
        "sign",
        "never",
      ],
      { env: { ...process.env, ...env }, encoding: "utf8" },
    );
    expect(gen.status, gen.stderr).toBe(0);
    const dir = fixtureRepo("rust-workspace", { tag: "v1.4.2" });
    git(dir, "config", "user.signingkey", "test@example.com");
    change(dir, "a.rs", "fix: a");
    const r = slipway(["release", "--sign"], dir, { ...ENV, ...env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("signed tag");
    const verify = spawnSync("git", ["tag", "-v", "v1.4.3"], {
      cwd: dir,
      env: { ...process.env, ...env },
      encoding: "utf8",
    });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toContain('Good signature from "Slipway Test <test@example.com>"');
    // The same from the repository's settings.
    mkdirSync(join(dir, ".github"));
    writeFileSync(join(dir, ".github/slipway.yml"), "release:\n  sign: true\n");
    git(dir, "add", ".github/slipway.yml");
    git(dir, "commit", "-q", "-m", "fix: sign releases");
    expect(slipway(["release"], dir, { ...ENV, ...env }).code).toBe(0);
    expect(git(dir, "cat-file", "tag", "v1.4.4")).toContain("-----BEGIN PGP SIGNATURE-----");
  });
});
