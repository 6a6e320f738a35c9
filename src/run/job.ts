import { arch, hostname } from "node:os";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { evaluateTemplate, hashFilesImpl, type Json, toStr } from "../expr/index.js";
import { jobSteps } from "../workflow/job-steps.js";
import { liveToken } from "../workflow/token-json.js";
import { asMapping, field, rawSteps } from "../workflow/tokens.js";
import type { JobAssignment } from "./assignment.js";
import type { Emit, JobResult } from "./events.js";
import type { Executor, PrepareSpec } from "./executor/types.js";
import type { JobState } from "./job-state.js";
import type { Masker } from "./mask.js";
import { evaluateIf, exprHost, recordStep, runStep, type StepSpec, stepEnv, stepName } from "./step.js";
import { annotate } from "./step-process.js";
import { timeoutWords } from "./timeout-words.js";

/** What a job runner gets besides its assignment: nothing that reaches back into the scheduler. */
export interface LegEnv {
  executor: Executor;
  masker: Masker;
  emit: Emit;
  signal: AbortSignal;
}

export interface LegResult {
  result: JobResult;
  outputs: Record<string, string>;
  reason?: string;
  /** `environment.url`, evaluated after the steps (it may read their outputs), as GitHub does. */
  environmentUrl?: string;
}

const toEnv = (v: Json | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  if (v && typeof v === "object" && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) out[k] = toStr(x);
  return out;
};

function runnerContext(temp: string, toolCache: string, verbose: boolean): Record<string, Json> {
  return {
    os: process.platform === "darwin" ? "macOS" : process.platform === "win32" ? "Windows" : "Linux",
    arch: arch() === "arm64" ? "ARM64" : arch() === "arm" ? "ARM" : "X64",
    name: hostname(),
    environment: "self-hosted",
    temp,
    tool_cache: toolCache,
    debug: verbose ? "1" : "",
  };
}

/** defaults.run of the job over the workflow's (`wf` is the workflow's `defaults:`). */
function runDefaults(
  wf: TemplateToken | undefined,
  job: TemplateToken | undefined,
  host: Parameters<typeof evaluateTemplate>[1],
) {
  const pick = (t: TemplateToken | undefined, k: string) => {
    const v = field(field(t, "run"), k);
    return v === undefined ? undefined : toStr(evaluateTemplate(v, host));
  };
  return {
    shell: pick(field(job, "defaults"), "shell") ?? pick(wf, "shell"),
    workingDirectory: pick(field(job, "defaults"), "working-directory") ?? pick(wf, "working-directory"),
  };
}

/**
 * Slipway's own credentials (a server's agent, dispatch, API and status tokens, webhook secret,
 * secret key, a database URL with its password) are not given to steps: a job could otherwise
 * register an agent of its own and lease other runs' jobs, secrets and all.
 */
const CREDENTIAL = /^SLIPWAY_(.*_)?(TOKEN|SECRET|SECRET_KEY|DATABASE_URL|PASSWORD)$/i;

export function stepSafeEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !CREDENTIAL.test(k)) out[k] = v;
  return out;
}

