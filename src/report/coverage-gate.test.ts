import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { changedLines } from "./changed-lines.js";
import { type Gate, judge, parseCodecovYaml, pathMatcher } from "./coverage-gate.js";

const gate = (g: Partial<Gate>): Gate => ({
  kind: "project",
  name: "default",
  target: 80,
  threshold: 0,
  informational: false,
  ...g,
});

describe("codecov.yml", () => {
  test("project and patch statuses: targets as numbers, '80%' or auto; threshold; informational; off", () => {
    const c = parseCodecovYaml(
      `coverage:
  status:
    project:
      default:
        target: "80%"
        threshold: 0.5
        paths: [src]
      backend:
        target: auto
        informational: true
    patch:
      default:
        target: 70
`,
      "codecov.yml",
    );
    expect(c.gates).toEqual([
      gate({ target: 80, threshold: 0.5, paths: ["src"] }),
      gate({ name: "backend", target: "auto", informational: true }),
      gate({ kind: "patch", target: 70 }),
    ]);
    expect(c.ignored).toEqual([]);
    expect(c.ignore).toEqual([]);
    // No target: Codecov's default, auto.
    expect(parseCodecovYaml("coverage:\n  status:\n    patch:\n      default: {}\n", "c").gates).toEqual([
      gate({ kind: "patch", target: "auto" }),
    ]);
    expect(parseCodecovYaml("coverage:\n  status:\n    project: off\n    patch: false\n", "c").gates).toEqual(
      [],
    );
    expect(parseCodecovYaml("comment: false\n", "c").gates).toEqual([]);
  });

  test("ignore and paths: Codecov's patterns (a folder, a glob, a regex, ! to exclude)", () => {
    const c = parseCodecovYaml(
      'ignore:\n  - "project2"\n  - "**/*_pb2.py"\n  - "test_.*\\\\.rb"\nflags: {}\n',
      "codecov.yml",
    );
    expect(c.ignore).toEqual(["project2", "**/*_pb2.py", "test_.*\\.rb"]);
    const ignored = pathMatcher(c.ignore);
    expect(
      ["project2/a.py", "project2/x/b.py", "src/gen/m_pb2.py", "m_pb2.py", "test_a.rb"].filter(ignored),
    ).toEqual(["project2/a.py", "project2/x/b.py", "src/gen/m_pb2.py", "m_pb2.py", "test_a.rb"]);
    // Near misses: project2 below src/, a name that only starts alike, a regex that must match from the start.
    expect(["src/project2/a.py", "proj/a.py", "lib/test_a.rb", "m_pb2.pyc"].filter(ignored)).toEqual([]);
    const src = pathMatcher(["src/", "!src/vendor/**"]);
    expect(["src/a.rs", "src/vendor/x.rs", "lib/a.rs"].filter(src)).toEqual(["src/a.rs"]);
    expect(pathMatcher(["tests/*"])("tests/a.py")).toBe(true);
    expect(pathMatcher(["tests/*"])("tests/deep/a.py")).toBe(false);
    expect(() => parseCodecovYaml("ignore:\n  a: b\n", "codecov.yml")).toThrow(
      "codecov.yml:2:3: ignore: expected a list of paths",
    );
  });

  test("bad input: file:line:col", () => {
    expect(() =>
      parseCodecovYaml(
        "coverage:\n  status:\n    project:\n      default:\n        target: lots\n",
        "codecov.yml",
      ),
    ).toThrow(
      'codecov.yml:5:17: coverage.status.project.default.target: expected a percentage (80, "80%" or "auto"), got "lots"',
    );
    expect(() =>
      parseCodecovYaml(
        "coverage:\n  status:\n    project:\n      default:\n        threshold: auto\n",
        "c.yml",
      ),
    ).toThrow(
      'c.yml:5:20: coverage.status.project.default.threshold: expected a percentage (80, "80%"), got "auto"',
    );
    expect(() => parseCodecovYaml("coverage: [\n", "c.yml")).toThrow(/^c\.yml:\d+:\d+: not valid YAML/);
  });

  test("gates: threshold below the target still passes; auto is the base; informational never fails", () => {
    const t = { lines: 100, hit: 79 };
    expect(judge(gate({}), t, undefined)).toMatchObject({ passed: false, actual: 79, target: 80 });
    expect(judge(gate({ threshold: 1 }), t, undefined).passed).toBe(true);
    expect(judge(gate({ target: "auto" }), t, { lines: 10, hit: 8 })).toMatchObject({
      passed: false,
      target: 80,
    });
    expect(judge(gate({ target: "auto" }), t, undefined).message).toContain("no base run on record");
    const info = judge(gate({ informational: true }), t, undefined);
    expect(info.passed).toBe(true);
    expect(info.message).toContain("below, informational");
    // A patch that touches no covered line passes.
    expect(judge(gate({ kind: "patch" }), { lines: 0, hit: 0 }, undefined).passed).toBe(true);
  });
});

test("changed lines: the new side of git diff, per file, on a real repository", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-diff-"));
  const git = (...a: string[]) => execFileSync("git", a, { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  git("config", "user.email", "t@example.com");
  git("config", "user.name", "t");
  writeFileSync(join(dir, "a.py"), "one\ntwo\nthree\n");
  writeFileSync(join(dir, "gone.py"), "x\n");
  git("add", "-A");
  git("commit", "-q", "-m", "1");
  const base = git("rev-parse", "HEAD");
  writeFileSync(join(dir, "a.py"), "one\nTWO\nthree\nfour\nfive\n");
  writeFileSync(join(dir, "b.py"), "new\n");
  git("rm", "-q", "gone.py");
  git("add", "-A");
  git("commit", "-q", "-m", "2");
  const changed = changedLines(dir, base, git("rev-parse", "HEAD"))!;
  expect(Object.fromEntries([...changed].map(([f, s]) => [f, [...s]]))).toEqual({
    "a.py": [2, 4, 5],
    "b.py": [1],
  });
  expect(changedLines(dir, "0123456789012345678901234567890123456789", "HEAD")).toBeUndefined();
});
