import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { expect, test } from "vitest";
import { loadWorkflowText } from "./load.js";
import { TokenJsonError, tokenFromJson, tokenToJson } from "./token-json.js";

const corpus = "/work/shared/corpus";
const fixtures = join(import.meta.dirname, "../../test/fixtures");

const yamlFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((f) => /\.ya?ml$/.test(f) && !/(^|\/)action\.ya?ml$/.test(f))
        .map((f) => join(dir, f))
    : [];

// Schema back-references are not data: a revived token has none, and nothing at run time reads them.
const NOT_DATA = new Set(["definitionInfo", "propertyDefinition", "_description"]);

/** Every own field of every token, classes included: what "equal" means for two token trees. */
function shape(t: unknown): unknown {
  if (Array.isArray(t)) return t.map(shape);
  if (t === null || typeof t !== "object") return t;
  const out: Record<string, unknown> = { class: t.constructor.name };
  for (const [k, v] of Object.entries(t)) if (!NOT_DATA.has(k) && v !== undefined) out[k] = shape(v);
  return out;
}

test("every corpus workflow's token tree survives JSON: tokens, ranges and file ids equal", async () => {
  const files = [...yamlFiles(corpus), ...yamlFiles(join(fixtures, "e2e"))];
  expect(files.length).toBeGreaterThan(80);
  let tokens = 0;
  for (const path of files) {
    const wf = await loadWorkflowText(readFileSync(path, "utf8"), relative(corpus, path), path, corpus);
    if (!wf.root) continue;
    const back = tokenFromJson(JSON.parse(JSON.stringify(tokenToJson(wf.root))));
    expect(shape(back), path).toEqual(shape(wf.root));
    for (const _ of walk(wf.root)) tokens++;
  }
  expect(tokens).toBeGreaterThan(10_000);
});

function* walk(t: TemplateToken): Generator<TemplateToken> {
  yield t;
  const kids = (t as unknown as { map?: { key: TemplateToken; value: TemplateToken }[] }).map;
  if (kids) for (const p of kids) yield* [p.key, ...walk(p.value)];
  const seq = (t as unknown as { seq?: TemplateToken[] }).seq;
  if (seq) for (const x of seq) yield* walk(x);
}

test("every kind of token, and numbers JSON cannot hold", async () => {
  const text = [
    "on: push",
    "env:",
    "  F: ${{ github.sha }}",
    "  G: |",
    "    a ${{ x }}",
    "    b",
    "jobs:",
    "  j:",
    "    runs-on: ubuntu-latest",
    "    strategy:",
    "      matrix:",
    "        v: [1.5, .nan, -.inf, true, ~]",
    "        ${{ insert }}: ${{ fromJSON('{}') }}",
    "    steps: [{ run: echo }]",
  ].join("\n");
  const wf = await loadWorkflowText(text, "w.yml", "/r/w.yml", "/r");
  const json = tokenToJson(wf.root!);
  const kinds = new Set(JSON.stringify(json).match(/"type":"\w+"/g));
  expect([...kinds].sort()).toEqual(
    ["boolean", "expression", "insert", "mapping", "null", "number", "sequence", "string"]
      .map((k) => `"type":"${k}"`)
      .sort(),
  );
  const back = tokenFromJson(JSON.parse(JSON.stringify(json)));
  expect(shape(back)).toEqual(shape(wf.root));
  expect(JSON.stringify(json)).toContain('"value":"NaN"');
  expect(JSON.stringify(json)).toContain('"value":"-Infinity"');
});

test("a malformed token says where", () => {
  const bad = { type: "mapping", pairs: [[{ type: "string", value: "a" }, { type: "nope" }]] };
  expect(() => tokenFromJson(bad, "jobs.build")).toThrow(TokenJsonError);
  expect(() => tokenFromJson(bad, "jobs.build")).toThrow('jobs.build.pairs[0][1]: unknown token type "nope"');
  expect(() => tokenFromJson({ type: "string", value: "x", range: [1, 2] })).toThrow(
    "token.range: range must be",
  );
});