/** Runs one assignment: prepares its workspace, runs its steps, cleans up; emits its events. */
export async function runLeg(leg: JobAssignment, env: LegEnv): Promise<LegResult> {
  const started = Date.now();
  env.emit({ type: "job-start", job: leg.key, name: leg.name, labels: leg.runsOn });
  const prep: PrepareSpec = { ...leg.prepare, jobKey: leg.key };
  const body = liveToken(leg.body);
  const steps = jobSteps(body, leg.steps);
  let space: Awaited<ReturnType<Executor["prepareJob"]>>;
  try {
    space = await env.executor.prepareJob(prep);
  } catch (e) {
    const reason = `could not prepare the job workspace: ${(e as Error).message}`;
    env.emit({ type: "log", job: leg.key, stream: "stderr", text: reason });
    env.emit({
      type: "job-end",
      job: leg.key,
      name: leg.name,
      result: "failure",
      durationMs: Date.now() - started,
      reason,
      outputs: {},
    });
    return { result: "failure", outputs: {}, reason };
  }
  const github = {
    ...(leg.contexts.github as Record<string, Json>),
    workspace: space.workspace,
    job: leg.jobId,
  };
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  env.signal.addEventListener("abort", onAbort, { once: true });
  // A cancel that came while the workspace was being prepared fired before this listener.
  if (env.signal.aborted) ac.abort();
  const state: JobState = {
    key: leg.key,
    emit: env.emit,
    masker: env.masker,
    executor: env.executor,
    space,
    repoRoot: leg.prepare.repoRoot,
    runNumber: leg.prepare.runNumber,
    historyUrl: leg.prepare.historyUrl,
    env: {},
    path: [],
    steps: {},
    status: "success",
    state: {},
    summaries: [],
    contexts: {
      ...leg.contexts,
      secrets: leg.secrets ?? {},
      github,
      runner: runnerContext(space.temp, space.toolCache, leg.verbose),
      job: { status: "success", container: {}, services: {} },
    },
    verbose: leg.verbose,
    signal: ac.signal,
    stepCounter: 0,
    postSteps: [],
    freeFileSets: [],
  };
  let result: JobResult = "success";
  let reason: string | undefined;
  let outputs: Record<string, string> = {};
  let environmentUrl: string | undefined;
  let jobTimer: NodeJS.Timeout | undefined;
  try {
    const hostOf = () => {
      const h = exprHost(state, state.env);
      h.hashFiles = (p) => hashFilesImpl(space.workspace, p);
      return h;
    };
    const jobEnv = field(body, "env");
    state.env = {
      ...leg.workflowEnv,
      ...toEnv(
        jobEnv
          ? evaluateTemplate(jobEnv, {
              ...hostOf(),
              contexts: { ...hostOf().contexts, env: leg.workflowEnv },
            })
          : undefined,
      ),
    };
    const defaults = runDefaults(
      leg.workflowDefaults ? liveToken(leg.workflowDefaults) : undefined,
      body,
      hostOf(),
    );
    const tm = field(body, "timeout-minutes");
    const minutes = tm ? Number(evaluateTemplate(tm, hostOf())) : 360;
    jobTimer = setTimeout(() => {
      reason = `the job exceeded its timeout of ${timeoutWords(minutes)}`;
      ac.abort();
    }, minutes * 60_000);
    const raws = rawSteps(body);
    // process.env reads through getenv() key by key; every step copies it, so copy it once.
    const hostEnv = stepSafeEnv(process.env);
    const baseEnv = (stepEnv: Record<string, string>) => ({
      ...hostEnv,
      ...leg.runnerEnv,
      GITHUB_WORKSPACE: space.workspace,
      GITHUB_JOB: leg.jobId,
      RUNNER_TEMP: space.temp,
      RUNNER_TOOL_CACHE: space.toolCache,
      RUNNER_NAME: hostname(),
      ...(leg.verbose ? { RUNNER_DEBUG: "1" } : {}),
      ...stepEnv,
    });
    for (let i = 0; i < steps.length; i++) {
      const model = steps[i]!;
      const spec: StepSpec = { model, raw: raws[i], defaults, file: leg.workflow.file };
      const index = state.stepCounter++;
      if (ac.signal.aborted && state.status === "success") state.status = "cancelled";
      (state.contexts.job as Record<string, Json>).status = state.status;
      let host = hostOf();
      let run: boolean;
      let name = model.id;
      let ownEnv: Record<string, string>;
      try {
        // As on GitHub, the step's env is evaluated first and its `if` sees it.
        name = stepName(spec, host);
        ownEnv = stepEnv(state, spec.raw, host);
        host = exprHost(state, ownEnv);
        if (spec.model.name?.isExpression) name = stepName(spec, host);
        run = evaluateIf(model, host);
      } catch (e) {
        env.emit({ type: "step-start", job: leg.key, step: index, name });
        annotate(state, index, "error", `${name}: ${(e as Error).message}`, {});
        env.emit({
          type: "step-end",
          job: leg.key,
          step: index,
          name,
          outcome: "failure",
          conclusion: "failure",
          durationMs: 0,
        });
        // GitHub fails the step without running it; continue-on-error does not apply.
        recordStep(state, model.id, {}, { outcome: "failure", conclusion: "failure" });
        state.status = "failure";
        continue;
      }
      if (!run) {
        env.emit({
          type: "step-end",
          job: leg.key,
          step: index,
          name,
          outcome: "skipped",
          conclusion: "skipped",
          durationMs: 0,
        });
        if (!model.id.startsWith("__"))
          state.steps[model.id] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
        continue;
      }
      const t0 = Date.now();
      env.emit({ type: "step-start", job: leg.key, step: index, name });
      const r = await runStep(state, spec, index, baseEnv, ownEnv);
      env.emit({
        type: "step-end",
        job: leg.key,
        step: index,
        name,
        outcome: r.outcome,
        conclusion: r.conclusion,
        durationMs: Date.now() - t0,
      });
      if (r.conclusion === "failure" && state.status === "success") state.status = "failure";
      if (r.outcome === "cancelled") state.status = "cancelled";
    }
    for (const post of state.postSteps.reverse()) await post();
    result = state.status;
    if (ac.signal.aborted && result === "success") result = "cancelled";
    outputs = jobOutputs(field(body, "outputs"), state, hostOf());
    environmentUrl = environmentUrlOf(body, state, hostOf());
  } catch (e) {
    result = "failure";
    reason = (e as Error).message;
    annotate(state, undefined, "error", reason, {});
  } finally {
    if (jobTimer) clearTimeout(jobTimer);
    env.signal.removeEventListener("abort", onAbort);
    await env.executor.cleanupJob(space, prep);
  }
  if (reason && result === "cancelled") result = "failure"; // a timeout is a failure on GitHub
  env.emit({
    type: "job-end",
    job: leg.key,
    name: leg.name,
    result,
    durationMs: Date.now() - started,
    reason,
    outputs,
    ...(environmentUrl ? { environmentUrl } : {}),
  });
  return { result, outputs, reason, ...(environmentUrl ? { environmentUrl } : {}) };
}

