// GitHub's workflow schema built from the package's JSON: the tokens made directly, then the
// package's own TemplateSchema (its getWorkflowSchema turns the JSON into text and back, walks it
// with nested generators and checks it against the schema language's own schema). Used to write
// the snapshot that commands start from (schema.ts) and by the tests that hold it to the package.
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

export function schemaFromJson(): TemplateSchema {
  return new TemplateSchema(token(json) as MappingToken);
}
