import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { globSync } from "tinyglobby";
import { describe, expect, test } from "vitest";
import { loadAction } from "../run/actions/action-file.js";
import { nestingPastLimit } from "./depth-scan.js";
import { loadWorkflowText } from "./load.js";

const shared = join(import.meta.dirname, "../../../shared");
const fixtures = join(import.meta.dirname, "../../test/fixtures");

describe("nesting scan before parsing", () => {
  test("real workflows stay far below the guard", () => {
    const files = [shared, fixtures].flatMap((cwd) =>
      globSync(["**/*.yml", "**/*.yaml"], { cwd, dot: true, absolute: true }),
    );
    const over = files.filter(
      (f) => !f.includes("max-depth") && nestingPastLimit(readFileSync(f, "utf8"), 30) !== undefined,
    );
    expect(over).toEqual([]);
  });

  test.each([
    ["block sequences", `x:\n  - ${"- ".repeat(3000)}y\n`, 2],
    ["flow sequences", `x: ${"[".repeat(3000)}${"]".repeat(3000)}\n`, 1],
    ["flow mappings", `x: ${"{a: ".repeat(3000)}1${"}".repeat(3000)}\n`, 1],
    ["indentation", Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n"), 101],
  ])("%s: refused at a place, before the parser runs out of stack", async (_, body, line) => {
    expect(nestingPastLimit(body, 100)).toBeDefined();
    const wf = await loadWorkflowText(`on: push\n${body}`, "a.yml", "/x/a.yml", "/x");
    expect(wf.diagnostics).toEqual([
      expect.objectContaining({ line: line + 1, message: "Maximum object depth exceeded" }),
    ]);
  });

  test("block scalar bodies and quoted brackets are not nesting", () => {
    const text = `run: |\n  ${"[".repeat(500)}\nname: '${"[".repeat(500)}'\nif: contains(x, '[[[[')\n`;
    expect(nestingPastLimit(text, 10)).toBeUndefined();
  });
});

test("a deeply nested action.yml is refused at its place too", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-deep-action-"));
  writeFileSync(
    join(dir, "action.yml"),
    `name: a\nruns:\n  using: composite\n  steps:\n    - ${"- ".repeat(3000)}x\n`,
  );
  const r = loadAction(dir, "./a");
  expect(r).toEqual({
    ok: false,
    error: expect.stringMatching(/^a\/action\.yml:5:\d+: Maximum object depth exceeded$/),
  });
});
