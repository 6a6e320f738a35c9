// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression text, not JS templates
import { NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import type { MappingToken } from "@actions/workflow-parser/templates/tokens/mapping-token";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { describe, expect, test } from "vitest";
import { splitTemplate } from "./split.js";
import { evaluateTemplate, interpolate } from "./template.js";
import { ExprError, type ExprHost } from "./types.js";

/** Parse a workflow with GitHub's parser and return the token at jobs.build.<field>. */
function jobField(yaml: string, field: string): TemplateToken {
  const parsed = parseWorkflow({ name: "w.yml", content: yaml }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors();
  if (errors.length) throw new Error(errors.map((e) => e.message).join("\n"));
  const root = parsed.value as MappingToken;
  const build = (root.find("jobs") as MappingToken).find("build") as MappingToken;
  return build.find(field)!;
}

const host: ExprHost = {
  contexts: {
    github: { repository: "o/r", ref_name: "main" },
    matrix: { os: "linux", node: 22, extra: { EXTRA_ONE: "1", EXTRA_TWO: true } },
    vars: {},
    needs: {},
    inputs: {},
    secrets: {},
    strategy: {},
  },
};

describe("evaluateTemplate", () => {
  test("nested mapping with literals, expressions and format-style strings", () => {
    const tok = jobField(
      `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      PLAIN: hello
      NUM: 3
      BOOL: true
      WHOLE: \${{ matrix.node }}
      MIXED: node-\${{ matrix.node }} on \${{ matrix.os }} ({x})
      NESTED_QUOTE: "\${{ format('{0}/{1}', github.repository, github.ref_name) }}"
    steps:
      - run: echo
`,
      "env",
    );
    expect(evaluateTemplate(tok, host)).toEqual({
      PLAIN: "hello",
      // env is a string-valued schema: the parser already turns literals into strings.
      NUM: "3",
      BOOL: "true",
      WHOLE: 22,
      MIXED: "node-22 on linux ({x})",
      NESTED_QUOTE: "o/r/main",
    });
  });

  test("sequences and mappings recurse; insert merges a mapping in place", () => {
    const tok = jobField(
      `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        os:
          - linux
          - \${{ github.ref_name }}
        include:
          - a: 1
            \${{ insert }}: \${{ fromJSON('{"x":2,"y":[true]}') }}
    steps:
      - run: echo
`,
      "strategy",
    );
    expect(evaluateTemplate(tok, host)).toEqual({
      matrix: { os: ["linux", "main"], include: [{ a: 1, x: 2, y: [true] }] },
    });
  });

  test("insert of a non-mapping is an evaluation error", () => {
    const tok = jobField(
      `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        \${{ insert }}: \${{ github.ref_name }}
    steps:
      - run: echo
`,
      "strategy",
    );
    const run = () => evaluateTemplate(tok, host);
    expect(run).toThrow(ExprError);
    expect(run).toThrow(/insert/);
  });
});

describe("interpolate", () => {
  test("replaces each expression with its text", () => {
    expect(interpolate("${{ matrix.os }}-${{ matrix.node }}-${{ matrix.missing }}!", host)).toBe(
      "linux-22-!",
    );
    expect(interpolate("no expressions", host)).toBe("no expressions");
    expect(interpolate("${{ matrix.extra }}", host)).toBe('{\n  "EXTRA_ONE": "1",\n  "EXTRA_TWO": true\n}');
  });

  test("}} inside a string literal does not close the expression", () => {
    expect(interpolate("a${{ format('}}{0}', 'b') }}c", host)).toBe("a}bc");
  });

  test("an unclosed ${{ stays as text; bad expressions throw ExprError", () => {
    expect(interpolate("x ${{ y", host)).toBe("x ${{ y");
    expect(() => interpolate("${{ nope.x }}", host)).toThrow(ExprError);
  });
});

test("splitTemplate marks literal and expression parts", () => {
  expect(splitTemplate("a ${{ b }} c${{d}}")).toEqual([
    { text: "a ", expr: false },
    { text: "b", expr: true },
    { text: " c", expr: false },
    { text: "d", expr: true },
  ]);
});
