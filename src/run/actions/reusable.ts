import { existsSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ReusableWorkflowJob } from "@actions/workflow-parser/model/workflow-template";
import { findOrFetch } from "../../action-store/fetch.js";
import { parseActionRef } from "../../action-store/ref.js";
import { type ExprHost, evaluateTemplate, type Json, toStr } from "../../expr/index.js";
import { jobDisplayName } from "../../plan/job-name.js";
import { expandMatrix } from "../../plan/matrix.js";
import { formatDiagnostic } from "../../workflow/diagnostic.js";
import { insideRoot } from "../../workflow/inside-root.js";
import { type LoadedWorkflow, loadWorkflow } from "../../workflow/load.js";
import { asMapping, field, pos } from "../../workflow/tokens.js";
import type { JobResult } from "../events.js";
import { deselected } from "../gates.js";
import { type JobOutcome, runWorkflow, type SchedulerOptions, type WorkflowRun } from "../scheduler.js";
import type { Semaphore } from "../semaphore.js";
import { truthy } from "../step.js";

export interface ReusableCall {
  job: ReusableWorkflowJob;
  key: string;
  run: WorkflowRun;
  host: ExprHost;
  options: SchedulerOptions;
  slots: Semaphore;
  groups: Map<string, { release: Promise<void>; cancel: () => void }>;
}

/** GitHub allows ten levels: the caller and up to nine nested reusable workflows. */
export const MAX_WORKFLOW_DEPTH = 10;
const depths = new WeakMap<WorkflowRun, number>();

type Located = { ok: true; path: string; root: string; shown: string } | { ok: false; error: string };

function repoRootOf(wf: LoadedWorkflow): string {
  return wf.path.endsWith(wf.file)
    ? wf.path.slice(0, wf.path.length - wf.file.length) || "/"
    : resolve(wf.path, "..", "..", "..");
}

/** `./.github/workflows/x.yml` in this repository, or `owner/repo/path@ref` from the action store. */
async function locate(uses: string, caller: LoadedWorkflow): Promise<Located> {
  if (uses.startsWith("./")) {
    const root = repoRootOf(caller);
    const path = resolve(root, uses);
    const where = insideRoot(root, uses);
    if (where === "outside") {
      let real = path;
      try {
        real = realpathSync(path);
      } catch {}
      return {
        ok: false,
        error: `'${uses}' leads to ${real}, outside the repository; Slipway loads local reusable workflows only from inside it`,
      };
    }
    if (where === "missing") return { ok: false, error: `reusable workflow '${uses}' not found (${path})` };
    return { ok: true, path, root, shown: uses };
  }
  const r = parseActionRef(uses);
  if (!r.ok || r.ref.kind !== "remote" || !r.ref.path)
    return {
      ok: false,
      error: `'${uses}' is not a reusable workflow reference (expected ./.github/workflows/x.yml or owner/repo/.github/workflows/x.yml@ref)`,
    };
  const { owner, repo, path, ref } = r.ref;
  const hit = await findOrFetch(owner, repo, ref, `reusable workflow '${uses}'`);
  if (!hit.ok) return hit;
  const file = join(hit.dir, path);
  if (!existsSync(file))
    return { ok: false, error: `the stored ${owner}/${repo}@${ref} has no file ${path}` };
  return { ok: true, path: file, root: hit.dir, shown: uses };
}

function objectOf(v: Json | undefined): Record<string, Json> {
  return v && typeof v === "object" && !Array.isArray(v) ? v : {};
}

type Typed = { ok: true; inputs: Record<string, Json> } | { ok: false; error: string };

