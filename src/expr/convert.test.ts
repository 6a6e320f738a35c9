import { describe, expect, test } from "vitest";
import { formatNumber, fromExpressionData, toExpressionData, toStr, truthy } from "./convert.js";

describe("toStr", () => {
  test("scalars", () => {
    expect(toStr(null)).toBe("");
    expect(toStr(true)).toBe("true");
    expect(toStr(false)).toBe("false");
    expect(toStr("x y")).toBe("x y");
  });

  test("numbers print as GitHub prints them", () => {
    expect(toStr(3)).toBe("3");
    expect(toStr(-2.0)).toBe("-2");
    expect(toStr(-0)).toBe("0");
    expect(toStr(1.5)).toBe("1.5");
    expect(toStr(0.84551240822557006)).toBe("0.84551240822557");
    expect(toStr(123456.789)).toBe("123456.789");
    expect(toStr(1e14)).toBe("100000000000000");
    expect(toStr(1e15)).toBe("1E+15");
    expect(toStr(1.5e-7)).toBe("1.5E-07");
    expect(toStr(0.0001)).toBe("0.0001");
    expect(toStr(Number.NaN)).toBe("NaN");
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe("-Infinity");
  });

  test("arrays and objects as indented JSON", () => {
    expect(toStr([1, "a"])).toBe('[\n  1,\n  "a"\n]');
    expect(toStr({ a: { b: null } })).toBe('{\n  "a": {\n    "b": null\n  }\n}');
  });
});

describe("data conversion", () => {
  test("round-trips JSON", () => {
    const v = { a: [1, true, null, "s", { B: 2.5 }], c: {} };
    expect(fromExpressionData(toExpressionData(v))).toEqual(v);
  });

  test("keys differing only in case keep the first", () => {
    expect(fromExpressionData(toExpressionData({ Key: 1, KEY: 2 }))).toEqual({ Key: 1 });
  });
});

test("truthy", () => {
  expect([null, false, 0, Number.NaN, ""].map(truthy)).toEqual([false, false, false, false, false]);
  expect([true, 1, "0", [], {}].map(truthy)).toEqual([true, true, true, true, true]);
});
