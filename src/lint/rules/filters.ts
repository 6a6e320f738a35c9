// Branch, tag and path filter patterns of push / pull_request / workflow_run triggers, checked
// against GitHub's filter pattern syntax (*, **, ?, +, [...], ! and \ escapes).
import type { Scalar } from "yaml";
import { type LintContext, report } from "../context.js";
import { get, keyNode, scalarList } from "../source.js";

const FILTERED_EVENTS = ["push", "pull_request", "pull_request_target", "workflow_run"];
const KINDS = ["branches", "tags", "paths"] as const;

/** The problem with one pattern, or undefined. `ref` patterns name git refs, others paths. */
export function patternProblem(pattern: string, ref: boolean): string | undefined {
  const body = pattern.startsWith("!") ? pattern.slice(1) : pattern;
  if (body === "") return pattern === "" ? "empty pattern" : "'!' with no pattern after it";
  if (!ref && body.startsWith("./"))
    return "paths are relative to the repository root; a leading './' never matches";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\") {
      i++;
      continue;
    }
    if ((c === "+" || c === "?") && i === 0)
      return `'${c}' repeats the character before it, and there is none`;
    if (c === "[") {
      const close = body.indexOf("]", i + 1);
      if (close < 0) return "'[' is not closed by ']'";
      const set = body.slice(i + 1, close);
      if (set === "") return "'[]' matches nothing";
      for (const m of set.matchAll(/(.)-(.)/g)) {
        if (m[1]! > m[2]!) return `range '${m[0]}' is reversed`;
      }
      i = close;
      continue;
    }
    if (ref && /[\s~^:]/.test(c)) return `'${c}' cannot appear in a git ref name`;
  }
  if (ref && body.includes("..")) return "'..' cannot appear in a git ref name";
  return undefined;
}

export function checkFilters(ctx: LintContext): void {
  for (const ev of FILTERED_EVENTS) {
    const cfg = ctx.model?.triggers.get(ev);
    if (!cfg) continue;
    for (const kind of KINDS) {
      const include = get(cfg, kind);
      const exclude = get(cfg, `${kind}-ignore`);
      if (include !== undefined && exclude !== undefined) {
        report(
          ctx,
          "filter-glob",
          keyNode(cfg, `${kind}-ignore`),
          `${ev}: use either ${kind} or ${kind}-ignore, not both`,
          {
            fix: `fold the ignored patterns into ${kind} with a leading '!'`,
          },
        );
      }
      const ref = kind !== "paths";
      for (const [node, negatable] of [
        [include, true],
        [exclude, false],
      ] as const) {
        const patterns: Scalar[] = scalarList(node);
        for (const p of patterns) {
          const problem = patternProblem(String(p.value ?? ""), ref);
          if (problem) report(ctx, "filter-glob", p, `${ev}.${kind}: '${p.value}': ${problem}`);
        }
        const values = patterns.map((p) => String(p.value));
        if (negatable && values.length > 0 && values.every((v) => v.startsWith("!"))) {
          report(
            ctx,
            "filter-glob",
            keyNode(cfg, kind),
            `${ev}.${kind} has only '!' patterns, so it matches nothing`,
            {
              fix: "add a positive pattern first, such as '**'",
            },
          );
        }
      }
    }
  }
}