/** `with:` against `on.workflow_call.inputs`: types, defaults, required, unknown names. */
function typedInputs(wf: LoadedWorkflow, given: Record<string, Json>, host: ExprHost): Typed {
  // The raw tokens: the typed model drops number types and their defaults.
  const defs = asMapping(field(field(field(wf.root, "on"), "workflow_call"), "inputs"));
  const out: Record<string, Json> = {};
  const names: string[] = [];
  for (const pair of defs ?? []) names.push(String((pair.key as unknown as { value: string }).value));
  for (const k of Object.keys(given))
    if (!names.some((n) => n.toLowerCase() === k.toLowerCase()))
      return {
        ok: false,
        error: `input '${k}' is not defined in ${wf.file} (on.workflow_call.inputs: ${names.join(", ") || "none"})`,
      };
  for (const pair of defs ?? []) {
    const name = String((pair.key as unknown as { value: string }).value);
    const scalar = (k: string) => {
      const t = field(pair.value, k);
      return t === undefined ? undefined : evaluateTemplate(t, host);
    };
    const gk = Object.keys(given).find((k) => k.toLowerCase() === name.toLowerCase());
    let v: Json | undefined = gk === undefined ? undefined : given[gk];
    if (v === undefined) v = scalar("default");
    const type = toStr(scalar("type") ?? "string");
    if (v === undefined || v === null) {
      if (truthy(scalar("required") ?? false))
        return {
          ok: false,
          error: `input '${name}' is required by ${wf.file} and was not given (add it under with:)`,
        };
      out[name] = type === "boolean" ? false : type === "number" ? 0 : "";
      continue;
    }
    if (type === "boolean") {
      if (typeof v === "string" && /^(true|false)$/i.test(v)) v = v.toLowerCase() === "true";
      if (typeof v !== "boolean")
        return { ok: false, error: `input '${name}' of ${wf.file} must be a boolean, got '${toStr(v)}'` };
    } else if (type === "number") {
      if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) v = Number(v);
      if (typeof v !== "number")
        return { ok: false, error: `input '${name}' of ${wf.file} must be a number, got '${toStr(v)}'` };
    } else v = toStr(v);
    out[name] = v;
  }
  return { ok: true, inputs: out };
}

function combine(results: JobResult[]): JobResult {
  if (results.includes("failure")) return "failure";
  if (results.includes("cancelled")) return "cancelled";
  return "success";
}

/**
 * `jobs.<id>.uses:` — the called workflow's jobs run through the same scheduler, with
 * its own inputs and secrets, under this job's key. Its outputs come from
 * `on.workflow_call.outputs`.
 */
