// GitHub's workflow schema, built straight from the package's JSON. The package's getWorkflowSchema
// turns the JSON into text and back, walks it with nested generators and checks it against the
// schema language's own schema: about 25 ms of every command's start (a sixth of a one-file lint).
// The file is GitHub's and fixed, so its tokens are made directly; schema.test.ts holds the
// result to the package's, definition by definition.
import { TemplateSchema } from "@actions/workflow-parser/templates/schema/template-schema";
import {
  BooleanToken,
  MappingToken,
  NullToken,
  NumberToken,
  SequenceToken,
  StringToken,
} from "@actions/workflow-parser/templates/tokens/index";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
// The package exports only its .js files; the bundle and the tests read the JSON from its folder.
import json from "../../node_modules/@actions/workflow-parser/dist/workflow-v1.0.min.json" with {
  type: "json",
};

function token(v: unknown): TemplateToken {
  if (v === null) return new NullToken(undefined, undefined, undefined);
  if (typeof v === "boolean") return new BooleanToken(undefined, undefined, v, undefined);
  if (typeof v === "number") return new NumberToken(undefined, undefined, v, undefined);
  if (typeof v === "string") return new StringToken(undefined, undefined, v, undefined);
  if (Array.isArray(v)) {
    const seq = new SequenceToken(undefined, undefined, undefined);
    for (const item of v) seq.add(token(item));
    return seq;
  }
  const map = new MappingToken(undefined, undefined, undefined);
  for (const [k, item] of Object.entries(v as object))
    map.add(new StringToken(undefined, undefined, k, undefined), token(item));
  return map;
}

let schema: TemplateSchema | undefined;

export function workflowSchema(): TemplateSchema {
  if (!schema) {
    // The package's load() also runs the schema's validate(), which only throws on a malformed
    // schema file: this one is the package's own, and schema.test.ts holds what is built here to
    // the schema load() builds and checks (5 ms of every start saved).
    schema = new TemplateSchema(token(json) as MappingToken);
  }
  return schema;
}
