import { evaluateTemplate, type Json, toStr } from "../../expr/index.js";
import type { JobState } from "../job-state.js";
import { evaluateIf, exprHost, recordStep, runStep, type StepSpec, stepEnv, stepName } from "../step.js";
import { annotate } from "../step-process.js";
import type { LoadedAction } from "./action-file.js";
import { setRoot } from "./post.js";
import type { ActionCall, ActionResult } from "./types.js";

/** GitHub stops composite actions nested deeper than this. */
const MAX_DEPTH = 9;
const depths = new WeakMap<JobState, number>();

/**
 * Env of a composite's steps: the caller's step env on top of the job's. GITHUB_ENV writes
 * inside land here and in the job (they outlive the action); the caller's step env does not.
 */
function compositeEnv(parent: Record<string, string>, start: Record<string, string>): Record<string, string> {
  return new Proxy(
    { ...start },
    {
      set(target, key, value) {
        target[key as string] = value;
        parent[key as string] = value;
        return true;
      },
    },
  );
}

export async function runComposite(
  job: JobState,
  call: ActionCall,
  action: LoadedAction,
  inputs: Record<string, string>,
  actionEnv: Record<string, string>,
): Promise<ActionResult> {
  const depth = (depths.get(job) ?? 0) + 1;
  if (depth > MAX_DEPTH) {
    annotate(
      job,
      call.index,
      "error",
      `composite actions are nested deeper than ${MAX_DEPTH} levels (${action.file})`,
      {},
    );
    return { ok: false, outputs: {} };
  }
  if (action.template.runs.using !== "composite") throw new Error("not a composite action");
  const github = job.contexts.github as Record<string, Json>;
  const child: JobState = {
    ...job,
    env: compositeEnv(job.env, call.env),
    steps: {},
    status: "success",
    contexts: {
      ...job.contexts,
      github: {
        ...github,
        action_path: actionEnv.GITHUB_ACTION_PATH ?? "",
        action_repository: actionEnv.GITHUB_ACTION_REPOSITORY ?? "",
        action_ref: actionEnv.GITHUB_ACTION_REF ?? "",
      },
      inputs: inputs as Record<string, Json>,
    },
  };
  setRoot(child, job);
  depths.set(child, depth);
  const baseEnv = (e: Record<string, string>) => ({ ...call.baseEnv(e), ...actionEnv });
  const steps = action.template.runs.steps;
  for (let i = 0; i < steps.length; i++) {
    const model = steps[i]!;
    if (!model.id) model.id = `__${i}`;
    const spec: StepSpec = { model, raw: action.rawSteps[i], defaults: {}, file: action.file };
    if (job.signal.aborted && child.status === "success") child.status = "cancelled";
    let host = exprHost(child, child.env);
    let name = model.id;
    let run: boolean;
    let ownEnv: Record<string, string>;
    try {
      // As on GitHub, the step's env is evaluated first and its `if` sees it.
      name = stepName(spec, host);
      ownEnv = stepEnv(child, spec.raw, host);
      host = exprHost(child, ownEnv);
      if (spec.model.name?.isExpression) name = stepName(spec, host);
      run = evaluateIf(model, host);
    } catch (e) {
      annotate(job, call.index, "error", `${action.file}: step '${name}': ${(e as Error).message}`, {});
      recordStep(child, model.id, {}, { outcome: "failure", conclusion: "failure" });
      child.status = "failure";
      continue;
    }
    if (!run) {
      recordStep(child, model.id, {}, { outcome: "skipped", conclusion: "skipped" });
      continue;
    }
    job.emit({ type: "group", job: job.key, step: call.index, title: name });
    const r = await runStep(child, spec, call.index, baseEnv, ownEnv);
    job.emit({ type: "group", job: job.key, step: call.index, end: true });
    if (r.outcome === "cancelled") child.status = "cancelled";
    else if (r.conclusion === "failure" && child.status === "success") child.status = "failure";
  }
  const outputs: Record<string, string> = {};
  const host = exprHost(child, child.env);
  for (const o of action.template.outputs ?? []) {
    if (!o.value) continue;
    try {
      outputs[o.id] = toStr(evaluateTemplate(o.value, host));
    } catch (e) {
      annotate(job, call.index, "warning", `${action.file}: output '${o.id}': ${(e as Error).message}`, {});
    }
  }
  return { ok: child.status === "success", outputs };
}
