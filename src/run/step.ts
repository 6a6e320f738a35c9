import { randomUUID } from "node:crypto";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Step } from "@actions/workflow-parser/model/workflow-template";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { type ExprHost, evaluate, evaluateTemplate, hashFilesImpl, type Json, toStr } from "../expr/index.js";
import { field, pos } from "../workflow/tokens.js";
import { runActionStep } from "./actions/index.js";
import type { StepOutcome } from "./events.js";
import type { JobState } from "./job-state.js";
import { resolveShell, shellArgv, which } from "./shells.js";
import { annotate, runProcessStep } from "./step-process.js";

/** A step as the job runner sees it: the typed model plus raw keys the model drops. */
export interface StepSpec {
  model: Step;
  raw: TemplateToken | undefined;
  /** Defaults from `defaults.run` (job over workflow), already evaluated. */
  defaults: { shell?: string; workingDirectory?: string };
  /** The workflow or action.yml the step is written in, as shown to the user. */
  file?: string;
}

export function exprHost(job: JobState, env: Record<string, string>): ExprHost {
  return {
    contexts: { ...job.contexts, env, steps: job.steps as unknown as Json },
    status: {
      success: job.status === "success",
      failure: job.status === "failure",
      cancelled: job.status === "cancelled",
    },
    hashFiles: (p) => hashFilesImpl(job.space.workspace, p),
  };
}

export function stepName(spec: StepSpec, host: ExprHost): string {
  const m = spec.model;
  if (m.name) {
    try {
      return toStr(evaluateTemplate(m.name, host));
    } catch {}
  }
  if ("run" in m) {
    const src =
      "source" in m.run && typeof m.run.source === "string" ? m.run.source : toStr(m.run.toJSON() as Json);
    return `Run ${src.trim().split("\n")[0]}`;
  }
  if ("uses" in m) return `Run ${m.uses.value}`;
  return m.id;
}

/** Evaluates a raw field; undefined when absent. Errors propagate as ExprError. */
export function evalField(raw: TemplateToken | undefined, key: string, host: ExprHost): Json | undefined {
  const t = field(raw, key);
  return t === undefined ? undefined : evaluateTemplate(t, host);
}

export function truthy(v: Json | undefined): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "string") return v !== "";
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (typeof v === "boolean") return v;
  return true;
}

export interface StepRunResult {
  outcome: StepOutcome;
  conclusion: StepOutcome;
}

/** Step env over job env: what the `env` context and the process see. */
export function stepEnv(
  job: JobState,
  raw: TemplateToken | undefined,
  host: ExprHost,
): Record<string, string> {
  const env = { ...job.env };
  const v = evalField(raw, "env", host);
  if (v && typeof v === "object" && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) env[k] = toStr(x);
  return env;
}

export function resolveWorkdir(
  job: JobState,
  wd: string | undefined,
): { ok: true; cwd: string } | { ok: false; error: string } {
  const cwd = wd ? (isAbsolute(wd) ? wd : join(job.space.workspace, wd)) : job.space.workspace;
  if (!existsSync(cwd) || !statSync(cwd).isDirectory())
    return { ok: false, error: `working-directory '${wd ?? cwd}' does not exist (${cwd})` };
  return { ok: true, cwd };
}

/**
 * Runs one step of a job: `if`, env, then the run script or the action, and records
 * steps.<id>. The caller emits step-start/step-end.
 */
