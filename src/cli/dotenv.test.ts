import { expect, test } from "vitest";
import { pairs, parseDotenv } from "./dotenv.js";

test("dotenv: comments, quotes, export, multi-line", () => {
  const text = `# c\nexport A=1\nB = "two words" # note\nC='x#y'\nD="l1\nl2"\nE=plain # comment\n`;
  expect(parseDotenv(text)).toEqual({ A: "1", B: "two words", C: "x#y", D: "l1\nl2", E: "plain" });
});

test("k=v flags", () => {
  expect(pairs(["a=1", "b=x=y"], "--var")).toEqual({ ok: true, values: { a: "1", b: "x=y" } });
  expect(pairs(["oops"], "--var")).toMatchObject({ ok: false, error: expect.stringContaining("--var") });
});
