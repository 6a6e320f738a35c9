import { describe, expect, test } from "vitest";
import { prependSection, renderSection } from "./changelog.js";
import { parseCommit } from "./conventional.js";
import { forgeOf } from "./forge.js";

const c = (sha: string, message: string) => parseCommit({ sha: sha.repeat(40), message })!;

describe("forge links", () => {
  test("https (credentials dropped), scp-like and ssh:// remotes of GitHub/Gitea style forges", () => {
    for (const r of [
      "https://x-access-token:s3cret@github.com/acme/tool.git",
      "git@github.com:acme/tool.git",
      "ssh://git@github.com/acme/tool",
    ]) {
      const f = forgeOf(r)!;
      expect(f.web).toBe("https://github.com/acme/tool");
      expect(f.commit("abc")).toBe("https://github.com/acme/tool/commit/abc");
      expect(f.compare("v1.0.0", "v1.1.0")).toBe("https://github.com/acme/tool/compare/v1.0.0...v1.1.0");
    }
    expect(forgeOf("https://codeberg.org/acme/tool")!.tag("v1.0.0")).toBe(
      "https://codeberg.org/acme/tool/releases/tag/v1.0.0",
    );
    expect(forgeOf("git@gitlab.com:g/sub/tool.git")!.commit("abc")).toBe(
      "https://gitlab.com/g/sub/tool/-/commit/abc",
    );
  });

  test("local paths and file URLs are no forge: no links", () => {
    expect(forgeOf("/srv/git/tool.git")).toBeUndefined();
    expect(forgeOf("file:///srv/git/tool.git")).toBeUndefined();
    expect(forgeOf(undefined)).toBeUndefined();
  });
});

describe("changelog section", () => {
  const commits = [
    c("1", "feat(cli): add --json"),
    c("2", "fix: crash on empty input"),
    c("3", "perf: cache the index"),
    c("4", "docs: typo"),
    c("5", "refactor!: rename run to start\n\nBREAKING CHANGE: `run` is now `start`"),
  ];

  test("grouped as Keep a Changelog, breaking changes first, with commit and compare links", () => {
    const s = renderSection({
      version: "2.0.0",
      date: "2026-12-05",
      tag: "v2.0.0",
      previousTag: "v1.4.0",
      commits,
      forge: forgeOf("git@github.com:acme/tool.git"),
    });
    const url = "https://github.com/acme/tool/commit/";
    expect(s.markdown).toBe(
      [
        "## [2.0.0] - 2026-12-05",
        "",
        "### Breaking changes",
        "",
        `- rename run to start ([5555555](${url}${"5".repeat(40)}))`,
        "  `run` is now `start`",
        "",
        "### Added",
        "",
        `- **cli:** add --json ([1111111](${url}${"1".repeat(40)}))`,
        "",
        "### Fixed",
        "",
        `- crash on empty input ([2222222](${url}${"2".repeat(40)}))`,
        "",
        "### Performance",
        "",
        `- cache the index ([3333333](${url}${"3".repeat(40)}))`,
        "",
        "[2.0.0]: https://github.com/acme/tool/compare/v1.4.0...v2.0.0",
        "",
      ].join("\n"),
    );
    expect(s.notes).not.toContain("## [2.0.0]");
    expect(s.notes).toContain("**Full changelog**: https://github.com/acme/tool/compare/v1.4.0...v2.0.0");
  });

  test("without a known forge: short hashes, no links", () => {
    const s = renderSection({ version: "1.0.1", date: "2026-12-05", tag: "v1.0.1", commits: [commits[1]!] });
    expect(s.markdown).toBe("## 1.0.1 - 2026-12-05\n\n### Fixed\n\n- crash on empty input (2222222)\n");
  });

  test("prepended below the header; the rest of the file kept byte for byte", () => {
    const old =
      "# Changelog\r\n\nNotes.\n\n## [Unreleased]\n\n- wip\n\n## [1.0.0] - 2026-01-01\n\n- first\n\n[1.0.0]: x\n";
    const out = prependSection(old, "## [1.1.0] - 2026-12-05\n\n- new\n");
    const at = old.indexOf("## [1.0.0]");
    expect(out).toBe(`${old.slice(0, at)}## [1.1.0] - 2026-12-05\n\n- new\n\n${old.slice(at)}`);
    expect(prependSection("# Changelog\n", "## 1.0.0 - d\n")).toBe("# Changelog\n\n## 1.0.0 - d\n");
    expect(prependSection(undefined, "## 1.0.0 - d\n")).toMatch(
      /^# Changelog\n[\s\S]*Keep a Changelog[\s\S]*\n\n## 1\.0\.0 - d\n$/,
    );
  });
});
