// Releases of real git repositories made from test/fixtures/release/.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  change,
  changedLines,
  fixtureRepo,
  git,
  RELEASE_FIXTURES,
  read,
  snapshot,
} from "../../test/helpers/release.js";
import { checkTag } from "./check-tag.js";
import { release } from "./release.js";

const DATE = "2026-12-05";
const run = (cwd: string, o: Partial<Parameters<typeof release>[0]> = {}) =>
  release({ cwd, dryRun: false, allowDirty: false, date: DATE, ...o });

describe("a Rust workspace", () => {
  test("feat → minor everywhere the version is written; formatting, comments and other crates untouched", () => {
    const dir = fixtureRepo("rust-workspace", { tag: "v1.4.2", origin: "git@github.com:demo/ws.git" });
    const before = Object.fromEntries(
      ["Cargo.toml", "Cargo.lock", "crates/cli/Cargo.toml", "crates/core/Cargo.toml"].map((f) => [
        f,
        read(dir, f),
      ]),
    );
    change(dir, "crates/core/src/lib.rs", "feat(core): greet by name");
    change(dir, "crates/cli/src/main.rs", "docs: comment");
    const r = run(dir);
    expect(r.kind).toBe("released");
    expect(changedLines(before["Cargo.toml"]!, read(dir, "Cargo.toml"))).toEqual([
      [7, 'version = "1.5.0" # bumped by slipway release'],
      [12, 'demo-core = { path = "crates/core", version = "1.5.0" }'],
    ]);
    // version.workspace = true: nothing to write there.
    expect(read(dir, "crates/core/Cargo.toml")).toBe(before["crates/core/Cargo.toml"]);
    expect(changedLines(before["crates/cli/Cargo.toml"]!, read(dir, "crates/cli/Cargo.toml"))).toEqual([
      [3, "version = '1.5.0'   # its own, kept in step"],
      [7, 'demo-core = { path = "../core", version = "=1.5.0" }'],
      [12, 'version = "^1.5.0"'],
    ]);
    // The workspace's crates move; serde (from a registry) keeps its version.
    expect(changedLines(before["Cargo.lock"]!, read(dir, "Cargo.lock"))).toEqual([
      [7, 'version = "1.5.0"'],
      [15, 'version = "1.5.0"'],
    ]);
    expect(git(dir, "log", "-1", "--format=%s")).toBe("chore(release): v1.5.0\n");
    expect(git(dir, "cat-file", "-t", "v1.5.0")).toBe("tag\n");
    expect(git(dir, "rev-parse", "v1.5.0^{commit}")).toBe(git(dir, "rev-parse", "HEAD"));
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(read(dir, "CHANGELOG.md")).toContain(
      "## [1.5.0] - 2026-12-05\n\n### Added\n\n- **core:** greet by name ([",
    );
    expect(read(dir, "CHANGELOG.md")).toContain(
      "[1.5.0]: https://github.com/demo/ws/compare/v1.4.2...v1.5.0\n",
    );
    expect(read(dir, ".slipway/release-notes.md")).toMatch(/^### Added\n/);
    expect(checkTag(dir, "v1.5.0").code).toBe(0);
  });

  test("a second release prepends its section and keeps the first byte for byte", () => {
    const dir = fixtureRepo("rust-workspace", { tag: "v1.4.2" });
    change(dir, "a.txt", "fix: one");
    expect(run(dir).kind).toBe("released");
    const first = read(dir, "CHANGELOG.md");
    change(dir, "a.txt", "perf: two");
    expect(run(dir).kind).toBe("released");
    const second = read(dir, "CHANGELOG.md");
    const at = first.indexOf("## 1.4.3");
    expect(second.startsWith(first.slice(0, at))).toBe(true);
    expect(second.endsWith(first.slice(at))).toBe(true);
    expect(second.slice(at, second.length - (first.length - at))).toMatch(
      /^## 1\.4\.4 - 2026-12-05\n\n### Performance\n/,
    );
  });
});

describe("an npm workspace", () => {
  test("root, workspace packages, requirements between them and package-lock.json; indentation kept", () => {
    const dir = fixtureRepo("npm-workspace", { tag: "v2.0.0" });
    const files = ["package.json", "packages/a/package.json", "packages/b/package.json", "package-lock.json"];
    const before = Object.fromEntries(files.map((f) => [f, read(dir, f)]));
    change(dir, "packages/a/index.js", "fix(a): off by one");
    expect(run(dir).kind).toBe("released");
    expect(changedLines(before["package.json"]!, read(dir, "package.json"))).toEqual([
      [3, '  "version": "2.0.1",'],
    ]);
    expect(changedLines(before["packages/a/package.json"]!, read(dir, "packages/a/package.json"))).toEqual([
      [3, '\t"version": "2.0.1",'],
    ]);
    // left-pad is no package of ours; "*" is no version to move.
    expect(changedLines(before["packages/b/package.json"]!, read(dir, "packages/b/package.json"))).toEqual([
      [3, '    "version": "2.0.1",'],
      [5, '        "@demo/a": "^2.0.1",'],
    ]);
    expect(changedLines(before["package-lock.json"]!, read(dir, "package-lock.json"))).toEqual([
      [3, '  "version": "2.0.1",'],
      [9, '      "version": "2.0.1",'],
      [29, '      "version": "2.0.1"'],
      [33, '      "version": "2.0.1",'],
      [35, '        "@demo/a": "^2.0.1",'],
    ]);
    expect(read(dir, "package-lock.json").endsWith("}\n")).toBe(true);
  });
});

describe("Python", () => {
  test("maturin's dynamic version is left to Cargo.toml; Poetry gets PEP 440; 0.x rules; rc series then the release", () => {
    const dir = fixtureRepo("maturin", { files: {} });
    git(dir, "tag", "-a", "v0.4.0", "-m", "v0.4.0");
    const py = read(dir, "pyproject.toml");
    change(dir, "src/lib.rs", "feat!: new container API");
    // A Poetry project beside it, in its own folder.
    const poetry = read(join(RELEASE_FIXTURES, "poetry"), "pyproject.toml").replace('"0.9.0"', '"0.4.0"');
    mkdirSync(join(dir, "tools"));
    writeFileSync(join(dir, "tools/pyproject.toml"), poetry);
    git(dir, "add", "tools/pyproject.toml");
    git(dir, "commit", "-q", "-m", "build: add tools");

    const rc1 = run(dir, { preId: "rc" });
    expect(rc1.kind === "released" && rc1.plan.units[0]!.version).toBe("0.5.0-rc.1");
    expect(rc1.kind === "released" && rc1.plan.notes).toEqual([
      "pyproject.toml: version is dynamic; maturin takes it from Cargo.toml, so this file is left alone",
    ]);
    expect(read(dir, "pyproject.toml")).toBe(py);
    expect(read(dir, "Cargo.toml")).toContain('version = "0.5.0-rc.1"');
    expect(read(dir, "tools/pyproject.toml")).toContain('version = "0.5.0rc1"  # release-managed');
    expect(checkTag(dir, "v0.5.0-rc.1").code).toBe(0);

    change(dir, "src/lib.rs", "fix: leak");
    const rc2 = run(dir, { preId: "rc" });
    expect(rc2.kind === "released" && rc2.plan.units[0]!.version).toBe("0.5.0-rc.2");
    // Nothing new since rc.2: no rc.3.
    expect(run(dir, { preId: "rc" }).kind).toBe("nothing");
    const final = run(dir);
    expect(final.kind === "released" && final.plan.units[0]!.version).toBe("0.5.0");
    expect(read(dir, "tools/pyproject.toml")).toContain('version = "0.5.0"');
    // The release lists everything since 0.4.0, and compares with it.
    const section = final.kind === "released" ? final.plan.units[0]!.section.markdown : "";
    expect(section).toContain("new container API");
    expect(section).toContain("leak");
    expect(final.kind === "released" && final.plan.units[0]!.previousTag).toBe("v0.4.0");
  });
  test("uv.lock: the project's own entry follows (PEP 440), packages from an index do not", () => {
    const dir = fixtureRepo("uv", { tag: "v1.2.0" });
    const before = read(dir, "uv.lock");
    change(dir, "demo.py", "feat: more");
    expect(run(dir, { preId: "rc" }).kind).toBe("released");
    expect(changedLines(before, read(dir, "uv.lock"))).toEqual([[7, 'version = "1.3.0rc1"']]);
    expect(read(dir, "pyproject.toml")).toContain('version = "1.3.0rc1"');
    expect(checkTag(dir, "v1.3.0-rc.1").code).toBe(0);
  });
});

describe("changing nothing", () => {
  test("--dry-run: the tree, the index state and every ref stay byte-identical", () => {
    const dir = fixtureRepo("npm-workspace", { tag: "v2.0.0" });
    change(dir, "x.js", "feat: x");
    const before = snapshot(dir);
    const r = run(dir, { dryRun: true });
    expect(r.kind).toBe("dry-run");
    if (r.kind === "dry-run") expect([...r.plan.files.keys()]).toContain("package-lock.json");
    expect(snapshot(dir)).toBe(before);
  });

  test("no releasable commits: nothing to release, nothing changed", () => {
    const dir = fixtureRepo("rust-workspace", { tag: "v1.4.2" });
    change(dir, "README.md", "docs: words");
    change(dir, "ci.txt", "ci: faster");
    const before = snapshot(dir);
    const r = run(dir);
    expect(r).toMatchObject({ kind: "nothing", message: expect.stringContaining("nothing to release") });
    expect(snapshot(dir)).toBe(before);
  });

  test("uncommitted changes to tracked files are refused by name unless allowed", () => {
    const dir = fixtureRepo("rust-workspace", { tag: "v1.4.2" });
    change(dir, "a.txt", "fix: a");
    writeFileSync(join(dir, "crates/core/src/lib.rs"), "// edited\n");
    const before = snapshot(dir);
    const r = run(dir);
    expect(r).toMatchObject({
      kind: "error",
      code: 1,
      message: expect.stringContaining("crates/core/src/lib.rs"),
    });
    expect(snapshot(dir)).toBe(before);
    expect(run(dir, { allowDirty: true }).kind).toBe("released");
    // The edit stays uncommitted: the release commit holds only what the release wrote.
    expect(git(dir, "status", "--porcelain")).toBe(" M crates/core/src/lib.rs\n");
  });

  test("a malformed manifest: file:line:col from the parser, nothing written", () => {
    const dir = fixtureRepo("npm-workspace", {
      tag: "v2.0.0",
      files: { "extra/Cargo.toml": '[package]\nname = "x"\nversion = "2.0.0"\nversion = "3"\n' },
    });
    change(dir, "x.js", "feat: x");
    const before = snapshot(dir);
    expect(run(dir)).toEqual({
      kind: "error",
      code: 2,
      message: "extra/Cargo.toml:4:1: Defining a key multiple times is invalid",
    });
    expect(snapshot(dir)).toBe(before);
    writeFileSync(join(dir, "extra/Cargo.toml"), "");
    writeFileSync(
      join(dir, "packages/a/package.json"),
      '{\n\t"name": "@demo/a",\n\t"version": "2.0.0",\n}\n',
    );
    git(dir, "commit", "-q", "-am", "chore: break it");
    expect(run(dir)).toMatchObject({
      kind: "error",
      code: 2,
      message: "packages/a/package.json:4:1: property name expected",
    });
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(existsSync(join(dir, "CHANGELOG.md"))).toBe(false);
  });

  test("a shallow clone is refused: its tags and history are missing", () => {
    const src = fixtureRepo("rust-workspace", { tag: "v1.4.2" });
    change(src, "a.txt", "fix: a");
    const dir = mkdtempSync(join(tmpdir(), "slipway-shallow-"));
    git(dir, "clone", "-q", "--depth", "1", `file://${src}`, ".");
    expect(run(dir)).toMatchObject({
      kind: "error",
      code: 1,
      message: expect.stringContaining("shallow clone"),
    });
  });

  test("outside a git repository: exit 2 with a clear message", () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-norepo-"));
    expect(run(dir)).toMatchObject({
      kind: "error",
      code: 2,
      message: expect.stringContaining("not in a git repository"),
    });
  });
});

