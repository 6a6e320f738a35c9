import { liveToken, type TokenJson, TokenJsonError } from "../workflow/token-json.js";
import type { RunIds } from "./contexts.js";
import { buildGraph } from "./graph.js";
import { jsonErrorOffset, lineCol } from "./json-position.js";
import { isDeferred, PLAN_VERSION, type RunPlan } from "./run-plan.js";

// A saved plan read back: the version checked, the shape checked as far as run/ relies on it,
// every token decoded once, and errors that name the file and the place.

export type PlanRead = { ok: true; plan: RunPlan } | { ok: false; error: string };

class Bad extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function need(v: unknown, where: string, kind: "object" | "array" | "string" | "number" | "boolean"): void {
  const ok = kind === "object" ? isObj(v) : kind === "array" ? Array.isArray(v) : typeof v === kind;
  if (!ok) throw new Bad(`${where} must be ${kind === "array" || kind === "object" ? "an" : "a"} ${kind}`);
}

function strings(v: unknown, where: string): void {
  need(v, where, "array");
  for (const [i, x] of (v as unknown[]).entries()) need(x, `${where}[${i}]`, "string");
}

function token(v: unknown, where: string): void {
  try {
    liveToken(v as TokenJson);
  } catch (e) {
    if (e instanceof TokenJsonError)
      throw new Bad(`${where}${e.path.slice("token".length)}: ${e.message.slice(e.path.length + 2)}`);
    throw e;
  }
}

/** A run plan from the text of `file` (what `slipway plan --json` prints, or its `plan`). */
export function readPlan(text: string, file: string): PlanRead {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const at = jsonErrorOffset(text);
    const where = at === undefined ? "" : lineCol(text, at);
    return { ok: false, error: `${file}${where}: not a JSON plan: ${(e as Error).message}` };
  }
  // `slipway plan --json` prints the plan under `plan`, beside its summary.
  const plan = isObj(json) && !("version" in json) && isObj(json.plan) ? json.plan : json;
  try {
    check(plan);
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: `${file}: ${e.message}` };
    throw e;
  }
  return { ok: true, plan: plan as RunPlan };
}

function check(p: unknown): void {
  if (!isObj(p)) throw new Bad("not a run plan (expected an object with version and workflows)");
  if (p.version !== PLAN_VERSION)
    throw new Bad(
      p.version === undefined
        ? "not a run plan: it has no version (make one with 'slipway plan --json')"
        : `plan version ${JSON.stringify(p.version)} is not supported (this Slipway reads version ${PLAN_VERSION})`,
    );
  need(p.trigger, "trigger", "object");
  const t = p.trigger as Record<string, unknown>;
  for (const k of ["event", "ref", "sha", "actor"]) need(t[k], `trigger.${k}`, "string");
  strings(p.secretNames, "secretNames");
  strings(p.errors, "errors");
  need(p.options, "options", "object");
  need((p.options as Record<string, unknown>).platforms, "options.platforms", "object");
  need(p.workflows, "workflows", "array");
  for (const [i, w] of (p.workflows as unknown[]).entries()) workflow(w, `workflows[${i}]`);
}

function workflow(w: unknown, at: string): void {
  need(w, at, "object");
  const n = w as Record<string, unknown>;
  for (const k of ["file", "name", "keyPrefix", "namePrefix"]) need(n[k], `${at}.${k}`, "string");
  need(n.depth, `${at}.depth`, "number");
  for (const k of ["contexts", "runnerEnv", "extraEnv"]) need(n[k], `${at}.${k}`, "object");
  strings(n.secretNames, `${at}.secretNames`);
  strings(n.errors, `${at}.errors`);
  need(n.stages, `${at}.stages`, "array");
  for (const k of ["env", "concurrency", "defaults", "workflowCall"])
    if (n[k] !== undefined) token(n[k], `${at}.${k}`);
  need(n.jobs, `${at}.jobs`, "array");
  const jobs = n.jobs as { id: string; needs: string[] }[];
  for (const [i, j] of jobs.entries()) job(j, `${at}.jobs[${i}]`);
  // The scheduler walks needs: an unknown job or a cycle would never end.
  const graph = buildGraph(jobs.map((j) => ({ id: j.id, needs: j.needs })));
  if (!graph.ok) throw new Bad(`${at}.jobs: ${graph.errors[0]!.message}`);
}

