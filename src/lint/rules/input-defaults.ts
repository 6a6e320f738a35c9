// Defaults of workflow inputs that cannot be what their type says: a `choice` default that is
// not one of its options, a `number` default that is not a number, a `boolean` default that is
// neither true nor false. The form (or the call) starts from a value the workflow never expects.
import { isScalar, type Node } from "yaml";
import { type LintContext, report } from "../context.js";
import { entries, get, items, str } from "../source.js";

function checkInputs(ctx: LintContext, inputs: Node | undefined): void {
  for (const e of entries(inputs)) {
    const def = get(e.value, "default");
    if (!isScalar(def) || def.value === null) continue;
    const type = str(get(e.value, "type"));
    const v = def.value;
    if (typeof v === "string" && v.includes("${{")) continue;
    if (type === "choice") {
      const options = items(get(e.value, "options")).map((o) => str(o));
      if (options.length === 0 || options.includes(String(v))) continue;
      report(
        ctx,
        "input-default",
        def,
        `default '${String(v)}' of input '${e.key}' is not one of its options (${options.join(", ")})`,
      );
    } else if (type === "number") {
      const ok =
        typeof v === "number" || (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)));
      if (!ok)
        report(
          ctx,
          "input-default",
          def,
          `default '${String(v)}' of number input '${e.key}' is not a number`,
        );
    } else if (type === "boolean") {
      const ok = typeof v === "boolean" || (typeof v === "string" && /^(true|false)$/i.test(v.trim()));
      if (!ok)
        report(
          ctx,
          "input-default",
          def,
          `default '${String(v)}' of boolean input '${e.key}' is neither true nor false`,
        );
    }
  }
}

export function checkInputDefaults(ctx: LintContext): void {
  const model = ctx.model;
  if (!model || !ctx.src.text.includes("default")) return;
  checkInputs(ctx, get(model.triggers.get("workflow_dispatch"), "inputs"));
  checkInputs(ctx, get(model.triggers.get("workflow_call"), "inputs"));
}
