import { describe, expect, test } from "vitest";
import { resolveShell, shellArgv } from "./shells.js";

const PATH = process.env.PATH ?? "";

describe("shells", () => {
  test("GitHub's bash and sh templates", () => {
    const bash = resolveShell("bash", PATH);
    expect(bash.ok && shellArgv(bash.shell, "/t/s.sh")).toEqual([
      "bash",
      "--noprofile",
      "--norc",
      "-eo",
      "pipefail",
      "/t/s.sh",
    ]);
    const sh = resolveShell("sh", PATH);
    expect(sh.ok && shellArgv(sh.shell, "/t/s.sh")).toEqual(["sh", "-e", "/t/s.sh"]);
  });
  test("unspecified shell is bash -e when bash exists", () => {
    const d = resolveShell(undefined, PATH);
    expect(d.ok && d.shell.argv).toEqual(["bash", "-e", "{0}"]);
    const none = resolveShell(undefined, "/nonexistent");
    expect(none.ok && none.shell.argv).toEqual(["sh", "-e", "{0}"]);
  });
  test("custom templates need {0}", () => {
    const c = resolveShell("perl -w {0}", PATH);
    expect(c.ok && shellArgv(c.shell, "x")).toEqual(["perl", "-w", "x"]);
    const bad = resolveShell("fish", PATH);
    expect(bad).toMatchObject({ ok: false, error: expect.stringContaining("unknown shell 'fish'") });
  });
  test("Windows-only shells are refused clearly", () => {
    expect(resolveShell("cmd", PATH)).toMatchObject({ ok: false, error: expect.stringContaining("Windows") });
  });
});
