// `with:` of a step that uses an action whose metadata is known (local action, action store,
// shipped data): keys the action does not take (with a did-you-mean), required inputs without a
// default that are missing, and inputs the action marks deprecated. GitHub itself only warns
// about unknown inputs and never checks required ones, so these fail late or silently.
import { isMap, isScalar, type Node, type Scalar } from "yaml";
import type { ActionMeta, InputMeta, ResolvedAction } from "../action-meta.js";
import { type LintContext, report } from "../context.js";
import { didYouMean } from "../did-you-mean.js";
import { entries, get, items } from "../source.js";

/** The version comment after a pinned `uses:` (`@<sha> # v4.2.2`). */
export function versionComment(ctx: LintContext, uses: Scalar): string | undefined {
  const end = uses.range?.[1];
  if (end === undefined) return undefined;
  const eol = ctx.src.text.indexOf("\n", end);
  const rest = ctx.src.text.slice(end, eol < 0 ? undefined : eol);
  return /^\s*#\s*(v?\d+(?:\.\d+){0,2})\b/.exec(rest)?.[1];
}

/** The action a step's `uses:` names, when its metadata is known. */
export function actionOf(ctx: LintContext, uses: Scalar | undefined): ResolvedAction | undefined {
  if (!ctx.actions || !isScalar(uses) || typeof uses.value !== "string") return undefined;
  return ctx.actions.get(ctx.root, uses.value.trim(), versionComment(ctx, uses));
}

type NamedInput = InputMeta & { name: string };
const byName = new WeakMap<ActionMeta, Map<string, NamedInput>>();

/** An action's inputs by lower-case name (GitHub matches them case-insensitively), made once. */
function inputsByName(meta: ActionMeta): Map<string, NamedInput> {
  let m = byName.get(meta);
  if (!m) {
    m = new Map(Object.entries(meta.inputs).map(([k, v]) => [k.toLowerCase(), { name: k, ...v }]));
    byName.set(meta, m);
  }
  return m;
}

function checkStep(ctx: LintContext, step: Node): void {
  const uses = get(step, "uses") as Scalar | undefined;
  const action = actionOf(ctx, uses);
  if (!action) return;
  const withNode = get(step, "with");
  if (withNode !== undefined && !isMap(withNode)) return;
  const inputs = inputsByName(action.meta);
  const given = new Set<string>();
  for (const e of entries(withNode)) {
    const key = e.key.toLowerCase();
    given.add(key);
    const input = inputs.get(key);
    if (!input) {
      if (action.meta.docker && (key === "args" || key === "entrypoint")) continue;
      const near = didYouMean(e.key, inputs.keys());
      const names = [...inputs.values()].map((i) => i.name);
      const list = names.length <= 12 ? ` (inputs: ${names.join(", ") || "none"})` : "";
      report(
        ctx,
        "action-input",
        e.keyNode,
        `'${e.key}' is not an input of ${action.name}${near ? `; did you mean '${inputs.get(near)!.name}'?` : list}`,
      );
    } else if (input.deprecated) {
      report(ctx, "deprecated-input", e.keyNode, `input '${e.key}' of ${action.name} is deprecated`, {
        fix: `see ${action.name}'s action.yml for what replaces it`,
      });
    }
  }
  const missing: NamedInput[] = [];
  for (const [key, i] of inputs) if (i.required && !i.default && !given.has(key)) missing.push(i);
  if (missing.length > 0) {
    const names = missing.map((i) => `'${i.name}'`).join(", ");
    report(
      ctx,
      "action-input",
      uses,
      `${action.name} requires ${names}, which ${missing.length > 1 ? "are" : "is"} not given in with:`,
    );
  }
}

export function checkActionInputs(ctx: LintContext): void {
  if (!ctx.actions) return;
  if (ctx.src.kind === "action") {
    for (const step of items(get(get(ctx.src.doc.contents, "runs"), "steps"))) checkStep(ctx, step);
    return;
  }
  for (const job of ctx.model?.jobs.values() ?? [])
    for (const step of job.steps) if (step.uses) checkStep(ctx, step.node);
}
