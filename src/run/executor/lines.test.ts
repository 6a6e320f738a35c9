import { describe, expect, test } from "vitest";
import { Masker } from "../mask.js";
import { cutLine } from "../step-process.js";
import { type LineCut, lineSplitter } from "./lines.js";

function split(chunks: (string | Uint8Array)[], max?: number, look?: number) {
  const out: { line: string; cut?: LineCut }[] = [];
  const s = lineSplitter((line, cut) => out.push(cut ? { line, cut } : { line }), max, look);
  for (const c of chunks) s.data(typeof c === "string" ? Buffer.from(c) : c);
  s.end();
  return out;
}

describe("line splitter", () => {
  test("LF and CRLF lines, a last line without newline, UTF-8 split across chunks", () => {
    const e = Buffer.from("é");
    expect(split(["a\r\nb", "\nc", Buffer.from([0x78, e[0]!]), Buffer.from([e[1]!, 0x0a]), "tail"])).toEqual([
      { line: "a" },
      { line: "b" },
      { line: "cxé" },
      { line: "tail" },
    ]);
  });

  test("a line over the limit is cut there, with the count of what was dropped and the text after the cut", () => {
    const long = `${"a".repeat(10)}${"b".repeat(5)}${"c".repeat(20)}`;
    const out = split([long.slice(0, 7), long.slice(7, 30), long.slice(30), "\nnext\n"], 10, 5);
    expect(out).toEqual([{ line: "a".repeat(10), cut: { dropped: 25, next: "bbbbb" } }, { line: "next" }]);
  });

  test("a 50 MB line in 64 KB chunks costs time in proportion to its length", () => {
    const chunk = Buffer.alloc(65536, 0x79);
    let lines = 0;
    const s = lineSplitter(() => lines++);
    const t = performance.now();
    for (let i = 0; i < 800; i++) s.data(chunk);
    s.data(Buffer.from("\n"));
    // Before, every chunk searched and copied the whole line so far: 32 s for 50 MB.
    expect(performance.now() - t).toBeLessThan(3000);
    expect(lines).toBe(1);
  });

  test("a secret across the cut is masked, not shown by its first characters", () => {
    const masker = new Masker();
    masker.add("s3cr3t-value");
    const job = { masker };
    const line = `${"x".repeat(20)}s3cr3t`;
    const out = cutLine(job, line, { dropped: 100, next: "-value and more" });
    expect(out).not.toContain("s3cr3t");
    expect(out.startsWith(`${"x".repeat(20)}***`)).toBe(true);
    expect(out).toContain("100 more characters not shown");
    // Secrets inside the kept part are masked as usual.
    expect(cutLine(job, "a s3cr3t-value b", { dropped: 1, next: "c" })).toMatch(/^a \*\*\* b \[slipway/);
  });
});
