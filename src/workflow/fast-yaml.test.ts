import { readFileSync } from "node:fs";
import { join } from "node:path";
import { globSync } from "tinyglobby";
import { describe, expect, test } from "vitest";
import { isMap, isPair, isScalar, isSeq, Pair, Scalar, type YAMLMap } from "yaml";
import { fastParse, packageParse, plainShape } from "./fast-yaml.js";

const shared = join(import.meta.dirname, "../../../shared");
const repo = join(import.meta.dirname, "../..");

/** What a reader of the tree can see: kinds, values, styles, source tokens, range starts and ends. */
function shape(node: unknown): unknown {
  if (isMap(node) || isSeq(node)) {
    return {
      kind: isMap(node) ? "map" : "seq",
      flow: !!node.flow,
      range: node.range?.slice(0, 2),
      items: node.items.map(shape),
    };
  }
  if (isPair(node)) return { key: shape(node.key), value: shape(node.value) };
  if (isScalar(node)) {
    const src = node.srcToken as
      | { type?: string; source?: string; props?: { type: string; source: string }[] }
      | undefined;
    return {
      value: typeof node.value === "number" && Number.isNaN(node.value) ? "NaN" : node.value,
      type: node.type,
      range: node.range?.slice(0, 2),
      source: node.source,
      token: src && {
        type: src.type,
        source: src.source,
        header: src.props?.find((p) => p.type === "block-scalar-header")?.source,
      },
    };
  }
  return { other: String(node) };
}

/** Scalars and collections (keys included) and the deepest nesting of collections. */
function sizeOf(node: unknown, level: number): { nodes: number; depth: number } {
  if (isPair(node)) {
    const k = sizeOf(node.key, level);
    const v = sizeOf(node.value, level);
    return { nodes: k.nodes + v.nodes, depth: Math.max(k.depth, v.depth) };
  }
  if (!isMap(node) && !isSeq(node)) return { nodes: 1, depth: level };
  let nodes = 1;
  let depth = level + 1;
  for (const item of node.items) {
    const r = sizeOf(item, level + 1);
    nodes += r.nodes;
    depth = Math.max(depth, r.depth);
  }
  return { nodes, depth };
}

/** undefined when the fast reader gave up; else whether it agreed with the package. */
function compare(text: string): { fast: boolean; same: boolean; detail?: string } {
  const fast = fastParse(text);
  if (!fast) return { fast: false, same: true };
  const { doc, lines } = packageParse(text);
  if (doc.errors.length || doc.warnings.length)
    return { fast: true, same: false, detail: "the package found errors" };
  const a = JSON.stringify(shape(fast.doc.contents));
  const b = JSON.stringify(shape(doc.contents));
  if (a !== b) return { fast: true, same: false, detail: firstDifference(a, b) };
  const size = sizeOf(doc.contents, 0);
  if (JSON.stringify(plainShape(fast.doc)) !== JSON.stringify(size))
    return {
      fast: true,
      same: false,
      detail: `shape ${JSON.stringify(plainShape(fast.doc))} vs ${JSON.stringify(size)}`,
    };
  if (JSON.stringify(fast.doc.toJS()) !== JSON.stringify(doc.toJS()))
    return { fast: true, same: false, detail: "toJS differs" };
  if (JSON.stringify(fast.lines.lineStarts) !== JSON.stringify(lines.lineStarts))
    return { fast: true, same: false, detail: "line starts differ" };
  return { fast: true, same: true };
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `fast: …${a.slice(Math.max(0, i - 120), i + 80)}\nyaml: …${b.slice(Math.max(0, i - 120), i + 80)}`;
}

function texts(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const add = (cwd: string, patterns: string[], pick?: (t: string) => string | undefined) => {
    for (const f of globSync(patterns, { cwd, dot: true, absolute: true })) {
      const raw = readFileSync(f, "utf8");
      const text = pick ? pick(raw) : raw;
      if (text !== undefined) out.push({ name: f, text });
    }
  };
  add(join(shared, "corpus"), ["**/*.yml", "**/*.yaml"]);
  add(join(shared, "conformance/act"), ["**/*.yml", "**/*.yaml"]);
  add(
    join(shared, "conformance/github-languageservices/workflow-parser"),
    ["**/*.yml"],
    (t) => t.split(/^---$/m)[1],
  );
  add(repo, ["test/fixtures/**/*.yml", "test/fixtures/**/*.yaml", "examples/**/*.yml"]);
  return out;
}

// Lines inserted by the edits below: the constructs the reader handles, and some it must refuse.
const SNIPPETS = [
  "- x",
  "k: v",
  "k:",
  "-",
  "- # c",
  "run: |",
  "x: >-",
  "  body",
  "a: [1, 2]",
  "a: [",
  "  x,",
  "]",
  "b: {c: d}",
  "'q': 1",
  "\"d\": 'e'",
  "p: a &&",
  "   b",
  "e: &anchor 1",
  "f: *anchor",
];

