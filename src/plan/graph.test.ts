import { describe, expect, test } from "vitest";
import { buildGraph, type JobNode } from "./graph.js";

const job = (id: string, ...needs: string[]): JobNode => ({ id, needs });

describe("buildGraph", () => {
  test("independent jobs share the first stage, in declaration order", () => {
    expect(buildGraph([job("z"), job("a"), job("m")])).toEqual({
      ok: true,
      stages: [["z", "a", "m"]],
      order: ["z", "a", "m"],
    });
  });

  test("diamond: stages are topological layers", () => {
    const r = buildGraph([job("a"), job("b", "a"), job("c", "a"), job("d", "b", "c")]);
    expect(r).toEqual({ ok: true, stages: [["a"], ["b", "c"], ["d"]], order: ["a", "b", "c", "d"] });
  });

  test("a job declared before what it needs waits for it", () => {
    const r = buildGraph([job("deploy", "test"), job("test", "build"), job("build"), job("lint")]);
    expect(r).toEqual({
      ok: true,
      stages: [["build", "lint"], ["test"], ["deploy"]],
      order: ["build", "lint", "test", "deploy"],
    });
  });

  test("a job sits one layer after its deepest need", () => {
    const r = buildGraph([job("a"), job("b", "a"), job("c", "b"), job("d", "a", "c")]);
    expect(r.ok && r.stages).toEqual([["a"], ["b"], ["c"], ["d"]]);
  });

  test("no jobs is an empty plan", () => {
    expect(buildGraph([])).toEqual({ ok: true, stages: [], order: [] });
  });

  test("unknown needs: one error per missing id, with the job's position", () => {
    const pos = { line: 7, col: 5 };
    const r = buildGraph([job("a"), { id: "b", needs: ["x", "a", "y"], pos }]);
    expect(r).toEqual({
      ok: false,
      errors: [
        { message: "job 'b' needs unknown job 'x'", jobId: "b", pos },
        { message: "job 'b' needs unknown job 'y'", jobId: "b", pos },
      ],
    });
  });

  test("a cycle is reported with its path", () => {
    const r = buildGraph([
      job("a"),
      job("b", "c"),
      { id: "c", needs: ["b"], pos: { line: 3, col: 1 } },
      job("d", "b"),
    ]);
    expect(r).toEqual({
      ok: false,
      errors: [{ message: "needs cycle: b -> c -> b", jobId: "b", pos: undefined }],
    });
  });

  test("longer cycles and self-needs", () => {
    const r = buildGraph([job("a", "c"), job("b", "a"), job("c", "b")]);
    expect(r).toMatchObject({
      ok: false,
      errors: [{ message: "needs cycle: a -> c -> b -> a", jobId: "a" }],
    });
    expect(buildGraph([job("a", "a")])).toMatchObject({
      ok: false,
      errors: [{ message: "needs cycle: a -> a" }],
    });
  });

  test("the cycle named is the real loop, not the jobs waiting on it", () => {
    const r = buildGraph([job("entry", "x"), job("x", "y"), job("y", "z"), job("z", "y")]);
    expect(r).toMatchObject({ ok: false, errors: [{ message: "needs cycle: y -> z -> y", jobId: "y" }] });
  });
});
