// checkCronPattern skips croner for plain hourly-or-rarer patterns; with a time zone named it
// always asks croner, so the two must agree on every pattern.
import { expect, test } from "vitest";
import { checkCronPattern } from "./cron.js";

const verdict = (r: { error?: string; warning?: string }) =>
  r.error ? "error" : r.warning ? "warning" : "ok";

test("the plain-pattern shortcut says what croner says", () => {
  const parts = [
    ["0", "5", "59", "60", "*", "*/15", "1-5", "5-1", "0,30", "*/0", "7/10"],
    ["0", "23", "24", "*", "*/2", "9-17", "1,13"],
    ["*", "1", "15", "31", "32", "0", "1-7", "*/2"],
    ["*", "1", "12", "13", "0", "2", "1-6", "JAN", "*/3"],
    ["*", "0", "6", "7", "1-5", "MON", "5-1", "0,6"],
  ];
  let seed = 3;
  const pick = (xs: string[]) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return xs[seed % xs.length]!;
  };
  const now = new Date("2026-11-23T12:00:00Z");
  const seen = new Set<string>();
  for (let i = 0; i < 1500; i++) {
    const pattern = parts.map(pick).join(" ");
    const fast = checkCronPattern(pattern, "UTC", now);
    const slow = checkCronPattern(pattern, "Etc/UTC", now);
    seen.add(verdict(slow));
    expect(verdict(fast), pattern).toBe(verdict(slow));
  }
  expect([...seen].sort()).toEqual(["error", "ok", "warning"]);
});
