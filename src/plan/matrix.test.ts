import { describe, expect, test } from "vitest";
import { expandMatrix, type Json, legName, legSuffix, looseEquals } from "./matrix.js";

function legs(m: Json | undefined) {
  const r = expandMatrix(m);
  if (!r.ok) throw new Error(`expected ok, got: ${r.error}`);
  return r.legs;
}

function names(m: Json) {
  const r = expandMatrix(m);
  if (!r.ok) throw new Error(r.error);
  return r.legs.map(legSuffix);
}

function error(m: Json) {
  const r = expandMatrix(m);
  return r.ok ? undefined : r.error;
}

describe("expandMatrix: cross product", () => {
  test("no matrix is one leg with an empty context", () => {
    expect(expandMatrix(undefined)).toEqual({ ok: true, legs: [{}] });
    expect(expandMatrix(null)).toEqual({ ok: true, legs: [{}] });
  });

  test("product in key order, the last key varying fastest", () => {
    expect(legs({ os: ["a", "b"], v: [1, 2] })).toEqual([
      { os: "a", v: 1 },
      { os: "a", v: 2 },
      { os: "b", v: 1 },
      { os: "b", v: 2 },
    ]);
  });

  test("act testdata/matrix: 2 x 4 build legs and 4 test legs", () => {
    const build = legs({ os: ["ubuntu-18.04", "macos-latest"], node: [4, 6, 8, 10] });
    expect(build).toHaveLength(8);
    expect(build[0]).toEqual({ os: "ubuntu-18.04", node: 4 });
    expect(build[7]).toEqual({ os: "macos-latest", node: 10 });
    expect(legs({ node: ["8.x", "10.x", "12.x", "13.x"] }).map((l) => l.node)).toEqual([
      "8.x",
      "10.x",
      "12.x",
      "13.x",
    ]);
  });

  test("values may be any JSON: objects and arrays are kept whole", () => {
    const r = legs({ cfg: [{ env: { key1: "val1" } }, { env: { key2: "val2" } }], list: [[1, 2]] });
    expect(r).toEqual([
      { cfg: { env: { key1: "val1" } }, list: [1, 2] },
      { cfg: { env: { key2: "val2" } }, list: [1, 2] },
    ]);
  });

  test("act evalmatrix: fromJSON results and evaluated keys expand like literals", () => {
    expect(legs({ A: ["A", "B"] })).toEqual([{ A: "A" }, { A: "B" }]);
    expect(legs({ steady: ["a", "b"] })).toEqual([{ steady: "a" }, { steady: "b" }]);
  });
});

describe("expandMatrix: exclude", () => {
  test("GitHub docs: a partial match is enough to exclude", () => {
    const r = legs({
      os: ["macos-latest", "windows-latest"],
      version: [12, 14, 16],
      environment: ["staging", "production"],
      exclude: [
        { os: "macos-latest", version: 12, environment: "production" },
        { os: "windows-latest", version: 16 },
      ],
    });
    expect(r).toHaveLength(9);
    expect(r).not.toContainEqual({ os: "macos-latest", version: 12, environment: "production" });
    expect(r.filter((l) => l.os === "windows-latest" && l.version === 16)).toEqual([]);
    expect(r).toContainEqual({ os: "macos-latest", version: 12, environment: "staging" });
  });

  test("act matrix-include-exclude: exclude one, include an unmatched os as a new leg", () => {
    const r = legs({
      os: ["ubuntu-18.04", "macos-latest"],
      node: [4, 6, 8, 10],
      exclude: [{ os: "macos-latest", node: 4 }],
      include: [{ os: "ubuntu-16.04", node: 10 }],
    });
    expect(r).toHaveLength(8);
    expect(r).not.toContainEqual({ os: "macos-latest", node: 4 });
    expect(r[7]).toEqual({ os: "ubuntu-16.04", node: 10 });
  });

  test("nested mappings in an exclude match leaf by leaf", () => {
    const m = {
      os: ["l", "w"],
      cfg: [
        { a: 1, b: 1 },
        { a: 2, b: 1 },
      ],
    };
    expect(legs({ ...m, exclude: [{ os: "w", cfg: { a: 2 } }] })).toEqual([
      { os: "l", cfg: { a: 1, b: 1 } },
      { os: "l", cfg: { a: 2, b: 1 } },
      { os: "w", cfg: { a: 1, b: 1 } },
    ]);
    expect(legs({ ...m, exclude: [{ cfg: { b: 1 }, os: "l" }] })).toHaveLength(2);
  });

  test("comparison is the expression language's ==", () => {
    expect(legs({ node: [4, 6], exclude: [{ node: "4" }] })).toEqual([{ node: 6 }]);
    expect(legs({ os: ["Ubuntu", "mac"], exclude: [{ os: "UBUNTU" }] })).toEqual([{ os: "mac" }]);
  });

  test("unknown or empty exclude entries make the workflow invalid", () => {
    expect(error({ os: ["a"], exclude: [{ arch: "x" }] })).toBe(
      "matrix exclude key 'arch' does not match any key within the matrix",
    );
    expect(error({ os: ["a"], exclude: [{}] })).toBe("matrix exclude filter must not be empty");
    expect(error({ os: ["a"], exclude: ["a"] })).toBe("matrix exclude entries must be mappings");
    expect(error({ os: ["a"], exclude: "a" })).toBe("matrix exclude must be a list of mappings");
  });
});

