import { expect, test } from "vitest";
import { didYouMean, distance } from "./did-you-mean.js";

test("edit distance counts a swap of neighbours as one edit", () => {
  expect(distance("paht", "path")).toBe(1);
  expect(distance("fetch-deph", "fetch-depth")).toBe(1);
  expect(distance("abc", "xyz")).toBe(3);
  expect(distance("abc", "abcdefgh", 2)).toBe(3);
});

test("suggests the closest name within a third of its length, else nothing", () => {
  expect(didYouMean("paht", ["path", "key"])).toBe("path");
  expect(didYouMean("FETCH-DEPH", ["fetch-depth", "ref"])).toBe("fetch-depth");
  expect(didYouMean("zzzz", ["path", "key"])).toBeUndefined();
});
