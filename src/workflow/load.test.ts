import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { formatDiagnostic } from "./diagnostic.js";
import { discoverWorkflows, loadWithPackageParser, loadWorkflow, loadWorkflowText } from "./load.js";

const fx = join(import.meta.dirname, "../../test/fixtures");

describe("load", () => {
  test("discovers and loads a valid workflow", async () => {
    const root = join(fx, "load");
    const files = discoverWorkflows(root);
    expect(files.map((f) => f.slice(root.length + 1))).toEqual([".github/workflows/ci.yml"]);
    const wf = await loadWorkflow(files[0]!, root);
    expect(wf.diagnostics).toEqual([]);
    expect(wf.name).toBe("CI");
    expect(wf.template?.jobs.map((j) => j.id.value)).toEqual(["build"]);
  });

  test("reports unknown keys, malformed YAML and cycles with positions", async () => {
    const root = join(fx, "load-bad");
    const out: Record<string, string[]> = {};
    for (const f of discoverWorkflows(root)) {
      const wf = await loadWorkflow(f, root);
      out[wf.file] = wf.diagnostics.map(formatDiagnostic);
    }
    expect(out[".github/workflows/unknown-key.yml"]).toEqual([
      ".github/workflows/unknown-key.yml:7:9: Unexpected value 'foo'",
    ]);
    expect(out[".github/workflows/malformed.yml"]?.[0]).toMatch(
      /^\.github\/workflows\/malformed\.yml:\d+:\d+: /,
    );
    expect(out[".github/workflows/cycle.yml"]?.join("\n")).toMatch(/cycle\.yml:7:12: .*cycle/);
  });

  test("a missing file is a diagnostic, not a throw", async () => {
    const wf = await loadWorkflow(join(fx, "nope.yml"), fx);
    expect(wf.diagnostics[0]?.message).toBe("file not found");
  });

  test("checks a call into a remote reusable workflow that is in the action store", async () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const called = join(store, "contoso/templates/v1/.github/workflows/deploy.yml");
    mkdirSync(join(called, ".."), { recursive: true });
    writeFileSync(
      called,
      "on:\n  workflow_call:\n    inputs:\n      foo: { required: true, type: string }\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n",
    );
    const caller =
      "on: push\njobs:\n  deploy:\n    uses: contoso/templates/.github/workflows/deploy.yml@v1\n";
    const file = ".github/workflows/c.yml";
    const load = (actionStore: string) =>
      loadWorkflowText(caller, file, file, "/nonexistent", { actionStore });
    expect((await load(store)).diagnostics.map(formatDiagnostic)).toEqual([
      `${file}:4:11: Input foo is required, but not provided while calling.`,
    ]);
    // Not in the store: the package's message at the same place, and how to add it.
    expect((await load(join(store, "empty"))).diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${file}:4:11: Unable to find reusable workflow: '.+' is not in the offline action store; add it with: slipway actions add `,
        ),
      ),
    ]);
  });

  test("accepts workflow_dispatch inputs with nothing under them, as GitHub does (a string input)", async () => {
    const wf = (inputs: string) =>
      `on:\n  workflow_dispatch:\n    inputs:${inputs}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n`;
    const empty = await loadWorkflowText(wf(""), "w.yml", "w.yml", "/nonexistent");
    expect(empty.diagnostics).toEqual([]);
    const bare = await loadWorkflowText(
      wf("\n      level:\n      flag: { type: boolean }"),
      "w.yml",
      "w.yml",
      "/nonexistent",
    );
    expect(bare.diagnostics).toEqual([]);
    const inputs = bare.template?.events.workflow_dispatch?.inputs;
    expect(inputs?.level?.type).toBe("string");
    expect(inputs?.flag?.type).toBe("boolean");
    // The package alone rejects both.
    const strict = await loadWithPackageParser(wf(""), "w.yml", "w.yml", "/nonexistent");
    expect(strict.diagnostics.length).toBeGreaterThan(0);
  });

  test("CR-only line ends are line breaks, as in YAML and on GitHub (the yaml package reads one line)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-cr-"));
    const text =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n        bad: 1\n";
    writeFileSync(join(dir, "cr.yml"), text.replaceAll("\n", "\r"));
    const wf = await loadWorkflow(join(dir, "cr.yml"), dir);
    expect(wf.diagnostics.map(formatDiagnostic)).toEqual(["cr.yml:7:9: Unexpected value 'bad'"]);
    writeFileSync(join(dir, "cr.yml"), text.replace("        bad: 1\n", "").replaceAll("\n", "\r"));
    const ok = await loadWorkflow(join(dir, "cr.yml"), dir);
    expect(ok.diagnostics).toEqual([]);
    expect(ok.template?.jobs.map((j) => j.id.value)).toEqual(["a"]);
  });
});
