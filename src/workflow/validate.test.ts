import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { formatDiagnostic } from "./diagnostic.js";
import { loadWorkflow, loadWorkflowText } from "./load.js";
import { checkSource, decodeWorkflow } from "./validate.js";

const fx = join(import.meta.dirname, "../../test/fixtures/validate");
const load = (name: string) => loadWorkflow(join(fx, name), fx);
const text = (content: string, options = {}) => loadWorkflowText(content, "w.yml", "w.yml", fx, options);

describe("bad input", () => {
  test("a clean file loads", async () => {
    const wf = await load("ok.yml");
    expect(wf.diagnostics).toEqual([]);
    expect(wf.template?.jobs).toHaveLength(1);
  });

  test("NUL bytes: one diagnostic at the byte, no parse", async () => {
    const wf = await load("binary.yml");
    expect(wf.diagnostics.map(formatDiagnostic)).toEqual([
      "binary.yml:2:6: the file contains a NUL byte: it is binary, not a YAML workflow",
    ]);
    expect(wf.root).toBeUndefined();
  });

  test("invalid UTF-8: one diagnostic at the first bad byte", async () => {
    const wf = await load("latin1.yml");
    expect(wf.diagnostics.map(formatDiagnostic)).toEqual([
      "latin1.yml:6:15: the file is not valid UTF-8 text",
    ]);
  });

  test("a UTF-8 BOM is accepted", async () => {
    const wf = await load("bom.yml");
    expect(wf.diagnostics).toEqual([]);
    expect(wf.name).toBe("bom");
  });

  test("files over 10 MB are refused without reading them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-big-"));
    try {
      const big = join(dir, "big.yml");
      writeFileSync(big, "");
      truncateSync(big, 11 * 1024 * 1024);
      const wf = await loadWorkflow(big, dir);
      expect(wf.diagnostics).toHaveLength(1);
      expect(wf.diagnostics[0]?.message).toBe(
        "file is 11534336 bytes, over the 10485760-byte limit for a workflow",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("text over the size limit is refused", () => {
    expect(checkSource("on: push\n".repeat(20), "w.yml", { maxFileSize: 100 })).toEqual([
      { file: "w.yml", message: "The maximum file size of 100 characters has been exceeded" },
    ]);
  });

  test("an alias bomb stops quickly with one diagnostic at the alias", async () => {
    const started = Date.now();
    const wf = await load("bomb.yml");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(wf.diagnostics.map(formatDiagnostic)).toEqual([
      "bomb.yml:7:9: YAML aliases expand to more than 1000000 nodes; refusing to load",
    ]);
  });

  test("a few aliases are fine", async () => {
    const wf = await text("on: push\njobs:\n  a: &j\n    runs-on: x\n    steps: [{run: hi}]\n  b: *j\n");
    expect(wf.diagnostics).toEqual([]);
    expect(wf.template?.jobs.map((j) => j.id.value)).toEqual(["a", "b"]);
  });

  test("decodeWorkflow returns text for UTF-8", () => {
    expect(decodeWorkflow(new TextEncoder().encode("a: é"))).toEqual({ content: "a: é" });
  });
});

describe("checks the package misses", () => {
  test("depth limit", async () => {
    const deep = `on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: hi\n        env: ${"[".repeat(60)}${"]".repeat(60)}\n`;
    const wf = await text(deep);
    expect(wf.diagnostics.map((d) => d.message)).toEqual(["Maximum object depth exceeded"]);
  });

  test("explicit YAML tags", async () => {
    const wf = await text(
      'on: push\njobs:\n  a:\n    runs-on: !!bool nope\n    timeout-minutes: !!int "5"\n    steps:\n      - run: !!binary aGk=\n',
    );
    expect(wf.diagnostics.map(formatDiagnostic)).toEqual([
      "w.yml:4:14: The value 'nope' on line 4 and column 14 is invalid for the type 'tag:yaml.org,2002:bool'",
      "w.yml:5:22: The scalar style 'DoubleQuoted' on line 5 and column 22 is not valid with the tag 'tag:yaml.org,2002:int'",
      "w.yml:7:14: Unexpected tag 'tag:yaml.org,2002:binary'",
    ]);
  });

  test("step uses syntax, step ids, matrix vectors, expression length", async () => {
    const long = "a".repeat(30);
    const wf = await text(
      `on: push\njobs:\n  a:\n    runs-on: {group: org/x}\n    strategy: {matrix: {os: []}}\n    steps:\n      - uses: checkout@v4\n        id: s1\n      - uses: $/.github/actions/mine\n      - run: hi\n        id: S1\n      - run: echo \${{ '${long}' }}\n`,
      { limits: { maxExpressionLength: 20 } },
    );
    expect(wf.diagnostics.map(formatDiagnostic)).toEqual([
      "w.yml:5:29: Matrix vector 'os' does not contain any values",
      "w.yml:7:15: Expected format {org}/{repo}[/path]@ref. Actual 'checkout@v4'",
      "w.yml:11:13: The identifier 'S1' may not be used more than once within the same scope.",
      "w.yml:12:14: Exceeded max expression length 20",
    ]);
  });

  test("reusable workflow: permissions and input types from a local called file", async () => {
    const wf = await load("reusable.yml");
    expect(wf.diagnostics.map(formatDiagnostic)).toEqual([
      "reusable.yml:8:13: Unexpected value 'yes-please'",
      "reusable.yml:5:3: Error calling workflow './.github/workflows/called.yml'. The nested job 'deploy' is requesting 'contents: write', but is only allowed 'contents: read'.",
    ]);
  });

  test("reusable workflow: in-memory files, nesting depth and job count", async () => {
    const leaf = "on: workflow_call\njobs:\n  j:\n    runs-on: x\n    steps: [{run: hi}]\n";
    const mid = "on: workflow_call\njobs:\n  m:\n    uses: o/r/.github/workflows/leaf.yml@v1\n";
    const files = { "o/r/.github/workflows/mid.yml@v1": mid, "o/r/.github/workflows/leaf.yml@v1": leaf };
    const main = "on: push\njobs:\n  c:\n    uses: o/r/.github/workflows/mid.yml@v1\n";
    expect((await text(main, { files })).diagnostics).toEqual([]);
    const tooDeep = await text(main, { files, limits: { maxNestedReusableDepth: 1 } });
    expect(tooDeep.diagnostics.map(formatDiagnostic)).toEqual([
      "o/r/.github/workflows/mid.yml@v1:3:3: Nested reusable workflow depth exceeded 1.",
    ]);
    // By default, as on github.com (and in `slipway run`): nine nested reusable workflows, not ten.
    const chain = (n: number) => {
      const f: Record<string, string> = { [`o/r/.github/workflows/w${n}.yml@v1`]: leaf };
      for (let i = 1; i < n; i++)
        f[`o/r/.github/workflows/w${i}.yml@v1`] =
          `on: workflow_call\njobs:\n  m:\n    uses: o/r/.github/workflows/w${i + 1}.yml@v1\n`;
      return f;
    };
    const top = "on: push\njobs:\n  c:\n    uses: o/r/.github/workflows/w1.yml@v1\n";
    expect((await text(top, { files: chain(9) })).diagnostics).toEqual([]);
    expect((await text(top, { files: chain(10) })).diagnostics.map(formatDiagnostic)).toEqual([
      "o/r/.github/workflows/w9.yml@v1:3:3: Nested reusable workflow depth exceeded 9.",
    ]);
    const tooMany = await text(main, { files, limits: { maxJobs: 2 } });
    expect(tooMany.diagnostics.map((d) => d.message)).toEqual([
      "The workflow may not contain more than 2 jobs",
    ]);
  });
});

describe("messages a user can act on (issue 9)", () => {
  const load = (text: string) =>
    loadWorkflowText(text, "w.yml", "/x/w.yml", "/x").then((w) => w.diagnostics.map(formatDiagnostic));

  test("a complex key is named and placed, not 'Unexpected value undefined'", async () => {
    expect(await load("on: push\njobs:\n  a:\n    ? k: v\n")).toEqual([
      "w.yml:4:7: A mapping key must be plain text, not a mapping (a complex key written with '?' or in brackets)",
    ]);
    expect(await load("on: push\njobs:\n  ? [a, b]\n  : runs-on: x\n")).toEqual([
      "w.yml:3:5: A mapping key must be plain text, not a list (a complex key written with '?' or in brackets)",
    ]);
    expect(await load("on: push\njobs:\n  : x\n")).toEqual([
      "w.yml:3:3: A mapping entry has no key before its ':'",
    ]);
  });

  test("an over-long expression says GitHub's limit, not the lexer's error code", async () => {
    const long = `on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo \${{ '${"x".repeat(22000)}' }}\n`;
    expect(await load(long)).toEqual(["w.yml:6:14: Exceeded max expression length 21000"]);
  });
});
