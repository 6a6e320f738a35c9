import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ActionRunsNode } from "@actions/workflow-parser/actions/index";
import { evaluate } from "../../expr/index.js";
import type { JobState } from "../job-state.js";
import { exprHost, truthy } from "../step.js";
import { annotate, runProcessStep } from "../step-process.js";
import type { LoadedAction } from "./action-file.js";
import { inputEnv } from "./inputs.js";
import { addPostStep, rootOf } from "./post.js";
import type { ActionCall, ActionResult } from "./types.js";

let stateKeys = 0;

/**
 * A JavaScript action on the host's Node (the one running Slipway): pre, main, then the
 * post script queued for the end of the job. @actions/core talks back through the
 * workflow commands and env files that runProcessStep handles.
 */
export async function runNodeAction(
  job: JobState,
  call: ActionCall,
  action: LoadedAction,
  inputs: Record<string, string>,
  actionEnv: Record<string, string>,
  label: string,
): Promise<ActionResult> {
  const runs = action.template.runs as ActionRunsNode;
  const root = rootOf(job);
  const stateKey = `${call.spec.model.id}#${++stateKeys}`;
  const stepEnv = { ...call.env, ...inputEnv(inputs) };
  const envFor = () => ({
    ...call.baseEnv(stepEnv),
    ...actionEnv,
    ...stateEnv(root.state[stateKey]),
  });
  const script = (rel: string) => join(action.dir, rel);
  for (const [what, rel] of [
    ["main", runs.main],
    ["pre", runs.pre],
    ["post", runs.post],
  ] as const) {
    if (rel && !existsSync(script(rel))) {
      annotate(
        job,
        call.index,
        "error",
        `${label}: ${action.file}: runs.${what} '${rel}' does not exist in ${action.dir}`,
        {},
      );
      return { ok: false, outputs: {} };
    }
  }
  job.emit({
    type: "log",
    job: job.key,
    step: call.index,
    stream: "info",
    text: `Running ${runs.using} action ${action.file} with the host's Node ${process.version} (${process.execPath})`,
  });
  const exec = (rel: string, index: number, target: JobState) =>
    runProcessStep(target, {
      argv: [process.execPath, script(rel)],
      cwd: target.space.workspace,
      env: envFor(),
      stepIndex: index,
      stateKey,
      timeoutMs: call.timeoutMs,
    });

  if (runs.pre) {
    // The runner runs pre at job start; here it runs just before main, in the same step.
    let go: boolean;
    try {
      go = truthy(evaluate(runs.preIf ?? "always()", exprHost(job, job.env)));
    } catch (e) {
      annotate(job, call.index, "error", `${label}: pre-if: ${(e as Error).message}`, {});
      return { ok: false, outputs: {} };
    }
    if (go) {
      const pre = await exec(runs.pre, call.index, job);
      if (!pre.ok) {
        if (!pre.error)
          annotate(job, call.index, "error", `${label}: pre script exited with code ${pre.exitCode}`, {});
        return { ok: false, outputs: pre.outputs };
      }
    }
  }
  const res = await exec(runs.main, call.index, job);
  if (runs.post) {
    const post = runs.post;
    addPostStep(job, `Post ${label}`, runs.postIf ?? "always()", async (index) => {
      const r = await exec(post, index, root);
      if (!r.ok && !r.error && !r.cancelled)
        annotate(root, index, "error", `Process completed with exit code ${r.exitCode}.`, {});
      return r.ok;
    });
  }
  if (!res.ok && !res.error && !res.cancelled)
    annotate(job, call.index, "error", `Process completed with exit code ${res.exitCode}.`, {});
  return { ok: res.ok, outputs: res.outputs };
}

function stateEnv(state: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(state ?? {})) env[`STATE_${k}`] = v;
  return env;
}
