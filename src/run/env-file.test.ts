import { describe, expect, test } from "vitest";
import { parseCommand } from "./commands.js";
import { blockedEnvName, parseEnvFile, parsePathFile } from "./env-file.js";
import { Masker } from "./mask.js";

describe("env files", () => {
  test("name=value keeps later = signs", () => {
    expect(parseEnvFile("KEY=value=another\nB=\n")).toEqual({
      ok: true,
      values: [
        ["KEY", "value=another"],
        ["B", ""],
      ],
    });
  });
  test("multi-line heredoc form", () => {
    const r = parseEnvFile("K<<EOF\nline 1\nline 2\nEOF\nX=1\n");
    expect(r).toEqual({
      ok: true,
      values: [
        ["K", "line 1\nline 2"],
        ["X", "1"],
      ],
    });
  });
  test("heredoc with an = in the delimiter line is still heredoc", () => {
    expect(parseEnvFile("K<<ghadelimiter_a=b\nv\nghadelimiter_a=b\n")).toEqual({
      ok: true,
      values: [["K", "v"]],
    });
  });
  test("unterminated heredoc and bare words are errors", () => {
    expect(parseEnvFile("K<<EOF\nv\n")).toMatchObject({ ok: false, error: expect.stringContaining("EOF") });
    expect(parseEnvFile("nonsense\n")).toMatchObject({ ok: false });
  });
  test("GITHUB_PATH lines", () => {
    expect(parsePathFile("/a\n\n /b \n")).toEqual(["/a", "/b"]);
  });
});

describe("workflow commands", () => {
  test("parses properties and escapes", () => {
    expect(parseCommand("::error file=app.js,line=10,col=2,title=Bad%3A thing::oops%0Anext")).toEqual({
      name: "error",
      props: { file: "app.js", line: "10", col: "2", title: "Bad: thing" },
      message: "oops\nnext",
    });
    expect(parseCommand("::set-output name=zoo::zar")).toEqual({
      name: "set-output",
      props: { name: "zoo" },
      message: "zar",
    });
    expect(parseCommand("::endgroup::")).toEqual({ name: "endgroup", props: {}, message: "" });
  });
  test("ordinary lines are not commands", () => {
    expect(parseCommand("echo ::error::x")).toBeUndefined();
    expect(parseCommand("a :: b")).toBeUndefined();
  });
});

describe("masker", () => {
  test("masks values, longest first, and multi-line secrets line by line", () => {
    const m = new Masker();
    m.add("abc");
    m.add("abcdef");
    m.add("first line\nsecond line");
    expect(m.mask("x abcdef y abc")).toBe("x *** y ***");
    expect(m.mask("second line only")).toBe("*** only");
  });
  test("ignores empty and one-character values", () => {
    const m = new Masker();
    m.add("");
    m.add("a");
    expect(m.mask("a b")).toBe("a b");
    expect(m.size).toBe(0);
  });
});

describe("blocked env names", () => {
  test("NODE_OPTIONS in any case, and nothing else", () => {
    expect(blockedEnvName("NODE_OPTIONS")).toBe("NODE_OPTIONS");
    expect(blockedEnvName("node_Options")).toBe("NODE_OPTIONS");
    expect(blockedEnvName("NODE_OPTIONS_X")).toBeUndefined();
    expect(blockedEnvName("PATH")).toBeUndefined();
  });
});
