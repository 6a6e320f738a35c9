import { expect, test } from "vitest";
import { jsonErrorOffset, lineCol } from "./json-position.js";

test("valid JSON has no error offset, as JSON.parse agrees", () => {
  for (const t of ['{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]}', " [] ", '"s"', "0"]) {
    expect(() => JSON.parse(t)).not.toThrow();
    expect(jsonErrorOffset(t), t).toBeUndefined();
  }
});

test("the first character JSON cannot accept, or the end when the text stops early", () => {
  const cases: [string, number][] = [
    ['{"version": 1,\n "x": ]', 21],
    ["{,}", 1],
    ['{"a" 1}', 5],
    ["[1,]", 3],
    ["[1 2]", 3],
    ['{"a": tru}', 9],
    ['{"a": 01}', 7],
    ['"\\x"', 2],
    ["{", 1],
    ['{"a": 1} x', 9],
    ["", 0],
  ];
  for (const [t, at] of cases) {
    expect(() => JSON.parse(t), t).toThrow();
    expect(jsonErrorOffset(t), t).toBe(at);
  }
  expect(lineCol('{"version": 1,\n "x": ]', 21)).toBe(":2:7");
});
