// GitHub reads an `if:` holding `${{ }}` and other text (spaces or the final line break a block
// scalar keeps, a second expression) as a string to interpolate: never empty, so always true.
// Shared by lint's if-always-true and audit's unsound-condition.
import { splitTemplate } from "../expr/split.js";

export function ifAlwaysTrue(value: unknown): value is string {
  if (typeof value !== "string" || !value.includes("${{")) return false;
  const parts = splitTemplate(value);
  return parts.some((p) => p.expr) && !(parts.length === 1 && parts[0]!.expr);
}