describe("versions given by hand", () => {
  test("--version and --bump; a version not above the last release is refused", () => {
    const dir = fixtureRepo("rust-workspace", { tag: "v1.4.2" });
    change(dir, "a.txt", "docs: nothing releasable");
    expect(run(dir, { dryRun: true, bump: "major" })).toMatchObject({
      plan: { units: [{ version: "2.0.0" }] },
    });
    expect(run(dir, { dryRun: true, version: "v3.0.0-beta.1" })).toMatchObject({
      plan: { units: [{ tag: "v3.0.0-beta.1" }] },
    });
    expect(run(dir, { version: "1.4.2" })).toMatchObject({
      kind: "error",
      code: 1,
      message: expect.stringContaining("not above"),
    });
    expect(run(dir, { version: "one" })).toMatchObject({
      kind: "error",
      message: expect.stringContaining("not a semantic version"),
    });
  });
});

describe("one version for all", () => {
  test("manifests that disagreed are all given the one version, and the plan says so", () => {
    const dir = fixtureRepo(undefined, {
      files: {
        "package.json": '{\n  "name": "web",\n  "version": "1.0.0"\n}\n',
        "core/Cargo.toml": '[package]\nname = "core"\nversion = "0.3.0"\n',
      },
    });
    const r = run(dir, { dryRun: true });
    expect(r).toMatchObject({ kind: "dry-run", plan: { units: [{ version: "1.0.0", tag: "v1.0.0" }] } });
    expect(r.kind === "dry-run" && r.plan.notes).toEqual([
      "the manifests held different versions (core/Cargo.toml 0.3.0, package.json 1.0.0); all get 1.0.0",
    ]);
    expect(r.kind === "dry-run" && r.plan.changes.map((c) => `${c.place.at.file} ${c.after}`)).toEqual([
      "core/Cargo.toml 1.0.0",
    ]);
  });
});

