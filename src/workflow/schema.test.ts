import { getWorkflowSchema } from "@actions/workflow-parser/workflows/workflow-schema";
import { expect, test } from "vitest";
import { workflowSchema } from "./schema.js";

test("the schema built from the JSON is the package's, definition by definition", () => {
  const ours = workflowSchema();
  const theirs = getWorkflowSchema();
  expect(ours).not.toBe(theirs);
  // What the package's load() checks, checked here rather than at every start.
  expect(() => (ours as unknown as { validate(): void }).validate()).not.toThrow();
  expect(ours.version).toBe(theirs.version);
  expect(Object.keys(ours.definitions)).toEqual(Object.keys(theirs.definitions));
  expect(Object.keys(ours.definitions).length).toBeGreaterThan(100);
  for (const name of Object.keys(theirs.definitions)) {
    expect(ours.definitions[name], name).toStrictEqual(theirs.definitions[name]);
  }
});
