import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { placePath } from "./codecov.js";

test("a report's file placed in the workspace: under its root, relative, by its tail, or not at all", () => {
  const ws = mkdtempSync(join(tmpdir(), "slipway-place-"));
  mkdirSync(join(ws, "calc"));
  writeFileSync(join(ws, "calc/calc.go"), "package calc\n");
  writeFileSync(join(ws, "calc/core.py"), "");
  const at = (path: string, roots: string[] = []) => placePath({ path, roots, lines: new Map() }, ws, ws);
  // coverage.py: relative to its <source>, here or where it ran (another checkout).
  expect(at("core.py", [join(ws, "calc")])).toBe("calc/core.py");
  expect(at("core.py", ["/home/runner/work/x/calc"])).toBe("calc/core.py");
  // LCOV and Istanbul: relative or absolute.
  expect(at("calc/core.py")).toBe("calc/core.py");
  expect(at(join(ws, "calc/core.py"))).toBe("calc/core.py");
  // Go: by import path.
  expect(at("example.com/gocov/calc/calc.go")).toBe("calc/calc.go");
  // A dependency's file is not the repository's.
  expect(at("/usr/lib/python3/dist-packages/six.py")).toBeUndefined();
});
