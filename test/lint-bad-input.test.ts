import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { slipway } from "./helpers/cli.js";

// Issue 4's bad input: binary, non-UTF-8, huge files and alias bombs are errors of the run
// (exit 2, a clear line each, bounded time), not findings; readable files are still checked.
function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-badlint-"));
  const wf = join(dir, ".github/workflows");
  mkdirSync(wf, { recursive: true });
  writeFileSync(join(wf, "binary.yml"), Buffer.from([0x6f, 0x6e, 0x3a, 0x00, 0xff, 0x10, 0x41]));
  writeFileSync(
    join(wf, "latin1.yml"),
    Buffer.concat([Buffer.from("on: push\nname: caf"), Buffer.from([0xe9, 0x0a])]),
  );
  const level = (n: number) =>
    `l${n}: &l${n} [${Array.from({ length: 9 }, () => (n ? `*l${n - 1}` : '"x"')).join(", ")}]`;
  writeFileSync(
    join(wf, "bomb.yml"),
    `${Array.from({ length: 8 }, (_, i) => level(i)).join("\n")}\non: push\n`,
  );
  writeFileSync(join(wf, "huge.yml"), `on: push\n#${"x".repeat(10 * 1024 * 1024)}\n`);
  writeFileSync(
    join(wf, "ok.yml"),
    "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n",
  );
  return dir;
}

describe.each(["lint", "audit"])("slipway %s on bad input", (cmd) => {
  const dir = repo();
  const t0 = Date.now();
  const r = slipway([cmd, "--fail-on", "never"], dir);
  const ms = Date.now() - t0;

  test("exit 2 with one clear line per unreadable file, within bounds", () => {
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`slipway ${cmd}: \\.github/workflows/binary\\.yml:1:4: the file contains a NUL byte`),
    );
    expect(r.stderr).toMatch(/latin1\.yml:2:\d+: the file is not valid UTF-8 text/);
    expect(r.stderr).toMatch(
      /bomb\.yml:\d+:\d+: YAML aliases expand to more than 1000000 nodes; refusing to load/,
    );
    expect(r.stderr).toMatch(/huge\.yml: the file is \d+ bytes, over the 10485760-byte limit/);
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
    expect(ms).toBeLessThan(20_000);
  });

  test("readable files are still checked and nothing binary is echoed", () => {
    if (cmd === "audit") expect(r.stdout).toMatch(/ok\.yml[\s\S]*unpinned-action/);
    else expect(r.stdout).not.toMatch(/binary\.yml|\u0000/);
    expect(r.stdout).not.toContain("\ufffd");
  });
});

test("slipway score leaves unreadable files out of the card and exits 2", () => {
  const r = slipway(["score"], repo());
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(/Pipeline score: \d+\/100/);
  expect(r.stderr).toMatch(
    /slipway score: \.github\/workflows\/binary\.yml:1:4: the file contains a NUL byte/,
  );
});

describe("symbolic-link loops under .github/", () => {
  function loopRepo(): { dir: string; wf: string; before: string } {
    const dir = mkdtempSync(join(tmpdir(), "slipway-symloop-"));
    const wf = join(dir, ".github/workflows");
    mkdirSync(wf, { recursive: true });
    const before =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n";
    writeFileSync(join(wf, "ci.yml"), before);
    symlinkSync("..", join(wf, "up")); // a folder that contains itself
    symlinkSync("b", join(dir, ".github/a")); // a pair that never resolves
    symlinkSync("a", join(dir, ".github/b"));
    symlinkSync("missing", join(dir, ".github/dangling")); // not a loop: nothing to say
    return { dir, wf, before };
  }

  test.each(["lint", "audit", "score", "pin --check"])("slipway %s names each loop and exits 2", (cmd) => {
    const { dir } = loopRepo();
    const r = slipway([...cmd.split(" ")], dir);
    expect(r.code).toBe(2);
    const name = cmd.split(" ")[0];
    expect(r.stderr).toContain(
      `slipway ${name}: .github/workflows/up: symbolic link loop (it points back to .github); not followed`,
    );
    expect(r.stderr).toContain(`slipway ${name}: .github/a: symbolic link loop (the link never resolves)`);
    expect(r.stderr).not.toContain("dangling");
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  });

  test("slipway pin rewrites nothing when there is a loop", () => {
    const { dir, wf, before } = loopRepo();
    const r = slipway(["pin", "--offline"], dir);
    expect(r.code).toBe(2);
    expect(readFileSync(join(wf, "ci.yml"), "utf8")).toBe(before);
  });

  test("lint still checks the readable workflow", () => {
    const { dir } = loopRepo();
    const r = slipway(["lint", "--audit", "--fail-on", "never"], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/ci\.yml[\s\S]*unpinned-action/);
  });
});
