import { expect, test } from "vitest";
import { timeoutWords } from "./timeout-words.js";

test("timeouts read as a user wrote them, fractions with their seconds", () => {
  expect(timeoutWords(1)).toBe("1 minute");
  expect(timeoutWords(360)).toBe("360 minutes");
  expect(timeoutWords(0.05)).toBe("0.05 minutes (3 s)");
  expect(timeoutWords(0.5)).toBe("0.5 minutes (30 s)");
  expect(timeoutWords(0.001)).toBe("0.001 minutes (0.1 s)");
});