/** Small edits of the kind people make: lines dropped, doubled, shifted, commented, blanked, added. */
function mutations(text: string, seed: number, count: number): string[] {
  let s = seed;
  const rand = (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const lines = text.split("\n");
    const i = rand(lines.length);
    const ind = " ".repeat(rand(9));
    switch (rand(9)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[i]);
        break;
      case 2:
        lines[i] = `  ${lines[i]}`;
        break;
      case 3:
        lines[i] = lines[i].replace(/^ {1,2}/, "");
        break;
      case 4:
        lines.splice(i, 0, `${ind}# note`);
        break;
      case 5:
        lines.splice(i, 0, ind);
        break;
      case 6:
        lines[i] = `${lines[i]} # trailing`;
        break;
      case 7:
        lines.splice(i, 0, `${ind}${SNIPPETS[rand(SNIPPETS.length)]}`);
        break;
      default:
        lines.splice(
          i,
          0,
          `${ind}${SNIPPETS[rand(SNIPPETS.length)]}`,
          `${ind}  ${SNIPPETS[rand(SNIPPETS.length)]}`,
        );
    }
    out.push(lines.join("\n"));
  }
  return out;
}

describe("fast YAML reader", () => {
  const all = texts();

  test("builds the same tree as the yaml package for every workflow we have, or gives up", () => {
    let fast = 0;
    const wrong: string[] = [];
    for (const { name, text } of all) {
      const r = compare(text);
      if (r.fast) fast++;
      if (!r.same) wrong.push(`${name}\n${r.detail}`);
    }
    expect(wrong).toEqual([]);
    // The point is speed: nearly all real workflows must stay on the fast path.
    const corpus = all.filter((t) => t.name.includes("/corpus/"));
    const corpusFast = corpus.filter((t) => fastParse(t.text)).length;
    console.log(
      `fast YAML: ${fast}/${all.length} files read fast (${corpusFast}/${corpus.length} of the corpus)`,
    );
    expect(corpusFast / corpus.length).toBeGreaterThan(0.9);
  });

  test("its scalars and pairs behave as the package's: type checks, clone, edits, stringify", () => {
    const text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";
    const fast = fastParse(text)!.doc;
    const pkg = packageParse(text).doc;
    expect(String(fast)).toBe(String(pkg));
    const pair = (fast.contents as YAMLMap).items[0]!;
    expect(Object.getOwnPropertySymbols(pair)).toEqual([]); // made by fast-yaml-nodes, not the constructor
    expect(isPair(pair) && pair instanceof Pair).toBe(true);
    expect(isScalar(pair.key) && pair.key instanceof Scalar && !isMap(pair.key)).toBe(true);
    const copy = (pair.key as Scalar).clone();
    expect(isScalar(copy) && copy.value === "on").toBe(true);
    fast.setIn(["jobs", "a", "runs-on"], "macos-latest");
    pkg.setIn(["jobs", "a", "runs-on"], "macos-latest");
    expect(String(fast)).toBe(String(pkg));
  });

  test("agrees with the yaml package on edited workflows, or gives up", () => {
    const wrong: string[] = [];
    let fast = 0;
    let total = 0;
    const corpus = all.filter((t) => t.name.includes("/corpus/") || t.name.includes("/fixtures/"));
    corpus.forEach(({ name, text }, n) => {
      for (const m of mutations(text, n + 1, 12)) {
        total++;
        const r = compare(m);
        if (r.fast) fast++;
        if (!r.same && wrong.length < 3) wrong.push(`${name} (edited)\n${r.detail}\n${JSON.stringify(m)}`);
      }
    });
    expect(wrong).toEqual([]);
    expect(fast).toBeGreaterThan(total / 3);
  });

  test.each([
    ["a scalar after a comment more indented than its map", "a:\n  b: x\n      # c\nd: 1\n"],
    ["comments kept by the map they are indented into", "a:\n  b:\n    - x\n  # c1\n# c0\nd: 1\n"],
    ["comments passed up to the document", "a:\n  b:\n    - x\n\n# c0\n\nd: 1\n"],
    [
      "empty values, flow collections and numbers",
      "on:\n  push:\n  pull_request: # pr\njobs: {a: [1, 2.50, x], b: {}}\n",
    ],
    [
      "block scalars, literal and folded",
      "a: |\n  x\n\n    y\n\nb: >-\n  one\n  two\n\n  three\n   more\n  end\n",
    ],
    [
      "flow collections over several lines",
      'a:\n  [\n    x,\n    "y" ,\n    { b: c },\n  ]\nd: [\n  1,\n  2\n  ]\n',
    ],
    ["a document opened by ---", "# c\n--- # d\nname: x\n"],
    ["multi-line plain scalars", "if: a &&\n  b\n\n  c\nx: 1\n"],
    ["sequences at the key's indent", "a:\n- x\n- k: v\n  j: w\nb: 'it''s'\nc: \"tab\\tnew\\nline\"\n"],
  ])("%s", (_name, text) => {
    expect(compare(text)).toEqual({ fast: true, same: true });
  });

  test.each([
    ["anchors", "a: &x 1\nb: *x\n"],
    ["tags", "a: !!str 1\n"],
    ["tabs", "a:\t1\n"],
    ["a second document", "a: 1\n---\nb: 2\n"],
    ["a comment in a flow collection", "a: [\n  x, # c\n  y]\n"],
    ["multi-line quoted text", 'a: "x\n  y"\n'],
    ["a bad indent", "a:\n  b: 1\n    c: 2\n"],
    ["a key on a value line", "a: b: c\n"],
    ["hex numbers", "a: 0x10\n"],
    [
      "nesting deeper than the stack",
      `${Array.from({ length: 4000 }, (_, i) => `${" ".repeat(i)}a:`).join("\n")}\n`,
    ],
  ])("gives up on %s", (_name, text) => {
    expect(fastParse(text)).toBeUndefined();
  });
});
