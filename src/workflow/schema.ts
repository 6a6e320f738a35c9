// The workflow schema every command reads workflows against, restored from the snapshot of the
// package's own (schema-snapshot.ts; schema.test.ts fails when the package's schema changes and
// the snapshot was not written again with `npm run schema:snapshot`).
import type { TemplateSchema } from "@actions/workflow-parser/templates/schema/template-schema";
import { restoreSchema, type SchemaSnapshot } from "./schema-snapshot.js";
import snapshot from "./workflow-schema.snapshot.json" with { type: "json" };

let schema: TemplateSchema | undefined;

export function workflowSchema(): TemplateSchema {
  schema ??= restoreSchema(snapshot as SchemaSnapshot);
  return schema;
}