describe("the x0x layout: a Rust core, its napi packages and its maturin wheel", () => {
  test("one version for the crate, the npm package, its per-platform packages and their pins", () => {
    const dir = fixtureRepo(undefined, {
      files: {
        "Cargo.toml":
          '[workspace]\nmembers = ["core", "bindings/*"]\n\n[workspace.package]\nversion = "0.3.0"\n',
        "core/Cargo.toml": '[package]\nname = "x0x"\nversion.workspace = true\n',
        "bindings/node/Cargo.toml":
          '[package]\nname = "x0x-node"\nversion.workspace = true\n\n[dependencies]\nx0x = { path = "../../core", version = "0.3.0" }\n',
        "bindings/node/package.json":
          '{\n  "name": "x0x",\n  "version": "0.3.0",\n  "optionalDependencies": {\n    "x0x-linux-x64-gnu": "0.3.0",\n    "x0x-darwin-arm64": "0.3.0"\n  }\n}\n',
        "bindings/node/npm/linux-x64-gnu/package.json":
          '{\n  "name": "x0x-linux-x64-gnu",\n  "version": "0.3.0",\n  "os": ["linux"]\n}\n',
        "bindings/node/npm/darwin-arm64/package.json":
          '{\n  "name": "x0x-darwin-arm64",\n  "version": "0.3.0",\n  "os": ["darwin"]\n}\n',
        "bindings/python/Cargo.toml": '[package]\nname = "x0x-python"\nversion.workspace = true\n',
        "bindings/python/pyproject.toml":
          '[build-system]\nrequires = ["maturin>=1.5"]\nbuild-backend = "maturin"\n\n[project]\nname = "x0x"\ndynamic = ["version"]\n',
      },
    });
    git(dir, "tag", "-a", "v0.3.0", "-m", "v0.3.0");
    change(dir, "core/lib.rs", "feat: gossip");
    const r = run(dir);
    expect(r.kind === "released" && r.plan.units[0]!.tag).toBe("v0.3.1");
    expect(
      r.kind === "released" &&
        r.plan.changes.map((c) => `${c.place.at.file} ${c.place.what} ${c.after}`).sort(),
    ).toEqual([
      "Cargo.toml workspace.package.version 0.3.1",
      "bindings/node/Cargo.toml dependencies.x0x 0.3.1",
      "bindings/node/npm/darwin-arm64/package.json version 0.3.1",
      "bindings/node/npm/linux-x64-gnu/package.json version 0.3.1",
      'bindings/node/package.json optionalDependencies["x0x-darwin-arm64"] 0.3.1',
      'bindings/node/package.json optionalDependencies["x0x-linux-x64-gnu"] 0.3.1',
      "bindings/node/package.json version 0.3.1",
    ]);
    expect(checkTag(dir, "v0.3.1")).toMatchObject({ code: 0 });
    // The wheel's version is the crate's, which inherits the workspace's.
    expect(r.kind === "released" && r.plan.notes).toEqual([
      "bindings/python/pyproject.toml: version is dynamic; maturin takes it from bindings/python/Cargo.toml, so this file is left alone",
    ]);
  });
});

