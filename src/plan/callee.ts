import { existsSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { findOrFetch } from "../action-store/fetch.js";
import { parseActionRef } from "../action-store/ref.js";
import { type ExprHost, evaluateTemplate, type Json, toStr, truthy } from "../expr/index.js";
import { formatDiagnostic } from "../workflow/diagnostic.js";
import { insideRoot } from "../workflow/inside-root.js";
import { type LoadedWorkflow, loadWorkflow } from "../workflow/load.js";
import { liveToken } from "../workflow/token-json.js";
import { asMapping, field, pos } from "../workflow/tokens.js";
import { workflowNode } from "./build.js";
import type { JobNode, LegNode, PlanOptions, WorkflowNode } from "./run-plan.js";

// A reusable workflow's jobs are a deferred node: known once the call is reached (its
// inputs read needs outputs, its secrets the caller's values). Run time expands it here.

/** GitHub allows ten levels: the caller and up to nine nested reusable workflows. */
export const MAX_WORKFLOW_DEPTH = 10;

export interface Callee {
  wf: LoadedWorkflow;
  /** Where the callee's own `./` references resolve. */
  root: string;
  /** The `uses:` as written. */
  shown: string;
}

type Located = { ok: true; path: string; root: string; shown: string } | { ok: false; error: string };

/** `./.github/workflows/x.yml` in this repository, or `owner/repo/path@ref` from the action store. */
async function locate(uses: string, root: string): Promise<Located> {
  if (uses.startsWith("./")) {
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

/** `uses:` of a reusable job and where it is written (file:line:col), for its errors. */
export function callOf(job: JobNode, caller: WorkflowNode): { uses: string; where: string } {
  const t = field(liveToken(job.body), "uses");
  const at = pos(t);
  return {
    uses: job.uses ?? "",
    where: `${caller.file}${at ? `:${at.line}:${at.col}` : ""}`,
  };
}

/** Finds and loads the called workflow; `root` is the caller's repository. */
export async function loadCallee(
  uses: string,
  caller: WorkflowNode,
  root: string,
): Promise<{ ok: true; callee: Callee } | { ok: false; error: string }> {
  if (caller.depth + 1 > MAX_WORKFLOW_DEPTH)
    return { ok: false, error: `reusable workflows are nested deeper than ${MAX_WORKFLOW_DEPTH} levels` };
  const loc = await locate(uses, caller.root ?? root);
  if (!loc.ok) return loc;
  const wf = await loadWorkflow(loc.path, loc.root, { fetchMissing: true });
  if (wf.diagnostics.length || !wf.template)
    return {
      ok: false,
      error: `${uses}: ${wf.diagnostics.map(formatDiagnostic).join("; ") || "cannot load"}`,
    };
  if (!wf.template.events.workflow_call)
    return { ok: false, error: `${wf.file} is not a reusable workflow: it has no 'on: workflow_call'` };
  return { ok: true, callee: { wf, root: loc.root, shown: loc.shown } };
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

export type Call =
  | {
      ok: true;
      /** The called workflow's plan (secrets named). */
      node: WorkflowNode;
      /** The called workflow's secrets context: run-time values, never part of a plan. */
      secrets: Record<string, Json>;
    }
  | { ok: false; error: string };

/**
 * One call (one leg of the calling job): its `with:` and `secrets:` evaluated with the leg's
 * contexts (`host`, the caller's secret values included), checked against the callee, and
 * the callee's jobs planned under the leg's key and name.
 */
export function planCall(
  job: JobNode,
  leg: LegNode,
  caller: WorkflowNode,
  callee: Callee,
  host: ExprHost,
  o: PlanOptions,
): Call {
  const body = liveToken(job.body);
  const withTok = field(body, "with");
  const secretsTok = field(body, "secrets");
  const inherit =
    secretsTok !== undefined &&
    "value" in secretsTok &&
    (secretsTok as { value: unknown }).value === "inherit";
  let given: Record<string, Json>;
  let secrets: Record<string, Json>;
  try {
    given = objectOf(withTok ? evaluateTemplate(withTok, host) : undefined);
    const callerSecrets = objectOf(host.contexts.secrets);
    secrets = inherit
      ? { ...callerSecrets }
      : objectOf(secretsTok && !inherit ? evaluateTemplate(secretsTok, host) : undefined);
    secrets.GITHUB_TOKEN = callerSecrets.GITHUB_TOKEN ?? "";
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  const wf = callee.wf;
  const inputs = typedInputs(wf, given, { contexts: { ...host.contexts, inputs: {} } });
  if (!inputs.ok) return inputs;
  for (const [name, def] of Object.entries(wf.template!.events.workflow_call!.secrets ?? {}))
    if (def.required && !inherit && !(name in secrets))
      return {
        ok: false,
        error: `secret '${name}' is required by ${wf.file} and was not passed (secrets: ${name}: ... or secrets: inherit)`,
      };
  const node = workflowNode(
    {
      wf,
      template: wf.template!,
      contexts: {
        github: caller.contexts.github ?? {},
        vars: caller.contexts.vars ?? {},
        inputs: inputs.inputs,
      },
      secretNames: Object.keys(secrets),
      runnerEnv: caller.runnerEnv,
      extraEnv: caller.extraEnv,
      keyPrefix: `${leg.key}.`,
      namePrefix: `${leg.name ?? ""} / `,
      depth: caller.depth + 1,
      root: callee.root,
    },
    o,
  );
  return { ok: true, node, secrets };
}

/** `on.workflow_call.outputs` of a called workflow once its jobs ended; errors per output. */
export function callOutputs(
  node: WorkflowNode,
  contexts: Record<string, Json>,
  jobs: Record<string, Json>,
): { outputs: Record<string, string>; errors: string[] } {
  const outputs: Record<string, string> = {};
  const errors: string[] = [];
  const defs = asMapping(field(node.workflowCall ? liveToken(node.workflowCall) : undefined, "outputs"));
  for (const pair of defs ?? []) {
    const name = String((pair.key as unknown as { value: string }).value);
    const value = field(pair.value, "value");
    if (!value) continue;
    try {
      outputs[name] = toStr(evaluateTemplate(value, { contexts: { ...contexts, jobs } }));
    } catch (e) {
      errors.push(`${node.file}: output '${name}': ${(e as Error).message}`);
    }
  }
  return { outputs, errors };
}
