import { NoOperationTraceWriter } from "@actions/workflow-parser";
import { convertSteps } from "@actions/workflow-parser/model/converter/steps";
import type { Step } from "@actions/workflow-parser/model/workflow-template";
import {
  TemplateContext,
  TemplateValidationErrors,
} from "@actions/workflow-parser/templates/template-context";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { workflowSchema } from "./schema.js";
import { field } from "./tokens.js";

const converted = new WeakMap<TemplateToken, Step[]>();

/**
 * The typed steps of a raw job mapping (generated ids, `if:` conditions), as the loader's
 * model has them: a job travels as its tokens, and its runner reads the model from them.
 */
export function jobSteps(job: TemplateToken): Step[] {
  let steps = converted.get(job);
  if (!steps) {
    const raw = field(job, "steps");
    const context = new TemplateContext(
      new TemplateValidationErrors(),
      workflowSchema(),
      new NoOperationTraceWriter(),
    );
    steps = raw ? convertSteps(context, raw) : [];
    converted.set(job, steps);
  }
  return steps;
}