describe("expandMatrix: include", () => {
  test("GitHub docs: fruit and animal", () => {
    const r = expandMatrix({
      fruit: ["apple", "pear"],
      animal: ["cat", "dog"],
      include: [
        { color: "green" },
        { color: "pink", animal: "cat" },
        { fruit: "apple", shape: "circle" },
        { fruit: "banana" },
        { fruit: "banana", animal: "cat" },
      ],
    });
    expect(r).toEqual({
      ok: true,
      legs: [
        { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
        { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
        { fruit: "pear", animal: "cat", color: "pink" },
        { fruit: "pear", animal: "dog", color: "green" },
        { fruit: "banana" },
        { fruit: "banana", animal: "cat" },
      ],
    });
  });

  test("GitHub docs: include extends one matching combination", () => {
    const r = legs({
      os: ["windows-latest", "ubuntu-latest"],
      node: [14, 16],
      include: [{ os: "windows-latest", node: 16, npm: 6 }],
    });
    expect(r).toEqual([
      { os: "windows-latest", node: 14 },
      { os: "windows-latest", node: 16, npm: 6 },
      { os: "ubuntu-latest", node: 14 },
      { os: "ubuntu-latest", node: 16 },
    ]);
  });

  test("GitHub docs: an include that changes an original value becomes a new combination", () => {
    const r = legs({
      os: ["macos-latest", "windows-latest", "ubuntu-latest"],
      version: [12, 14, 16],
      include: [{ os: "windows-latest", version: 17 }],
    });
    expect(r).toHaveLength(10);
    expect(r[9]).toEqual({ os: "windows-latest", version: 17 });
  });

  test("GitHub docs: a matrix of only include entries", () => {
    const m = {
      include: [
        { site: "production", datacenter: "site-a" },
        { site: "staging", datacenter: "site-b" },
      ],
    };
    expect(legs(m)).toEqual(m.include);
    expect(names(m)).toEqual(["(production, site-a)", "(staging, site-b)"]);
  });

  test("act evalmatrix: include-only and include adding to the single combination", () => {
    expect(legs({ include: [{ def: "val" }] })).toEqual([{ def: "val" }]);
    expect(legs({ x: [0], y: [0], z: [0], include: [{ def: "val", z: 0 }] })).toEqual([
      { x: 0, y: 0, z: 0, def: "val" },
    ]);
  });

  test("later includes overwrite keys added by earlier ones, never original values", () => {
    const r = legs({
      os: ["a", "b"],
      include: [{ tag: "one" }, { os: "b", tag: "two" }, { os: "c", tag: "three" }],
    });
    expect(r).toEqual([
      { os: "a", tag: "one" },
      { os: "b", tag: "two" },
      { os: "c", tag: "three" },
    ]);
  });

  test("include keys that name a vector come first in a new combination", () => {
    expect(Object.keys(legs({ os: ["a"], include: [{ extra: 1, os: "z" }] })[1]!)).toEqual(["os", "extra"]);
  });

  test("includes match only combinations that survived exclude", () => {
    const r = legs({ os: ["a", "b"], exclude: [{ os: "b" }], include: [{ os: "b", x: 1 }] });
    expect(r).toEqual([{ os: "a" }, { os: "b", x: 1 }]);
  });

  test("object values in an include match partially", () => {
    const r = legs({ cfg: [{ os: "l", v: 1 }], include: [{ cfg: { os: "l" }, extra: true }] });
    expect(r).toEqual([{ cfg: { os: "l", v: 1 }, extra: true }]);
  });

  test("an empty vector with includes leaves just the includes", () => {
    expect(legs({ os: [], include: [{ os: "a" }] })).toEqual([{ os: "a" }]);
  });

  test("bad include entries", () => {
    expect(error({ include: [{}] })).toBe("matrix include mapping does not contain any values");
    expect(error({ include: [[1]] })).toBe("matrix include entries must be mappings");
    expect(error({ include: { a: 1 } })).toBe("matrix include must be a list of mappings");
  });
});

describe("expandMatrix: errors", () => {
  test("no jobs", () => {
    expect(error({ x: [] })).toBe("matrix expands to no jobs (vector 'x' does not contain any values)");
    expect(error({ x: [1], exclude: [{ x: 1 }] })).toBe(
      "matrix expands to no jobs (exclude removes every combination)",
    );
    expect(error({})).toContain("matrix expands to no jobs");
  });

  test("shape", () => {
    expect(error("nope")).toBe("matrix must be a mapping");
    expect(error([1])).toBe("matrix must be a mapping");
    expect(error({ os: "linux" })).toBe("matrix vector 'os' must be a list");
  });

  test("256 legs is the limit, counted after exclude and include", () => {
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(legs({ a: range(16), b: range(16) })).toHaveLength(256);
    expect(error({ a: range(16), b: range(16), include: [{ a: 99 }] })).toContain("more than 256 jobs");
    expect(legs({ a: range(16), b: range(17), exclude: [{ b: 16 }] })).toHaveLength(256);
    expect(error({ a: range(1000), b: range(1000), c: range(10) })).toContain("10000000 combinations");
  });
});

describe("names", () => {
  test("legSuffix joins scalar values, nested ones included, skipping null and empty", () => {
    expect(legSuffix({ os: "ubuntu", node: 20, ok: true })).toBe("(ubuntu, 20, true)");
    expect(legSuffix({ cfg: { name: "x", deps: ["a", "b"] }, n: null, e: "" })).toBe("(x, a, b)");
    expect(legSuffix({ n: null })).toBe("");
  });

  test("act evalmatrix-merge-array: object legs are named by their leaves", () => {
    expect(names({ a: [{ env: { key1: "val1" } }, { env: { key2: "val2" } }] })).toEqual([
      "(val1)",
      "(val2)",
    ]);
  });

  test("legName cuts at 100 characters like GitHub", () => {
    expect(legName("build", "(a, b)")).toBe("build (a, b)");
    expect(legName("build", "")).toBe("build");
    const long = legName("job", `(${"x".repeat(200)})`);
    expect(long).toHaveLength(100);
    expect(long.endsWith("...")).toBe(true);
  });
});

describe("looseEquals", () => {
  test("the expression language's coercions", () => {
    expect(looseEquals("abc", "ABC")).toBe(true);
    expect(looseEquals(1, "1")).toBe(true);
    expect(looseEquals(1, " 1 ")).toBe(true);
    expect(looseEquals(true, 1)).toBe(true);
    expect(looseEquals(null, 0)).toBe(true);
    expect(looseEquals(null, undefined)).toBe(true);
    expect(looseEquals("", 0)).toBe(true);
    expect(looseEquals("a", 0)).toBe(false);
    expect(looseEquals(Number.NaN, Number.NaN)).toBe(false);
    expect(looseEquals({ a: 1 }, { a: 1 })).toBe(false);
    expect(looseEquals({ a: 1 }, "x")).toBe(false);
  });
});
