import { describe, expect, test } from "vitest";
import type { Finding } from "../lint/finding.js";
import { renderFindings } from "./findings.js";

const src = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    env:\n\tX: ${{ github.evnt }}\n";
const findings: Finding[] = [
  {
    rule: "unknown-property",
    severity: "error",
    message: "unknown property 'evnt', of: github",
    fix: "use github.event",
    file: ".github/workflows/ci.yml",
    line: 6,
    col: 18,
    endLine: 6,
    endCol: 22,
  },
  { rule: "job-output-unused", severity: "warning", message: "unused", file: "b.yml", line: 1, col: 1 },
];
const sources = new Map([[".github/workflows/ci.yml", src]]);

describe("renderFindings", () => {
  test("human: grouped by file, source line with a caret under the span, fix, summary", () => {
    const out = renderFindings(findings, "human", sources);
    expect(out).toBe(
      [
        ".github/workflows/ci.yml",
        "  6:18  error    unknown property 'evnt', of: github  [unknown-property]",
        "    6 | \tX: ${{ github.evnt }}",
        "      | \t                ^^^^",
        "    fix: use github.event",
        "",
        "b.yml",
        "  1:1  warning  unused  [job-output-unused]",
        "",
        "1 error, 1 warning in 2 files",
        "",
      ].join("\n"),
    );
    expect(renderFindings([], "human")).toBe("No problems found.\n");
  });

  test("github: workflow commands with escaped properties and data", () => {
    const out = renderFindings(findings, "github", sources).split("\n");
    expect(out[0]).toBe(
      "::error file=.github/workflows/ci.yml,line=6,col=18,endLine=6,endColumn=22,title=unknown-property::" +
        "unknown property 'evnt', of: github%0Afix: use github.event",
    );
    expect(out[1]).toBe("::warning file=b.yml,line=1,col=1,title=job-output-unused::unused");
  });

  test("sarif: 2.1.0 with rules, levels and regions code scanning accepts", () => {
    const log = JSON.parse(renderFindings(findings, "sarif", sources));
    expect(log.version).toBe("2.1.0");
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      "job-output-unused",
      "unknown-property",
    ]);
    expect(run.results[0]).toMatchObject({
      ruleId: "unknown-property",
      ruleIndex: 1,
      level: "error",
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: ".github/workflows/ci.yml", uriBaseId: "%SRCROOT%" },
            region: { startLine: 6, startColumn: 18, endLine: 6, endColumn: 22 },
          },
        },
      ],
    });
    expect(run.results[1].level).toBe("warning");
  });

  test("json: the findings as an array", () => {
    expect(JSON.parse(renderFindings(findings, "json"))).toEqual(findings);
  });
});

const at = (line: number, col: number, endCol?: number): Finding => ({
  rule: "syntax",
  severity: "error",
  message: "Unexpected value 'x'",
  file: "a.yml",
  line,
  col,
  ...(endCol ? { endLine: line, endCol } : {}),
});

describe("human findings on long lines", () => {
  test("a long line is clipped around the column: output linear in the input", () => {
    // A one-line workflow of 200 KB with a finding every 1,000 columns (40 MB of output before).
    const line = "x".repeat(200_000);
    const findings = Array.from({ length: 200 }, (_, i) => at(1, i * 1000 + 1, i * 1000 + 100_000));
    const out = renderFindings(findings, "human", new Map([["a.yml", `${line}\n`]]));
    expect(out.length).toBeLessThan(findings.length * 400);
    const [, src, caret] = out.split("\n").slice(1, 4);
    expect(src).toBe(`    1 | ${"x".repeat(120)}…`);
    expect(caret).toBe(`      | ${"^".repeat(120)}`);
  });

  test("the caret stays under the column in a clipped line", () => {
    const text = `${"a".repeat(5000)}HERE${"b".repeat(5000)}`;
    const out = renderFindings([at(1, 5001)], "human", { "a.yml": text }).split("\n");
    const src = out[2]!;
    const caret = out[3]!;
    expect(src.length).toBeLessThan(140);
    expect(src.slice(caret.indexOf("^"), caret.indexOf("^") + 4)).toBe("HERE");
  });

  test("short lines are shown whole", () => {
    const out = renderFindings([at(2, 3, 6)], "human", { "a.yml": "on: push\njobs: x  \n" });
    expect(out).toContain("    2 | jobs: x\n      |   ^^^\n");
  });
});
