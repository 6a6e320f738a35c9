import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";

// The plan is the contract: run/ reaches the planner only through its API, so no rule
// (matrix, strategy, placement, names, gates) is decided a second time outside plan/.
test("src/run imports plan/ only through plan/api.ts", () => {
  const run = join(import.meta.dirname, "../run");
  const files = readdirSync(run, { recursive: true, encoding: "utf8" }).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
  );
  expect(files.length).toBeGreaterThan(20);
  const bad = files.flatMap((f) =>
    [...readFileSync(join(run, f), "utf8").matchAll(/from "((?:\.\.\/)+plan\/[^"]+)"/g)]
      .map((m) => m[1]!)
      .filter((p) => !p.endsWith("plan/api.js"))
      .map((p) => `${f}: ${p}`),
  );
  expect(bad).toEqual([]);
});
