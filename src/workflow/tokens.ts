import { isMapping, isSequence, isString } from "@actions/workflow-parser";
import type { MappingToken } from "@actions/workflow-parser/templates/tokens/mapping-token";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";

/** A key of a raw mapping token (the typed model drops several keys we need). */
export function field(map: TemplateToken | undefined, key: string): TemplateToken | undefined {
  if (!map || !isMapping(map)) return undefined;
  // By index: the token's iterator is a generator, an object per step.
  for (let i = 0; i < map.count; i++) {
    const pair = map.get(i);
    if (isString(pair.key) && pair.key.value === key) return pair.value;
  }
  return undefined;
}

export function asMapping(t: TemplateToken | undefined): MappingToken | undefined {
  return t && isMapping(t) ? t : undefined;
}

/** The raw mapping of a job by id. */
export function rawJob(root: TemplateToken | undefined, id: string): MappingToken | undefined {
  return asMapping(field(field(root, "jobs"), id));
}

/** The raw step mappings of a job, in order. */
export function rawSteps(job: TemplateToken | undefined): TemplateToken[] {
  const steps = field(job, "steps");
  if (!steps || !isSequence(steps)) return [];
  const out: TemplateToken[] = [];
  for (let i = 0; i < steps.count; i++) out.push(steps.get(i));
  return out;
}

export function pos(t: TemplateToken | undefined): { line: number; col: number } | undefined {
  return t?.range ? { line: t.range.start.line, col: t.range.start.column } : undefined;
}
