import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { discover, pyprojectFacts } from "./discover.js";

const example = join(import.meta.dirname, "../../examples/polyglot");
const hasCargo = spawnSync("cargo", ["--version"]).status === 0;

test.skipIf(!hasCargo)(
  "the polyglot example: crates by path dependency, per-platform npm first, PyPI last",
  async () => {
    const pkgs = await discover(example);
    expect(pkgs.map((p) => `${p.ecosystem} ${p.name} ${p.version} <- ${p.deps.join(",")}`)).toEqual([
      "crates slipway-polyglot-types 0.1.0 <- ",
      "crates slipway-polyglot-core 0.1.0 <- slipway-polyglot-types",
      "npm slipway-polyglot-linux-x64 0.1.0 <- ",
      "npm slipway-polyglot 0.1.0 <- slipway-polyglot-linux-x64",
      "pypi slipway-polyglot 0.1.0 <- ",
    ]);
  },
);

test("pyproject [project] name, version and dependencies", () => {
  const text = `[build-system]\nrequires = ["setuptools"]\n\n[project]\nname = "Foo_Bar"\nversion = '1.2.3'\ndependencies = [\n  "Baz.Qux>=1",\n  'other',\n]\n\n[tool.x]\nname = "not-this"\n`;
  expect(pyprojectFacts(text)).toEqual({ name: "Foo_Bar", version: "1.2.3", deps: ["baz-qux", "other"] });
});
