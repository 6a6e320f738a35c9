import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getWorkflowSchema } from "@actions/workflow-parser/workflows/workflow-schema";
import { expect, test } from "vitest";
import { workflowSchema } from "./schema.js";
import { schemaFromJson } from "./schema-json.js";
import { restoreSchema, snapshotOf } from "./schema-snapshot.js";

function expectSameSchema(
  ours: ReturnType<typeof getWorkflowSchema>,
  theirs: ReturnType<typeof getWorkflowSchema>,
) {
  expect(ours).not.toBe(theirs);
  expect(Object.getPrototypeOf(ours)).toBe(Object.getPrototypeOf(theirs));
  expect(ours.version).toBe(theirs.version);
  expect(Object.keys(ours.definitions)).toEqual(Object.keys(theirs.definitions));
  expect(Object.keys(ours.definitions).length).toBeGreaterThan(100);
  for (const name of Object.keys(theirs.definitions)) {
    expect(ours.definitions[name], name).toStrictEqual(theirs.definitions[name]);
  }
}

test("the schema built from the JSON is the package's, definition by definition", () => {
  const ours = schemaFromJson();
  expectSameSchema(ours, getWorkflowSchema());
  // What the package's load() checks; the commands start from the snapshot and skip it.
  expect(() => (ours as unknown as { validate(): void }).validate()).not.toThrow();
});

test("the schema commands start from is the package's (else: npm run schema:snapshot)", () => {
  expectSameSchema(workflowSchema(), getWorkflowSchema());
  const file = join(import.meta.dirname, "workflow-schema.snapshot.json");
  expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(snapshotOf(getWorkflowSchema()));
});

test("a snapshot gives back equal objects of the same classes", () => {
  const theirs = getWorkflowSchema();
  expectSameSchema(restoreSchema(JSON.parse(JSON.stringify(snapshotOf(theirs)))), theirs);
});