/** The job's `environment.url` with its final contexts (steps, job, runner, env); a bad one is a warning. */
function environmentUrlOf(
  body: TemplateToken,
  state: JobState,
  host: ReturnType<typeof exprHost>,
): string | undefined {
  const tok = field(field(body, "environment"), "url");
  if (!tok) return undefined;
  try {
    const url = toStr(evaluateTemplate(tok, host));
    if (url) state.emit({ type: "log", job: state.key, stream: "info", text: `environment url: ${url}` });
    return url || undefined;
  } catch (e) {
    annotate(state, undefined, "warning", `environment url: ${(e as Error).message}`, {});
    return undefined;
  }
}

function jobOutputs(
  defs: TemplateToken | undefined,
  state: JobState,
  host: ReturnType<typeof exprHost>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const map = asMapping(defs);
  if (!map) return out;
  for (const pair of map) {
    const key = String((pair.key as unknown as { value: string }).value);
    let value: string;
    try {
      value = toStr(evaluateTemplate(pair.value, host));
    } catch (e) {
      annotate(state, undefined, "warning", `output '${key}': ${(e as Error).message}`, {});
      continue;
    }
    // GitHub drops outputs that would carry a secret to other jobs.
    if (state.masker.mask(value) !== value) {
      annotate(state, undefined, "warning", `Skip output '${key}' since it may contain secret.`, {});
      continue;
    }
    out[key] = value;
  }
  return out;
}