function job(j: unknown, at: string): void {
  need(j, at, "object");
  const n = j as Record<string, unknown>;
  for (const k of ["id", "key", "if"]) need(n[k], `${at}.${k}`, "string");
  if (n.kind !== "job" && n.kind !== "reusable") throw new Bad(`${at}.kind must be "job" or "reusable"`);
  if (n.kind === "reusable") need(n.uses, `${at}.uses`, "string");
  strings(n.needs, `${at}.needs`);
  token(n.body, `${at}.body`);
  need(n.steps, `${at}.steps`, "array");
  for (const [i, s] of (n.steps as unknown[]).entries()) {
    need(s, `${at}.steps[${i}]`, "object");
    need((s as Record<string, unknown>).id, `${at}.steps[${i}].id`, "string");
  }
  need(n.legs, `${at}.legs`, "object");
  const legs = n.legs as Record<string, unknown>;
  if (isDeferred(legs as never)) {
    need(legs.deferred, `${at}.legs.deferred`, "string");
    return;
  }
  need(legs.legs, `${at}.legs.legs`, "array");
  need(legs.maxParallel, `${at}.legs.maxParallel`, "number");
  for (const k of ["isMatrix", "failFast", "continueOnError"]) need(legs[k], `${at}.legs.${k}`, "boolean");
  strings(legs.notes, `${at}.legs.notes`);
  for (const [i, l] of (legs.legs as unknown[]).entries()) leg(l, `${at}.legs.legs[${i}]`);
}

function leg(l: unknown, at: string): void {
  need(l, at, "object");
  const n = l as Record<string, unknown>;
  need(n.key, `${at}.key`, "string");
  if (n.name !== undefined) need(n.name, `${at}.name`, "string");
  for (const k of ["matrix", "strategy", "decision"]) need(n[k], `${at}.${k}`, "object");
  strings(n.labels, `${at}.labels`);
  const d = n.decision as Record<string, unknown>;
  if (d.run !== true && !(d.run === false && (d.result === "skipped" || d.result === "failure")))
    throw new Bad(
      `${at}.decision must be {"run": true} or {"run": false, "result": "skipped" or "failure", "reason": ...}`,
    );
  if (d.run === false) need(d.reason, `${at}.decision.reason`, "string");
  if (n.environment !== undefined)
    need((n.environment as Record<string, unknown>)?.name, `${at}.environment.name`, "string");
  if (n.concurrency !== undefined) {
    need((n.concurrency as Record<string, unknown>)?.group, `${at}.concurrency.group`, "string");
    need((n.concurrency as Record<string, unknown>)?.cancel, `${at}.concurrency.cancel`, "boolean");
  }
}

/**
 * A saved plan run again is a new run: its ids, wherever the plan holds them, are the run's
 * (a new attempt's: its run's first attempt's id and number, and its attempt), and
 * github.workspace is the repository it runs in (`root`).
 */
export function rebindRun(plan: RunPlan, ids: RunIds, root: string): RunPlan {
  return {
    ...plan,
    runId: ids.runId,
    runNumber: ids.runNumber,
    workflows: plan.workflows.map((w) => {
      const github = isObj(w.contexts.github) ? w.contexts.github : {};
      return {
        ...w,
        contexts: {
          ...w.contexts,
          github: {
            ...github,
            run_id: ids.attempt?.runId ?? ids.runId,
            run_number: String(ids.attempt?.runNumber ?? ids.runNumber),
            run_attempt: String(ids.attempt?.attempt ?? 1),
            event_path: ids.eventPath,
            workspace: root,
          },
        },
        runnerEnv: {
          ...w.runnerEnv,
          GITHUB_RUN_ID: ids.attempt?.runId ?? ids.runId,
          GITHUB_RUN_NUMBER: String(ids.attempt?.runNumber ?? ids.runNumber),
          GITHUB_RUN_ATTEMPT: String(ids.attempt?.attempt ?? 1),
          GITHUB_EVENT_PATH: ids.eventPath,
        },
      };
    }),
  };
}
