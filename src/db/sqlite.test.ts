import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";

// In a fresh process: the warning comes once, when node:sqlite first loads (Node 22 prints it;
// Node 24 no longer does). Only that warning is dropped; any other still reaches stderr.
test("loading node:sqlite prints no ExperimentalWarning, and other warnings still show", () => {
  const r = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { sqlite } from ${JSON.stringify(join(import.meta.dirname, "sqlite.ts"))};
       new (sqlite().DatabaseSync)(":memory:").close();
       process.emitWarning("something else", "ExperimentalWarning");`,
    ],
    { encoding: "utf8" },
  );
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).not.toMatch(/SQLite/);
  expect(r.stderr).toMatch(/ExperimentalWarning: something else/);
});
