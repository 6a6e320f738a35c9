// The parts of `strategy:` the schema lets through but GitHub does not: a value listed twice in a
// matrix row or include (the same job twice, or an include merged twice), and a max-parallel that
// is not a positive whole number.
import { isScalar, type Node } from "yaml";
import { type LintContext, report } from "../context.js";
import { entries, get, isExpression, items } from "../source.js";

function duplicates(ctx: LintContext, list: Node | undefined, what: string): void {
  const seen = new Map<string, Node>();
  for (const item of items(list)) {
    const key = JSON.stringify(item.toJSON());
    if (key.includes("${{")) continue;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, item);
      continue;
    }
    const line = first.range ? ctx.src.lines.linePos(first.range[0]).line : undefined;
    report(
      ctx,
      "matrix-duplicate",
      item,
      `${what} ${key} is listed twice${line ? ` (first on line ${line})` : ""}`,
      {
        fix: "remove the second one",
      },
    );
  }
}

function maxParallel(ctx: LintContext, node: Node | undefined): void {
  if (!isScalar(node)) return;
  const v = node.value;
  if (typeof v === "string" && isExpression(v)) return;
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (Number.isInteger(n) && n > 0) return;
  report(
    ctx,
    "max-parallel",
    node,
    `max-parallel must be a whole number of jobs, 1 or more; got ${String(v)}`,
  );
}

export function checkStrategy(ctx: LintContext): void {
  if (!ctx.src.text.includes("strategy")) return;
  for (const job of ctx.model?.jobs.values() ?? []) {
    const strategy = get(job.node, "strategy");
    if (strategy === undefined) continue;
    maxParallel(ctx, get(strategy, "max-parallel"));
    for (const e of entries(get(strategy, "matrix"))) {
      if (e.key === "exclude") continue;
      duplicates(ctx, e.value, e.key === "include" ? "include entry" : `matrix '${e.key}' value`);
    }
  }
}
