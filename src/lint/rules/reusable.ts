// Jobs that call a local reusable workflow (`uses: ./.github/workflows/x.yml`): `with` and `secrets`
// must match the callee's workflow_call inputs and secrets. Outputs are checked where they are read
// (rules/expressions.ts) through the same cache.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isScalar } from "yaml";
import { insideRoot, OutsideRepository } from "../../workflow/inside-root.js";
import { type LintContext, report } from "../context.js";
import { type WorkflowModel, workflowModel } from "../model.js";
import { entries, get, parseSource, type SourceFile } from "../source.js";

export interface Callee {
  src: SourceFile;
  model: WorkflowModel;
}

/** Parses each callee once per lint run; undefined for remote or unreadable workflows. */
export class CalleeCache {
  private cache = new Map<string, Callee | undefined>();

  get(root: string, uses: string): Callee | undefined {
    if (!uses.startsWith("./") || insideRoot(root, uses) === "outside") return undefined;
    const path = resolve(root, uses);
    if (this.cache.has(path)) return this.cache.get(path);
    let callee: Callee | undefined;
    try {
      const src = parseSource(readFileSync(path, "utf8"), uses.slice(2), path, "workflow");
      callee = { src, model: workflowModel(src) };
    } catch {
      callee = undefined;
    }
    this.cache.set(path, callee);
    return callee;
  }
}

export function checkReusableCalls(ctx: LintContext, callees: CalleeCache): void {
  for (const job of ctx.model?.jobs.values() ?? []) {
    const uses = job.uses;
    if (!uses || !String(uses.value).startsWith("./")) continue;
    const target = String(uses.value);
    const callee = callees.get(ctx.root, target);
    if (!callee) {
      const outside = insideRoot(ctx.root, target) === "outside";
      report(
        ctx,
        "reusable-workflow",
        uses,
        outside ? new OutsideRepository(target).message : `cannot read reusable workflow '${target}'`,
      );
      continue;
    }
    const { callInputs, callSecrets } = callee.model;
    if (!callInputs) {
      report(
        ctx,
        "reusable-workflow",
        uses,
        `'${target}' has no workflow_call trigger, so it cannot be called`,
      );
      continue;
    }
    const withNode = get(job.node, "with");
    const given = new Set<string>();
    for (const e of entries(withNode)) {
      given.add(e.key.toLowerCase());
      if (!callInputs.has(e.key.toLowerCase())) {
        const known = [...callInputs.values()].map((i) => i.name).join(", ") || "none";
        report(ctx, "reusable-workflow", e.keyNode, `'${target}' has no input '${e.key}' (inputs: ${known})`);
      }
    }
    for (const input of callInputs.values()) {
      if (input.required && !input.hasDefault && !given.has(input.name.toLowerCase())) {
        report(
          ctx,
          "reusable-workflow",
          uses,
          `required input '${input.name}' of '${target}' is not given in with:`,
        );
      }
    }
    const secretsNode = get(job.node, "secrets");
    if (isScalar(secretsNode) && secretsNode.value === "inherit") continue;
    const passed = new Set<string>();
    for (const e of entries(secretsNode)) {
      passed.add(e.key.toLowerCase());
      if (!callSecrets?.has(e.key.toLowerCase())) {
        report(ctx, "reusable-workflow", e.keyNode, `'${target}' declares no secret '${e.key}'`);
      }
    }
    for (const s of callSecrets?.values() ?? []) {
      if (s.required && !passed.has(s.name.toLowerCase())) {
        report(ctx, "reusable-workflow", uses, `required secret '${s.name}' of '${target}' is not passed`);
      }
    }
  }
}