export async function runReusableJob(call: ReusableCall): Promise<JobOutcome> {
  const o = call.options;
  const id = call.job.id.value;
  const shown = `${call.run.namePrefix ?? ""}${id}`;
  const uses = call.job.ref.value;
  const at = pos(call.job.ref);
  const where = `${call.run.wf.file}${at ? `:${at.line}:${at.col}` : ""}`;
  const end = (
    key: string,
    result: JobResult,
    reason: string | undefined,
    outputs: Record<string, string>,
    started: number,
    name = shown,
  ) => {
    if (reason && result !== "success") o.emit({ type: "log", job: key, stream: "stderr", text: reason });
    o.emit({
      type: "job-end",
      job: key,
      name,
      result,
      durationMs: Date.now() - started,
      reason,
      outputs,
    });
  };
  const fail = (reason: string): JobOutcome => {
    end(call.key, "failure", `${where}: job '${id}': ${reason}`, {}, Date.now());
    return { result: "failure", outputs: {}, continueOnError: false };
  };
  const depth = (depths.get(call.run) ?? 1) + 1;
  if (depth > MAX_WORKFLOW_DEPTH)
    return fail(`reusable workflows are nested deeper than ${MAX_WORKFLOW_DEPTH} levels`);
  const loc = await locate(uses, call.run.wf);
  if (!loc.ok) return fail(loc.error);
  const wf = await loadWorkflow(loc.path, loc.root, { fetchMissing: true });
  if (wf.diagnostics.length || !wf.template)
    return fail(`${uses}: ${wf.diagnostics.map(formatDiagnostic).join("; ") || "cannot load"}`);
  if (!wf.template.events.workflow_call)
    return fail(`${wf.file} is not a reusable workflow: it has no 'on: workflow_call'`);

  let strategy: Record<string, Json> = {};
  try {
    strategy = objectOf(call.job.strategy ? evaluateTemplate(call.job.strategy, call.host) : undefined);
  } catch (e) {
    return fail(`strategy: ${(e as Error).message}`);
  }
  const m = expandMatrix(strategy.matrix ?? undefined);
  if (!m.ok) return fail(`strategy.matrix: ${m.error}`);
  const isMatrix = strategy.matrix !== undefined && strategy.matrix !== null;
  const failFast = strategy["fail-fast"] === undefined ? true : truthy(strategy["fail-fast"]);
  const legs = await Promise.all(
    m.legs.map(async (matrix, i): Promise<JobOutcome> => {
      const key = isMatrix ? `${call.key}.${i + 1}` : call.key;
      const started = Date.now();
      const contexts: Record<string, Json> = {
        ...call.host.contexts,
        matrix: isMatrix ? matrix : {},
        strategy: {
          "fail-fast": failFast,
          "job-index": i,
          "job-total": m.legs.length,
          "max-parallel": m.legs.length,
        },
      };
      const host: ExprHost = { ...call.host, contexts };
      let name = shown;
      const legFail = (reason: string): JobOutcome => {
        end(key, "failure", `${where}: job '${id}': ${reason}`, {}, started, name);
        return { result: "failure", outputs: {}, continueOnError: false };
      };
      try {
        name = `${call.run.namePrefix ?? ""}${jobDisplayName(call.job, host, isMatrix ? matrix : undefined)}`;
      } catch (e) {
        return legFail(`name: ${(e as Error).message}`);
      }
      const unselected = isMatrix && deselected(matrix, o.matrix);
      if (unselected) {
        end(key, "skipped", `not selected by --matrix ${unselected}`, {}, started, name);
        return { result: "skipped", outputs: {}, continueOnError: false };
      }
      let given: Record<string, Json>;
      let secrets: Record<string, Json>;
      try {
        given = objectOf(
          call.job["input-values"] ? evaluateTemplate(call.job["input-values"], host) : undefined,
        );
        const callerSecrets = objectOf(call.run.contexts.secrets);
        secrets = call.job["inherit-secrets"]
          ? { ...callerSecrets }
          : objectOf(
              call.job["secret-values"] ? evaluateTemplate(call.job["secret-values"], host) : undefined,
            );
        secrets.GITHUB_TOKEN = callerSecrets.GITHUB_TOKEN ?? "";
      } catch (e) {
        return legFail((e as Error).message);
      }
      const inputs = typedInputs(wf, given, { contexts: { ...contexts, inputs: {} } });
      if (!inputs.ok) return legFail(inputs.error);
      for (const [name, def] of Object.entries(wf.template!.events.workflow_call!.secrets ?? {}))
        if (def.required && !call.job["inherit-secrets"] && !(name in secrets))
          return legFail(
            `secret '${name}' is required by ${wf.file} and was not passed (secrets: ${name}: ... or secrets: inherit)`,
          );
      // No job-start: on GitHub the caller is not a job of its own; its called jobs
      // are, shown as `caller / callee`.
      o.emit({
        type: "log",
        job: key,
        stream: "info",
        text: `Calling reusable workflow ${loc.shown} (${wf.file})`,
      });
      const run: WorkflowRun = {
        wf,
        contexts: {
          github: call.run.contexts.github ?? {},
          vars: call.run.contexts.vars ?? {},
          secrets,
          inputs: inputs.inputs,
        },
        runnerEnv: call.run.runnerEnv,
        extraEnv: call.run.extraEnv,
        namePrefix: `${name} / `,
      };
      depths.set(run, depth);
      const outcomes = await runWorkflow(run, o, call.slots, call.groups, false, `${key}.`);
      const jobs: Record<string, Json> = {};
      wf.template!.jobs.forEach((j, n) => {
        const r = outcomes[n];
        if (r) jobs[j.id.value] = { result: r.result, outputs: r.outputs };
      });
      const result = combine(
        outcomes.map((r) => (r.continueOnError && r.result === "failure" ? "success" : r.result)),
      );
      const outputs: Record<string, string> = {};
      const defs = asMapping(field(field(field(wf.root, "on"), "workflow_call"), "outputs"));
      for (const pair of defs ?? []) {
        const name = String((pair.key as unknown as { value: string }).value);
        const value = field(pair.value, "value");
        if (!value) continue;
        try {
          outputs[name] = toStr(evaluateTemplate(value, { contexts: { ...run.contexts, jobs } }));
        } catch (e) {
          o.emit({
            type: "log",
            job: key,
            stream: "stderr",
            text: `${wf.file}: output '${name}': ${(e as Error).message}`,
          });
        }
      }
      end(
        key,
        result,
        result === "success" ? undefined : `a job of ${wf.file} did not succeed`,
        outputs,
        started,
        name,
      );
      return { result, outputs, continueOnError: false };
    }),
  );
  if (!isMatrix) return legs[0] ?? { result: "success", outputs: {}, continueOnError: false };
  const outputs: Record<string, string> = {};
  for (const r of legs)
    for (const [k, v] of Object.entries(r.outputs)) if (v !== "" || !(k in outputs)) outputs[k] = v;
  // Every leg left out by --matrix: the job did not run.
  const result = legs.every((r) => r.result === "skipped") ? "skipped" : combine(legs.map((r) => r.result));
  o.emit({ type: "job-end", job: call.key, name: shown, result, durationMs: 0, outputs });
  return { result, outputs, continueOnError: false };
}
