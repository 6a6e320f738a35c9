// lint hands its own YAML document to the workflow loader (loadWorkflowDocument) instead of letting
// the package parse the text again; the loaded result must be the package's own, file for file.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, test } from "vitest";
import { loadWithPackageParser, loadWorkflowDocument } from "../workflow/load.js";
import { parseSource } from "./source.js";

const fixtures = join(import.meta.dirname, "../../test/fixtures");
const corpus = "/work/shared/corpus";

/** Workflow-like YAML files under dir (none when it is absent, as the corpus may be). */
const yamlFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((f) => /\.ya?ml$/.test(f) && !/(^|\/)action\.ya?ml$/.test(f))
        .map((f) => join(dir, f))
    : [];

// Positions, values and diagnostics, without the parser's internal back-references.
const shape = (v: unknown) =>
  JSON.stringify(v, (k, x) =>
    k === "context" || k === "_context" || typeof x === "function" ? undefined : x,
  );

test("a shared document loads exactly as the package's own parse", async () => {
  const files = [...yamlFiles(fixtures), ...yamlFiles(corpus)];
  expect(files.length).toBeGreaterThan(100);
  for (const path of files) {
    const text = readFileSync(path, "utf8");
    const file = relative(fixtures, path);
    const src = parseSource(text, file, path, "workflow");
    const root = join(path, "../../..");
    const own = await loadWithPackageParser(text, file, path, root);
    const shared = await loadWorkflowDocument(text, src.doc, src.lines, file, path, root);
    expect(shape(shared), file).toBe(shape(own));
  }
});
