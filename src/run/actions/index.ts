import { existsSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { findOrFetch } from "../../action-store/fetch.js";
import { type ActionRef, parseActionRef } from "../../action-store/ref.js";
import type { Json } from "../../expr/index.js";
import { insideRoot } from "../../workflow/inside-root.js";
import { field, pos } from "../../workflow/tokens.js";
import type { JobState } from "../job-state.js";
import { evalField, stepName } from "../step.js";
import { annotate, stepPath } from "../step-process.js";
import { type LoadedAction, loadAction } from "./action-file.js";
import { BUILTINS } from "./builtins/index.js";
import { runComposite } from "./composite.js";
import { resolveActionInputs, withValues } from "./inputs.js";
import { runNodeAction } from "./node.js";
import { addPostStep, rootOf } from "./post.js";
import { type ActionCall, type ActionResult, type Builtin, type BuiltinContext, StepError } from "./types.js";

export type { ActionCall, ActionResult } from "./types.js";

/**
 * A `uses:` step: a built-in (checkout, cache, artifacts, setup-*), a local action
 * (`./path` in the workspace) or one from the offline action store. Composite and
 * JavaScript actions run on the host; Docker actions need a container executor.
 */
/** The `uses:` of the step as file/line/col, unless the message already names a YAML position. */
function at(call: ActionCall, message: string): Record<string, string> {
  const p = pos(field(call.spec.raw, "uses"));
  if (!p || !call.spec.file || /\.ya?ml:\d+:\d+/.test(message)) return {};
  return { file: call.spec.file, line: String(p.line), col: String(p.col) };
}

export async function runActionStep(job: JobState, call: ActionCall): Promise<ActionResult> {
  const m = call.spec.model;
  const uses = "uses" in m ? m.uses.value : "";
  let label = uses;
  try {
    label = stepName(call.spec, call.host).replace(/^Run /, "");
  } catch {}
  const fail = (msg: string): ActionResult => {
    annotate(job, call.index, "error", `${label}: ${msg}`, at(call, msg));
    return { ok: false, outputs: {} };
  };
  try {
    const parsed = parseActionRef(uses);
    if (!parsed.ok) return fail(parsed.error);
    const ref = parsed.ref;
    if (ref.kind === "docker")
      return fail(`'${uses}' is a Docker action, which needs a container executor (this machine has none)`);
    if (ref.kind === "remote") {
      const builtin = BUILTINS[ref.name];
      if (builtin) return await runBuiltin(job, call, builtin, ref, label);
    }
    const found = await locate(job, call.index, ref, uses);
    if (!found.ok) return fail(found.error);
    const loaded = loadAction(found.dir, found.shown);
    if (!loaded.ok) return fail(loaded.error);
    if (ref.kind === "local") {
      const ws = job.space.workspace;
      const runs = loaded.action.template.runs as { main?: string; pre?: string; post?: string };
      for (const f of [runs.main, runs.pre, runs.post])
        if (f && insideRoot(ws, join(found.dir, f)) === "outside")
          return fail(outside(uses, ws, join(found.dir, f)));
    }
    return await runLoaded(job, call, loaded.action, ref, label);
  } catch (e) {
    return fail((e as Error).message);
  }
}

function outside(uses: string, ws: string, p: string): string {
  let real = resolve(ws, p);
  try {
    real = realpathSync(real);
  } catch {}
  return `'${uses}' leads to ${real}, outside the repository (the job's workspace); Slipway loads local actions only from inside it`;
}

async function locate(
  job: JobState,
  step: number,
  ref: ActionRef,
  uses: string,
): Promise<{ ok: true; dir: string; shown: string } | { ok: false; error: string }> {
  if (ref.kind === "local") {
    const ws = job.space.workspace;
    // The folder, and the action.yml in it, each may be a committed link.
    for (const p of [ref.path, join(ref.path, "action.yml"), join(ref.path, "action.yaml")])
      if (insideRoot(ws, p) === "outside") return { ok: false, error: outside(uses, ws, p) };
    return { ok: true, dir: resolve(ws, ref.path), shown: ref.path };
  }
  if (ref.kind !== "remote") return { ok: false, error: "unreachable" };
  const hit = await findOrFetch(ref.owner, ref.repo, ref.ref, `action '${uses}' is not built in and`);
  if (!hit.ok) return hit;
  if (hit.fetchedFrom)
    info(
      job,
      step,
      `Fetched ${ref.owner}/${ref.repo}@${ref.ref} (${hit.meta?.commit}) from ${hit.fetchedFrom} into the action store`,
    );
  const dir = ref.path ? join(hit.dir, ref.path) : hit.dir;
  if (!existsSync(dir))
    return { ok: false, error: `the stored ${ref.owner}/${ref.repo}@${ref.ref} has no folder '${ref.path}'` };
  return { ok: true, dir, shown: uses };
}

async function runLoaded(
  job: JobState,
  call: ActionCall,
  action: LoadedAction,
  ref: ActionRef,
  label: string,
): Promise<ActionResult> {
  const given = withValues(evalField(call.spec.raw, "with", call.host));
  const inputs = resolveActionInputs(action.template.inputs, given, call.host);
  if (!inputs.ok) throw new StepError(`${action.file}: ${inputs.error}`);
  if (inputs.unexpected.length)
    annotate(
      job,
      call.index,
      "warning",
      `Unexpected input(s) '${inputs.unexpected.join("', '")}', valid inputs are ['${(action.template.inputs ?? []).map((i) => i.id).join("', '")}']`,
      {},
    );
  const actionEnv: Record<string, string> = {
    GITHUB_ACTION: call.spec.model.id.replace(/^__/, ""),
    GITHUB_ACTION_PATH: action.dir,
    GITHUB_ACTION_REPOSITORY: ref.kind === "remote" ? `${ref.owner}/${ref.repo}` : "",
    GITHUB_ACTION_REF: ref.kind === "remote" ? ref.ref : "",
  };
  const runs = action.template.runs;
  switch (runs.using) {
    case "composite":
      return runComposite(job, call, action, inputs.inputs, actionEnv);
    case "docker":
      throw new StepError(
        `${action.file} is a Docker action (runs.using: docker), which needs a container executor (this machine has none)`,
      );
    default:
      return runNodeAction(job, call, action, inputs.inputs, actionEnv, label);
  }
}

async function runBuiltin(
  job: JobState,
  call: ActionCall,
  builtin: Builtin,
  ref: Extract<ActionRef, { kind: "remote" }>,
  label: string,
): Promise<ActionResult> {
  const given = withValues(evalField(call.spec.raw, "with", call.host));
  const inputs: Record<string, string> = { ...builtin.inputs };
  for (const [k, v] of Object.entries(given)) {
    if (k in builtin.inputs) inputs[k] = v;
    else if (builtin.ignored && k in builtin.ignored) {
      if (builtin.ignored[k]) info(job, call.index, `${k}: ${builtin.ignored[k]}`);
    } else
      annotate(
        job,
        call.index,
        "warning",
        `${label}: input '${k}' is not supported by the built-in ${ref.name}; ignored`,
        {},
      );
  }
  const name = `${ref.owner}/${ref.repo}${ref.path ? `/${ref.path}` : ""}`;
  info(job, call.index, `built-in ${name}@${ref.ref} (no download)`);
  const ctx: BuiltinContext = {
    job,
    call,
    ref: ref.ref,
    inputs,
    label,
    workspace: job.space.workspace,
    log: (t) => info(job, call.index, t),
    warn: (t) => annotate(job, call.index, "warning", t, {}),
    processEnv: () => {
      const env = call.baseEnv({ ...call.env });
      env.PATH = stepPath(job, env.PATH);
      return env;
    },
    setEnv: (k, v) => {
      job.env[k] = v;
      call.env[k] = v;
    },
    addPath: (d) => {
      job.path.unshift(d);
    },
    addPost: (postName, cond, run) =>
      addPostStep(job, postName, cond, async (index) => run((t) => info(rootOf(job), index, t))),
  };
  try {
    const outputs = await builtin.run(ctx);
    return { ok: true, outputs };
  } catch (e) {
    if (e instanceof StepError || e instanceof Error) {
      annotate(job, call.index, "error", `${label}: ${e.message}`, at(call, e.message));
      const partial = (e as { outputs?: Record<string, string> }).outputs;
      return { ok: false, outputs: partial ?? {} };
    }
    throw e;
  }
}

function info(job: JobState, step: number, text: string): void {
  job.emit({ type: "log", job: job.key, step, stream: "info", text });
}

export type { Json };