describe("one version per package", () => {
  test("tags name-vX.Y.Z, only changed packages, dependents' requirements follow, changelog in the package", () => {
    const dir = fixtureRepo(undefined, {
      files: {
        ".github/slipway.yml": "release:\n  mode: per-package\n",
        "app/Cargo.toml":
          '[package]\nname = "app"\nversion = "1.0.0"\n\n[dependencies]\nlib = { path = "../lib", version = "0.2.0" }\n',
        "lib/Cargo.toml": '[package]\nname = "lib"\nversion = "0.2.0"\n',
      },
    });
    git(dir, "tag", "-a", "app-v1.0.0", "-m", "app");
    git(dir, "tag", "-a", "lib-v0.2.0", "-m", "lib");
    change(dir, "lib/src.rs", "feat(lib): faster");
    const r = run(dir);
    expect(r.kind === "released" && r.plan.units.map((u) => u.tag)).toEqual(["lib-v0.2.1"]);
    expect(read(dir, "lib/Cargo.toml")).toContain('version = "0.2.1"');
    expect(read(dir, "app/Cargo.toml")).toBe(
      '[package]\nname = "app"\nversion = "1.0.0"\n\n[dependencies]\nlib = { path = "../lib", version = "0.2.1" }\n',
    );
    expect(read(dir, "lib/CHANGELOG.md")).toContain("## 0.2.1 - 2026-12-05");
    expect(git(dir, "log", "-1", "--format=%s")).toBe("chore(release): lib-v0.2.1\n");
    expect(checkTag(dir, "lib-v0.2.1").code).toBe(0);
    expect(checkTag(dir, "app-v1.0.0").code).toBe(0);
    // A change to both: two tags in one commit.
    change(dir, "app/main.rs", "fix(app): a");
    change(dir, "lib/src.rs", "fix(lib): b");
    const both = run(dir);
    expect(both.kind === "released" && both.plan.units.map((u) => u.tag).sort()).toEqual([
      "app-v1.0.1",
      "lib-v0.2.2",
    ]);
  });

  test("crates sharing workspace.package.version cannot get different versions", () => {
    const dir = fixtureRepo("rust-workspace", {
      files: { ".github/slipway.yml": "release:\n  mode: per-package\n" },
    });
    // demo-cli inherits too, so the two crates share one place.
    const cli = read(dir, "crates/cli/Cargo.toml").replace(
      "version = '1.4.2'   # its own, kept in step",
      "version.workspace = true",
    );
    writeFileSync(join(dir, "crates/cli/Cargo.toml"), cli);
    git(dir, "commit", "-q", "-am", "chore: inherit");
    git(dir, "tag", "-a", "demo-core-v1.4.2", "-m", "x");
    git(dir, "tag", "-a", "demo-cli-v1.4.2", "-m", "x");
    change(dir, "crates/core/src/lib.rs", "feat(core): x");
    const r = run(dir, { dryRun: true });
    expect(r).toMatchObject({ kind: "dry-run", plan: { units: [{ tag: "demo-core-v1.5.0" }] } });
    change(dir, "crates/cli/src/main.rs", "fix(cli): y");
    expect(run(dir, { dryRun: true })).toMatchObject({
      kind: "error",
      message: expect.stringMatching(
        /^Cargo\.toml:7:11: workspace\.package\.version is shared by cargo:demo-cli, cargo:demo-core, which would get different versions \(1\.4\.3, 1\.5\.0\)/,
      ),
    });
  });

  test("a bad release: setting points at its line", () => {
    const dir = fixtureRepo("rust-workspace", {
      files: { ".github/slipway.yml": "release:\n  mode: sometimes\n" },
    });
    expect(run(dir)).toMatchObject({
      kind: "error",
      code: 2,
      message: ".github/slipway.yml:2:9: release.mode must be 'unified' or 'per-package'",
    });
  });
});

