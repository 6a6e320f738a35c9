import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CoverageError, countLines, type FileLines, readCoverage, readLcov } from "./coverage-read.js";

/** Reports written by the real tools (test/fixtures/coverage/README.md says how). */
const FIX = join(import.meta.dirname, "../../test/fixtures/coverage");
const read = (name: string) => readCoverage(readFileSync(join(FIX, name), "utf8"), name);

const summary = (files: FileLines[]) => Object.fromEntries(files.map((f) => [f.path, countLines(f.lines)]));
const misses = (f: FileLines) => [...f.lines].filter(([, h]) => h === 0).map(([n]) => n);

describe("coverage reports", () => {
  test("Cobertura XML from pytest-cov: files relative to its <source>, lines found and hit", () => {
    const files = read("pytest-cov.xml");
    expect(summary(files)).toEqual({
      "__init__.py": { lines: 0, hit: 0 },
      "core.py": { lines: 6, hit: 5 },
      "text.py": { lines: 6, hit: 3 },
    });
    expect(files[1]!.roots).toEqual(["/work/wt/coverage-gate/test/fixtures/coverage-repo/calc"]);
    expect(misses(files[2]!)).toEqual([6, 7, 8]);
  });

  test("Cobertura XML from c8 (Istanbul's writer): a DOCTYPE, method lines not counted twice", () => {
    const files = read("c8-cobertura.xml");
    expect(summary(files)).toEqual({
      "src/shapes.mjs": { lines: 12, hit: 5 },
      "src/util.mjs": { lines: 6, hit: 3 },
    });
    expect(files[0]!.roots).toEqual(["/tmp/covscratch/js"]);
  });

  test("LCOV from c8: the same counts c8's own text report printed (shapes 5/12, util 3/6)", () => {
    const files = read("c8-lcov.info");
    expect(summary(files)).toEqual({
      "src/shapes.mjs": { lines: 12, hit: 5 },
      "src/util.mjs": { lines: 6, hit: 3 },
    });
    expect(misses(files[0]!)).toEqual([3, 4, 5, 6, 10, 11, 12]);
  });

  test("Istanbul JSON from c8: a line's hits from the statements starting on it; the same counts as its LCOV", () => {
    const files = read("c8-coverage-final.json");
    expect(summary(files)).toEqual({
      "/tmp/covscratch/js/src/shapes.mjs": { lines: 12, hit: 5 },
      "/tmp/covscratch/js/src/util.mjs": { lines: 6, hit: 3 },
    });
    expect(misses(files[1]!)).toEqual([4, 5, 6]);
  });

  test("Go cover profile from go test -coverprofile: a block's lines get its count, shared lines add up", () => {
    const files = read("go-coverage.out");
    expect(summary(files)).toEqual({ "example.com/gocov/calc/calc.go": { lines: 12, hit: 6 } });
    expect(misses(files[0]!)).toEqual([11, 12, 16, 17, 18, 19]);
    expect(() => readCoverage("mode: set\nnonsense\n", "c.out")).toThrow(
      "c.out:2:1: expected 'file:line.col,line.col statements count', got 'nonsense'",
    );
  });

  test("bad reports: file:line:col where there is one", () => {
    expect(() => readCoverage("<coverage><packages></coverage>", "c.xml")).toThrow(
      /^c\.xml:1:\d+: not valid XML/,
    );
    expect(() => readCoverage("<report/>", "c.xml")).toThrow(
      "c.xml: not a Cobertura XML report (its root element is <report>, not <coverage>)",
    );
    expect(() => readLcov("TN:\nSF:a.js\nDA:x,1\n", "l.info")).toThrow(
      "l.info:3:4: expected DA:<line>,<hits>, got 'DA:x,1'",
    );
    expect(() => readLcov("DA:1,1\n", "l.info")).toThrow("l.info:1:1: DA: line outside a file record");
    expect(() => readCoverage("{ nope", "c.json")).toThrow(/^c\.json: not valid JSON/);
    expect(() => readCoverage('{"a.js": {"x": 1}}', "c.json")).toThrow("'a.js' has no statementMap and s");
    expect(() => readCoverage("hello", "r.txt")).toThrow(CoverageError);
  });
});
