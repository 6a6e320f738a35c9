import { describe, expect, test } from "vitest";
import { POPULAR_ACTIONS } from "./popular-actions.js";
import { oneEditApart } from "./typosquat.js";

describe("typosquat-uses", () => {
  test("one edit: substitution, insertion, deletion, swap of neighbours", () => {
    expect(oneEditApart("actions/checkout", "action/checkout")).toBe(true);
    expect(oneEditApart("actions/checkout", "actions/chekout")).toBe(true);
    expect(oneEditApart("actions/checkout", "actions/checkuot")).toBe(true);
    expect(oneEditApart("actions/checkout", "actions/checkoutt")).toBe(true);
    expect(oneEditApart("actions/checkout", "actions/checkout")).toBe(false);
    expect(oneEditApart("actions/checkout", "actions/chekcuot")).toBe(false);
    expect(oneEditApart("actions/cache", "acme/cache")).toBe(false);
  });

  test("no two popular actions are one edit apart (each would flag the other)", () => {
    const pairs = POPULAR_ACTIONS.flatMap((a) => POPULAR_ACTIONS.filter((b) => oneEditApart(a, b)));
    expect(pairs).toEqual([]);
    expect(POPULAR_ACTIONS.every((a) => a === a.toLowerCase())).toBe(true);
  });
});
