// GitHub's workflow schema as data: the definitions the package's TemplateSchema builds from its
// JSON, written out once (workflow-schema.snapshot.json, `npm run schema:snapshot`) and turned
// back into the same objects at start. The package's constructor walks every definition's tokens
// through generators (about 8 ms of every command's start); this is a copy of its result, and
// schema.test.ts holds the copy to the package's own schema.
import { BooleanDefinition } from "@actions/workflow-parser/templates/schema/boolean-definition";
import { MappingDefinition } from "@actions/workflow-parser/templates/schema/mapping-definition";
import { NullDefinition } from "@actions/workflow-parser/templates/schema/null-definition";
import { NumberDefinition } from "@actions/workflow-parser/templates/schema/number-definition";
import { OneOfDefinition } from "@actions/workflow-parser/templates/schema/one-of-definition";
import { PropertyDefinition } from "@actions/workflow-parser/templates/schema/property-definition";
import { SequenceDefinition } from "@actions/workflow-parser/templates/schema/sequence-definition";
import { StringDefinition } from "@actions/workflow-parser/templates/schema/string-definition";
import { TemplateSchema } from "@actions/workflow-parser/templates/schema/template-schema";

/** The classes a schema holds, by the tag the snapshot writes for them. */
const CLASSES: Record<string, { prototype: object }> = {
  null: NullDefinition,
  boolean: BooleanDefinition,
  number: NumberDefinition,
  string: StringDefinition,
  sequence: SequenceDefinition,
  mapping: MappingDefinition,
  "one-of": OneOfDefinition,
  property: PropertyDefinition,
};
const TAG = "$class";
const UNDEFINED = { $undefined: true };

function encode(v: unknown): unknown {
  if (v === undefined) return UNDEFINED;
  if (Array.isArray(v)) return v.map(encode);
  if (v === null || typeof v !== "object") return v;
  const proto = Object.getPrototypeOf(v);
  const tag = Object.keys(CLASSES).find((t) => CLASSES[t]!.prototype === proto);
  if (!tag && proto !== Object.prototype)
    throw new Error(`schema snapshot: unexpected ${proto?.constructor?.name}`);
  const out: Record<string, unknown> = tag ? { [TAG]: tag } : {};
  for (const [k, x] of Object.entries(v)) out[k] = encode(x);
  return out;
}

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (o.$undefined === true) return undefined;
  const tag = o[TAG] as string | undefined;
  const out: Record<string, unknown> = tag ? Object.create(CLASSES[tag]!.prototype) : {};
  for (const k of Object.keys(o)) if (k !== TAG) out[k] = decode(o[k]);
  return out;
}

export interface SchemaSnapshot {
  version: string;
  definitions: unknown;
}

export function snapshotOf(schema: TemplateSchema): SchemaSnapshot {
  return { version: schema.version, definitions: encode(schema.definitions) };
}

export function restoreSchema(snapshot: SchemaSnapshot): TemplateSchema {
  // Made as the constructor would leave it, without running it (its fields are read-only in the types).
  const schema = Object.create(TemplateSchema.prototype) as { version: string; definitions: unknown };
  schema.version = snapshot.version;
  schema.definitions = decode(snapshot.definitions);
  return schema as unknown as TemplateSchema;
}
