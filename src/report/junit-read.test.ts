import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { JUnitError, readJUnit } from "./junit-read.js";

// Written by the real tools: see test/fixtures/junit/README.md.
const fixture = (f: string) =>
  readFileSync(join(import.meta.dirname, "../../test/fixtures/junit", f), "utf8");

describe("readJUnit", () => {
  test("pytest --junitxml (xunit2: no file attribute): outcomes, messages, the failing line", () => {
    const cases = readJUnit(fixture("pytest.xml"), "pytest.xml");
    expect(cases.map((c) => [c.name, c.outcome])).toEqual([
      ["test_sample.test_adds", "passed"],
      ["test_sample.test_fails", "failed"],
      ["test_sample.test_skipped", "skipped"],
      ["test_sample.test_errors_in_fixture", "error"],
      ["test_sample.TestGroup.test_in_class", "passed"],
    ]);
    expect(cases[1]).toMatchObject({
      suite: "pytest",
      file: "test_sample.py",
      line: 7,
      message: "AssertionError: math is broken\nassert (2 * 2) == 5",
    });
    expect(cases[2]!.message).toBe("not on this platform");
    expect(cases[0]!.file).toBeUndefined();
  });

  test("pytest xunit1: file and line attributes (pytest's are 0-based)", () => {
    const cases = readJUnit(fixture("pytest-xunit1.xml"), "pytest-xunit1.xml");
    expect(cases[0]).toMatchObject({ file: "test_sample.py", line: 3, outcome: "passed" });
    // A failure is placed at the failing line, not at the def.
    expect(cases[1]).toMatchObject({ file: "test_sample.py", line: 7 });
    expect(cases[4]).toMatchObject({ file: "test_sample.py", line: 17 });
  });

  test("vitest junit reporter: durations, the failing line from the stack, system-out", () => {
    const cases = readJUnit(fixture("vitest.xml"), "vitest.xml");
    expect(cases.map((c) => [c.suite, c.name, c.outcome])).toEqual([
      ["sample.test.ts", "math > adds", "passed"],
      ["sample.test.ts", "math > fails", "failed"],
      ["sample.test.ts", "math > skipped", "skipped"],
      ["sample.test.ts", "top level", "passed"],
    ]);
    expect(cases[1]).toMatchObject({ file: "sample.test.ts", line: 8, durationMs: 5 });
    expect(cases[1]!.message).toBe("expected 4 to be 5 // Object.is equality");
  });

  test("cargo test (libtest --format junit): the panic in system-out gives the message and the line", () => {
    const cases = readJUnit(fixture("cargo-libtest.xml"), "cargo-libtest.xml");
    // libtest leaves ignored tests out of the report (its suite counts them as skipped).
    expect(cases).toEqual([
      { suite: "test", name: "tests.adds", durationMs: 0, outcome: "passed" },
      {
        suite: "test",
        name: "tests.fails",
        durationMs: 0,
        outcome: "failed",
        file: "src/lib.rs",
        line: 16,
        message: "assertion `left == right` failed: math is broken\n  left: 4\n right: 5",
      },
    ]);
  });

  test("go test through gotestsum --junitfile: the t.Error lines give the message and the line", () => {
    const cases = readJUnit(fixture("gotestsum.xml"), "gotestsum.xml");
    expect(cases.map((c) => [c.suite, c.name, c.outcome, c.file, c.line, c.message])).toEqual([
      [
        "example.com/sample",
        "TestFails",
        "failed",
        "sample_test.go",
        13,
        "sample_test.go:13: math is broken: got 4, want 5",
      ],
      ["example.com/sample", "TestSub/bad", "failed", "sample_test.go", 23, "sample_test.go:23: sub failed"],
      ["example.com/sample", "TestSub", "failed", undefined, undefined, "Failed"],
      [
        "example.com/sample",
        "TestSkipped",
        "skipped",
        undefined,
        undefined,
        expect.stringContaining("not here"),
      ],
      ["example.com/sample", "TestAdds", "passed", undefined, undefined, undefined],
      ["example.com/sample", "TestSub/ok", "passed", undefined, undefined, undefined],
    ]);
  });

  test("nested suites, a lone <testsuite>, missing attributes, CDATA", () => {
    const xml = `<?xml version="1.0"?>
<testsuite name="outer" tests="3">
  <testsuite name="pkg/inner">
    <testcase classname="pkg/inner" name="TestA" time="1.5"/>
    <testcase name="TestB"><failure><![CDATA[inner_test.go:12: want 1, got 2]]></failure></testcase>
  </testsuite>
  <testcase/>
</testsuite>`;
    expect(readJUnit(xml, "go.xml")).toEqual([
      { suite: "outer", name: "(unnamed)", durationMs: 0, outcome: "passed" },
      { suite: "pkg/inner", name: "TestA", durationMs: 1500, outcome: "passed" },
      {
        suite: "pkg/inner",
        name: "TestB",
        durationMs: 0,
        outcome: "failed",
        message: "inner_test.go:12: want 1, got 2",
      },
    ]);
  });

  test("bad XML names the file, line and column; other XML is refused", () => {
    expect(() => readJUnit("<testsuites>\n<testsuite></testsuites>", "r.xml")).toThrow(
      /^r\.xml:2:12: not valid XML/,
    );
    expect(() => readJUnit("<coverage/>", "c.xml")).toThrow(JUnitError);
    expect(() => readJUnit("<coverage/>", "c.xml")).toThrow(/root element is <coverage>/);
    expect(readJUnit("<testsuites/>", "e.xml")).toEqual([]);
  });
});
