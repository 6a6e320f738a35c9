import { NoOperationTraceWriter } from "@actions/workflow-parser";
import { convertSteps } from "@actions/workflow-parser/model/converter/steps";
import type { Step } from "@actions/workflow-parser/model/workflow-template";
import {
  TemplateContext,
  TemplateValidationErrors,
} from "@actions/workflow-parser/templates/template-context";
import { BasicExpressionToken } from "@actions/workflow-parser/templates/tokens/basic-expression-token";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { workflowSchema } from "./schema.js";
import { field, rawSteps } from "./tokens.js";

/**
 * What the loader's model knows about a step that its tokens alone do not: its id (generated
 * for steps without one) and its `if:` as a condition (success() added). The parser needs the
 * schema attached to the tokens to work the condition out, and a token read back from JSON has
 * none, so the plan carries them.
 */
export interface StepMeta {
  id: string;
  if?: string;
}

/** The StepMeta of a job's typed steps. */
export function stepMeta(steps: Step[]): StepMeta[] {
  return steps.map((s) => ("if" in s && s.if ? { id: s.id, if: s.if.expression } : { id: s.id }));
}

const converted = new WeakMap<TemplateToken, Step[]>();

/**
 * The typed steps of a raw job mapping, as the loader's model has them: a job travels as its
 * tokens and its steps' StepMeta, and its runner reads the model from them.
 */
export function jobSteps(job: TemplateToken, meta: StepMeta[]): Step[] {
  let steps = converted.get(job);
  if (!steps) {
    const raw = field(job, "steps");
    const context = new TemplateContext(
      new TemplateValidationErrors(),
      workflowSchema(),
      new NoOperationTraceWriter(),
    );
    steps = raw ? convertSteps(context, raw) : [];
    const raws = rawSteps(job);
    for (const [i, s] of steps.entries()) {
      const m = meta[i];
      if (!m) continue;
      s.id = m.id;
      if (m.if !== undefined && "if" in s) {
        const at = field(raws[i], "if");
        s.if = new BasicExpressionToken(at?.file, at?.range, m.if, undefined, undefined, undefined);
      }
    }
    converted.set(job, steps);
  }
  return steps;
}
