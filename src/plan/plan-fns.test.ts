import { describe, expect, test } from "vitest";
import { matchEvent, matchFilterPatterns } from "./filters.js";
import { ancestors, buildGraph } from "./graph.js";
import { expandMatrix, legSuffix } from "./matrix.js";

describe("matrix", () => {
  test("cartesian product in key order", () => {
    const r = expandMatrix({ os: ["a", "b"], v: [1, 2] });
    expect(r).toEqual({
      ok: true,
      legs: [
        { os: "a", v: 1 },
        { os: "a", v: 2 },
        { os: "b", v: 1 },
        { os: "b", v: 2 },
      ],
    });
  });
  test("GitHub docs example: include adds keys, never overwrites originals, or makes a new leg", () => {
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
    expect(r.ok && r.legs).toEqual([
      { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
      { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
      { fruit: "pear", animal: "cat", color: "pink" },
      { fruit: "pear", animal: "dog", color: "green" },
      { fruit: "banana" },
      { fruit: "banana", animal: "cat" },
    ]);
  });
  test("exclude matches on the keys it names, objects deeply", () => {
    const r = expandMatrix({
      os: ["l", "w"],
      cfg: [{ a: 1 }, { a: 2 }],
      exclude: [{ os: "w", cfg: { a: 2 } }],
    });
    expect(r.ok && r.legs.length).toBe(3);
  });
  test("include-only matrix, empty vectors, limits", () => {
    expect(expandMatrix({ include: [{ a: 1 }, { a: 2 }] })).toEqual({ ok: true, legs: [{ a: 1 }, { a: 2 }] });
    expect(expandMatrix({ x: [] })).toMatchObject({ ok: false, error: expect.stringContaining("no jobs") });
    expect(expandMatrix({ x: [1], exclude: [{ x: 1 }] })).toMatchObject({ ok: false });
    expect(
      expandMatrix({
        a: Array.from({ length: 20 }, (_, i) => i),
        b: Array.from({ length: 20 }, (_, i) => i),
      }),
    ).toMatchObject({ ok: false });
    expect(expandMatrix(undefined)).toEqual({ ok: true, legs: [{}] });
    expect(expandMatrix("nope")).toMatchObject({ ok: false });
  });
  test("leg suffix", () => {
    expect(legSuffix({ os: "ubuntu", node: 20, cfg: { a: 1 } })).toBe('(ubuntu, 20, {"a":1})');
  });
});

describe("graph", () => {
  test("stages, missing needs and cycles", () => {
    const r = buildGraph([
      { id: "a", needs: [] },
      { id: "b", needs: ["a"] },
      { id: "c", needs: ["a"] },
      { id: "d", needs: ["b", "c"] },
    ]);
    expect(r).toEqual({ ok: true, stages: [["a"], ["b", "c"], ["d"]], order: ["a", "b", "c", "d"] });
    expect(buildGraph([{ id: "a", needs: ["x"] }])).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringContaining("unknown job 'x'") }],
    });
    const cyc = buildGraph([
      { id: "a", needs: [] },
      { id: "b", needs: ["c"] },
      { id: "c", needs: ["b"] },
    ]);
    expect(cyc).toMatchObject({ ok: false, errors: [{ message: "needs cycle: b -> c -> b" }] });
  });
  test("ancestors are transitive", () => {
    const jobs = [
      { id: "a", needs: [] },
      { id: "b", needs: ["a"] },
      { id: "c", needs: ["b"] },
    ];
    expect([...ancestors(jobs, "c")].sort()).toEqual(["a", "b"]);
  });
});

describe("filters", () => {
  test("GitHub's filter pattern cheat sheet", () => {
    expect(matchFilterPatterns(["feature/*"], "feature/x")).toBe(true);
    expect(matchFilterPatterns(["feature/*"], "feature/x/y")).toBe(false);
    expect(matchFilterPatterns(["feature/**"], "feature/x/y")).toBe(true);
    expect(matchFilterPatterns(["v[12].[0-9]+.[0-9]+"], "v1.10.3")).toBe(true);
    expect(matchFilterPatterns(["v2*", "!v2.0"], "v2.0")).toBe(false);
    expect(matchFilterPatterns(["**.js"], "a/b/c.js")).toBe(true);
    expect(matchFilterPatterns(["**/README.md"], "README.md")).toBe(true);
    expect(matchFilterPatterns(["*.jsx?"], "app.js")).toBe(true);
    expect(matchFilterPatterns(["*.jsx?"], "app.jsx")).toBe(true);
  });
  test("push branches, tags, paths", () => {
    const ev = { push: { branches: ["main"], paths: ["src/**", "!src/docs/**"] } };
    expect(matchEvent(ev, { name: "push", ref: "refs/heads/main", changedPaths: ["src/a.ts"] })).toEqual({
      matched: true,
    });
    expect(matchEvent(ev, { name: "push", ref: "refs/heads/dev", changedPaths: ["src/a.ts"] })).toMatchObject(
      { matched: false, reason: expect.stringContaining("'dev'") },
    );
    expect(
      matchEvent(ev, { name: "push", ref: "refs/heads/main", changedPaths: ["src/docs/x.md"] }),
    ).toMatchObject({ matched: false });
    expect(matchEvent(ev, { name: "push", ref: "refs/tags/v1" })).toMatchObject({ matched: false });
    expect(matchEvent({ push: { tags: ["v*"] } }, { name: "push", ref: "refs/tags/v1.0.0" })).toEqual({
      matched: true,
    });
    expect(matchEvent({ push: { tags: ["v*"] } }, { name: "push", ref: "refs/heads/main" })).toMatchObject({
      matched: false,
    });
    expect(matchEvent({ push: {} }, { name: "push", ref: "refs/tags/x" })).toEqual({ matched: true });
    expect(
      matchEvent(
        { push: { "paths-ignore": ["**.md"] } },
        { name: "push", ref: "refs/heads/x", changedPaths: ["a.md"] },
      ),
    ).toMatchObject({ matched: false });
  });
  test("pull_request: base branch, default types", () => {
    const ev = { pull_request: { branches: ["main"] } };
    expect(matchEvent(ev, { name: "pull_request", baseRef: "main", action: "opened" })).toEqual({
      matched: true,
    });
    expect(matchEvent(ev, { name: "pull_request", baseRef: "dev", action: "opened" })).toMatchObject({
      matched: false,
    });
    expect(matchEvent(ev, { name: "pull_request", baseRef: "main", action: "closed" })).toMatchObject({
      matched: false,
    });
    expect(
      matchEvent(
        { pull_request: { types: ["closed"] } },
        { name: "pull_request", baseRef: "main", action: "closed" },
      ),
    ).toEqual({ matched: true });
  });
  test("other events by presence and types", () => {
    expect(matchEvent({ workflow_dispatch: {} }, { name: "workflow_dispatch" })).toEqual({ matched: true });
    expect(matchEvent({ push: {} }, { name: "schedule" })).toMatchObject({ matched: false });
    expect(
      matchEvent({ release: { types: ["published"] } }, { name: "release", action: "created" }),
    ).toMatchObject({ matched: false });
  });
});
