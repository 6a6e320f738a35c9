// `strategy.matrix.exclude` entries must name matrix keys and match some value of each key.
// Objects match partially (GitHub matches nested maps key by key), so only what is written is compared.
import { isMap, isSeq } from "yaml";
import { expandMatrix, type Json } from "../../plan/matrix.js";
import { type LintContext, report } from "../context.js";
import { entries, get, items, keyNode } from "../source.js";

/** Whether `pattern` matches `value`: equal scalars, or every key of a pattern map matching. */
export function partialMatch(pattern: unknown, value: unknown): boolean {
  if (pattern && typeof pattern === "object" && !Array.isArray(pattern)) {
    if (!value || typeof value !== "object" || Array.isArray(value)) return false;
    const v = value as Record<string, unknown>;
    return Object.entries(pattern).every(([k, p]) => k in v && partialMatch(p, v[k]));
  }
  if (Array.isArray(pattern)) return JSON.stringify(pattern) === JSON.stringify(value);
  return String(pattern) === String(value);
}

export function checkMatrixExclude(ctx: LintContext): void {
  for (const job of ctx.model?.jobs.values() ?? []) {
    const strategy = get(job.node, "strategy");
    const matrix = get(strategy, "matrix");
    if (!isMap(matrix)) continue;
    checkExpansion(ctx, matrix.toJSON() as Json, keyNode(strategy, "matrix")!);
    const rows = new Map<string, unknown[] | undefined>();
    for (const e of entries(matrix)) {
      if (e.key === "include" || e.key === "exclude") continue;
      rows.set(e.key, isSeq(e.value) ? (e.value.toJSON() as unknown[]) : undefined);
    }
    for (const ex of items(get(matrix, "exclude"))) {
      for (const e of entries(ex)) {
        if (!rows.has(e.key)) {
          const keys = [...rows.keys()].join(", ") || "none";
          report(
            ctx,
            "matrix-key-undefined",
            e.keyNode,
            `exclude names '${e.key}', which is not a matrix key (keys: ${keys})`,
          );
          continue;
        }
        const values = rows.get(e.key);
        const want = e.value?.toJSON() as unknown;
        if (!values || JSON.stringify(values).includes("${{") || JSON.stringify(want ?? "").includes("${{"))
          continue;
        if (!values.some((v) => partialMatch(want, v))) {
          report(
            ctx,
            "matrix-key-undefined",
            e.value,
            `exclude value ${JSON.stringify(want)} matches no '${e.key}' value (${values.map((v) => JSON.stringify(v)).join(", ")})`,
          );
        }
      }
    }
  }
}

/**
 * What plan refuses in a matrix, said at `matrix:`: more than 256 legs (GitHub's limit), no legs at
 * all, an empty include. Expressions stay as text: the legs they add are counted, and a matrix
 * whose shape depends on one is left to the run. Exclude keys are checked above.
 */
function checkExpansion(ctx: LintContext, matrix: Json, at: Parameters<typeof report>[2]): void {
  const r = expandMatrix(matrix);
  if (r.ok) return;
  if (!r.tooLarge && (JSON.stringify(matrix).includes("${{") || /exclude key/.test(r.error))) return;
  report(ctx, "matrix-expansion", at, r.error);
}