export async function runStep(
  job: JobState,
  spec: StepSpec,
  index: number,
  baseEnv: (stepEnv: Record<string, string>) => Record<string, string>,
  /** The step's env when the caller already evaluated it (for `if:`). */
  given?: Record<string, string>,
): Promise<StepRunResult> {
  const m = spec.model;
  const raw = spec.raw;
  let host = exprHost(job, job.env);
  let continueOnError = false;
  const settle = (ok: boolean): StepRunResult => {
    const outcome: StepOutcome = ok ? "success" : "failure";
    return { outcome, conclusion: ok || continueOnError ? "success" : "failure" };
  };
  /**
   * Fails the step before it starts (continue-on-error holds once it is known) and sets
   * steps.<id>; `at` names the key of the step the error is about, for file:line:col.
   */
  const fail = (msg: string, at?: string): StepRunResult => {
    const p = at ? pos(field(raw, at)) : undefined;
    if (p && spec.file) {
      annotate(job, index, "error", msg, {
        file: spec.file,
        line: String(p.line),
        col: String(p.col),
      });
    } else annotate(job, index, "error", msg, {});
    const r = settle(false);
    recordStep(job, m.id, {}, r);
    return r;
  };
  let timeoutMs: number | undefined;
  let env: Record<string, string>;
  // GitHub evaluates the step's env before the step runs: an error there fails the step
  // whatever continue-on-error says (the runner's StepsRunner never reaches it).
  try {
    env = given ?? stepEnv(job, raw, host);
    host = exprHost(job, env);
    const coe = m["continue-on-error"];
    continueOnError = typeof coe === "boolean" ? coe : truthy(coe ? evaluateTemplate(coe, host) : false);
  } catch (e) {
    return fail((e as Error).message);
  }
  try {
    const tm = evalField(raw, "timeout-minutes", host);
    if (tm !== undefined && tm !== null) timeoutMs = Number(tm) * 60_000;
  } catch (e) {
    return fail((e as Error).message, "timeout-minutes");
  }

  if ("run" in m) {
    let script: string;
    let shellName: string | undefined;
    let wd: string | undefined;
    try {
      script = toStr(evaluateTemplate(m.run, host));
      const sh = evalField(raw, "shell", host);
      shellName = sh === undefined ? spec.defaults.shell : toStr(sh);
      const w = evalField(raw, "working-directory", host);
      wd = w === undefined ? spec.defaults.workingDirectory : toStr(w);
    } catch (e) {
      return fail((e as Error).message);
    }
    const shell = resolveShell(shellName, [...job.path, env.PATH ?? process.env.PATH ?? ""].join(":"));
    if (!shell.ok) return fail(shell.error, raw && field(raw, "shell") ? "shell" : undefined);
    const cwd = resolveWorkdir(job, wd);
    if (!cwd.ok) return fail(cwd.error, "working-directory");
    const file = join(job.space.control, `${randomUUID()}${shell.shell.ext}`);
    writeFileSync(file, (shell.shell.prelude ?? "") + script);
    const res = await runProcessStep(job, {
      argv: shellArgv(shell.shell, file),
      cwd: cwd.cwd,
      // SHELL names the interpreter of this step (act does the same; scripts that re-exec "$SHELL" rely on it).
      env: {
        ...baseEnv(env),
        SHELL: which(shell.shell.argv[0]!, env.PATH ?? process.env.PATH) ?? shell.shell.argv[0]!,
      },
      stepIndex: index,
      stateKey: m.id,
      timeoutMs,
    });
    recordStep(job, m.id, res.outputs, settle(res.ok));
    if (!res.ok && !res.error && !res.cancelled)
      annotate(job, index, "error", `Process completed with exit code ${res.exitCode}.`, {});
    if (res.cancelled) return { outcome: "cancelled", conclusion: "cancelled" };
    return settle(res.ok);
  }
  if ("uses" in m) {
    const res = await runActionStep(job, { spec, index, env, host, baseEnv, timeoutMs });
    const r = settle(res.ok);
    recordStep(job, m.id, res.outputs, r);
    return r;
  }
  return fail(`step kind of '${m.id}' is not supported (wait/parallel/cancel steps are a preview feature)`);
}

export function recordStep(
  job: JobState,
  id: string,
  outputs: Record<string, string>,
  r: StepRunResult,
): void {
  // Generated ids (__run, __actions_checkout) are not visible in the steps context.
  if (id.startsWith("__")) return;
  job.steps[id] = { outputs, outcome: r.outcome, conclusion: r.conclusion };
}

export function evaluateIf(step: Step, host: ExprHost): boolean {
  if (!step.if) return host.status?.success ?? true;
  return truthy(evaluate(step.if.expression, host));
}