describe("check-tag", () => {
  test("names every file and both versions when they differ; exit 2 on a tag that is no version", () => {
    const dir = fixtureRepo("rust-workspace");
    const r = checkTag(dir, "v1.5.0");
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      "Cargo.lock:7:11: package demo-cli is 1.4.2, tag v1.5.0 says 1.5.0",
      "Cargo.lock:15:11: package demo-core is 1.4.2, tag v1.5.0 says 1.5.0",
      "Cargo.toml:7:11: workspace.package.version is 1.4.2, tag v1.5.0 says 1.5.0",
      "crates/cli/Cargo.toml:3:11: package.version is 1.4.2, tag v1.5.0 says 1.5.0",
    ]);
    expect(checkTag(dir, "latest").code).toBe(2);
    expect(checkTag(dir, "nope-v1.4.2").code).toBe(2);
  });

  test("the tag from GITHUB_REF_NAME, else the one at HEAD", () => {
    const dir = fixtureRepo("npm-workspace");
    expect(checkTag(dir, undefined, { GITHUB_REF_NAME: "v2.0.0", GITHUB_REF_TYPE: "tag" }).code).toBe(0);
    expect(checkTag(dir, undefined, { GITHUB_REF_NAME: "v2.0.1" }).code).toBe(1);
    expect(checkTag(dir, undefined, {}).code).toBe(2);
    git(dir, "tag", "v2.0.0");
    expect(checkTag(dir, undefined, {})).toMatchObject({ code: 0 });
  });
});
