// Slipway eats its own cooking: .github/ was written by `slipway init` (and adjusted by hand where
// the comments say so). It must pass lint --audit and score at least 95. Running its CI workflow
// here would run this whole suite again, so this test only lints and scores it.
import { expect, test } from "vitest";
import { ROOT, slipway } from "./helpers/cli.js";

test("Slipway's own workflows pass lint --audit", () => {
  const r = slipway(["lint", "--audit", "--fail-on", "info"], ROOT);
  expect(r.stdout).toContain("No problems found.");
  expect(r.code).toBe(0);
});

test("Slipway's own workflows score at least 95", () => {
  const r = slipway(["score", "--json", "--min", "95"], ROOT);
  expect(r.code).toBe(0);
  const card = JSON.parse(r.stdout) as { score: number };
  expect(card.score).toBeGreaterThanOrEqual(95);
});
