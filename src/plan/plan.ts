import type {
  InputConfig,
  Job,
  WorkflowJob,
  WorkflowTemplate,
} from "@actions/workflow-parser/model/workflow-template";
import { type ExprHost, evaluate, evaluateTemplate, type Json, toStr } from "../expr/index.js";
import type { LoadedWorkflow } from "../workflow/load.js";
import { githubContext, type RunIds, runnerEnv } from "./contexts.js";
import type { TriggerEvent } from "./event.js";
import { matchEvent } from "./filters.js";
import type { GitFacts } from "./git.js";
import { buildGraph } from "./graph.js";
import { resolveInputs } from "./inputs.js";
import { jobDisplayName } from "./job-name.js";
import { expandMatrix, legName, legSuffix } from "./matrix.js";
import { placeJob, runsOnLabels } from "./platform.js";
import { evaluateStrategy } from "./strategy.js";

export interface SelectedWorkflow {
  wf: LoadedWorkflow;
  template: WorkflowTemplate;
  contexts: Record<string, Json>;
  runnerEnv: Record<string, string>;
}

export interface Skipped {
  wf: LoadedWorkflow;
  reason: string;
}

export interface Selection {
  selected: SelectedWorkflow[];
  skipped: Skipped[];
  errors: { file: string; message: string }[];
}

export interface SelectOptions {
  git: GitFacts;
  event: TriggerEvent;
  ids: RunIds;
  inputs: Record<string, string>;
  vars: Record<string, string>;
  secrets: Record<string, string>;
  token: string;
}

function inputDefs(t: WorkflowTemplate, event: string): Record<string, InputConfig> | undefined {
  if (event === "workflow_dispatch") return t.events.workflow_dispatch?.inputs;
  if (event === "workflow_call")
    return t.events.workflow_call?.inputs as Record<string, InputConfig> | undefined;
  return undefined;
}

/** Workflows the event triggers, each with its run-wide contexts. */
export function selectWorkflows(workflows: LoadedWorkflow[], o: SelectOptions): Selection {
  const out: Selection = { selected: [], skipped: [], errors: [] };
  const ev = o.event;
  for (const wf of workflows) {
    const t = wf.template;
    if (!t) continue;
    const m = matchEvent(t.events as Record<string, unknown>, {
      name: ev.name,
      ref: ev.ref,
      baseRef: ev.baseRef,
      action: ev.action,
      changedPaths: ev.changedPaths,
    });
    if (!m.matched) {
      out.skipped.push({ wf, reason: m.reason });
      continue;
    }
    const given =
      ev.name === "workflow_dispatch" || ev.name === "workflow_call"
        ? { ...stringsOf(ev.payload.inputs), ...o.inputs }
        : o.inputs;
    const inputs = resolveInputs(inputDefs(t, ev.name), given, ev.name);
    if (!inputs.ok) {
      out.errors.push({ file: wf.file, message: inputs.error });
      continue;
    }
    const payload =
      ev.name === "workflow_dispatch"
        ? { ...ev.payload, inputs: inputs.strings as Record<string, Json> }
        : ev.payload;
    const github = githubContext(o.git, { ...ev, payload }, wf, o.ids, o.token);
    out.selected.push({
      wf,
      template: t,
      contexts: {
        github,
        inputs: inputs.inputs,
        vars: o.vars,
        secrets: { ...o.secrets, GITHUB_TOKEN: o.token },
      },
      runnerEnv: runnerEnv(github, wf),
    });
  }
  return out;
}

function stringsOf(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === "object" && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) out[k] = toStr(x);
  return out;
}

export interface PlannedLeg {
  name: string;
  matrix?: Record<string, Json>;
  /** The `--matrix` filter that leaves this leg out (`k=v`). */
  deselected?: string;
}

export interface PlannedJob {
  id: string;
  needs: string[];
  stage: number;
  kind: "job" | "reusable";
  /** What `if:` says before the run (needs-dependent conditions are decided at run time). */
  condition: "run" | "skip" | "at-run-time";
  reason?: string;
  legs: PlannedLeg[] | { atRunTime: string };
  runsOn: string[];
  placement: "host" | "skip";
  placementReason?: string;
  uses?: string;
  /** Deployment environment, when its name is known before the run. */
  environment?: string;
}

export interface WorkflowPlan {
  file: string;
  name: string;
  stages: string[][];
  jobs: PlannedJob[];
  errors: string[];
}

/** The plan of one selected workflow, as far as it can be known before the run. */
export function planWorkflow(
  s: SelectedWorkflow,
  platforms: Record<string, "host" | "skip">,
  approve: string[] = [],
): WorkflowPlan {
  const nodes = s.template.jobs.map((j) => ({ id: j.id.value, needs: (j.needs ?? []).map((n) => n.value) }));
  const graph = buildGraph(nodes);
  const plan: WorkflowPlan = { file: s.wf.file, name: s.wf.name, stages: [], jobs: [], errors: [] };
  if (!graph.ok) {
    plan.errors = graph.errors.map((e) => e.message);
    return plan;
  }
  plan.stages = graph.stages;
  const stageOf = new Map<string, number>();
  graph.stages.forEach((st, i) => {
    for (const id of st) stageOf.set(id, i);
  });
  const status = { success: true, failure: false, cancelled: false };
  for (const job of s.template.jobs) {
    const id = job.id.value;
    const needs = (job.needs ?? []).map((n) => n.value);
    const host = { contexts: s.contexts, status };
    const pj: PlannedJob = {
      id,
      needs,
      stage: stageOf.get(id) ?? 0,
      kind: job.type === "job" ? "job" : "reusable",
      condition: "run",
      legs: [{ name: nameOf(job, { contexts: { ...s.contexts, matrix: {} }, status }) }],
      runsOn: [],
      placement: "host",
    };
    try {
      if (!evaluateIfStatic(job.if.expression, host)) {
        pj.condition = "skip";
        pj.reason = `if: ${job.if.expression} is false`;
      }
    } catch {
      pj.condition = "at-run-time";
      pj.reason = `if: ${job.if.expression} depends on run-time values`;
    }
    if (job.type === "reusableWorkflowJob") pj.uses = job.ref.value;
    try {
      const strategy = job.strategy ? evaluateStrategy(job.strategy, host) : undefined;
      const matrix =
        strategy && typeof strategy === "object" && !Array.isArray(strategy) ? strategy.matrix : undefined;
      const m = expandMatrix(matrix ?? undefined);
      if (!m.ok) plan.errors.push(`job '${id}': strategy.matrix: ${m.error}`);
      else if (matrix)
        pj.legs = m.legs.map((leg, i) => {
          const contexts = {
            ...s.contexts,
            matrix: leg,
            strategy: { "fail-fast": true, "job-index": i, "job-total": m.legs.length },
          };
          return { name: nameOf(job, { contexts, status }, leg), matrix: leg };
        });
    } catch (e) {
      pj.legs = { atRunTime: `matrix depends on run-time values (${(e as Error).message})` };
    }
    if (job.type === "job") {
      const j = job as Job;
      try {
        pj.runsOn = runsOnLabels(j["runs-on"] ? evaluateTemplate(j["runs-on"], host) : undefined);
        const place = placeJob(pj.runsOn, platforms);
        const env = environmentName(j, host);
        if (env) pj.environment = env;
        if (j.container || j.services) {
          pj.placement = "skip";
          pj.placementReason = `uses ${j.container ? "container:" : "services:"}, which needs a container executor`;
        } else if (env && !approve.some((a) => a === "*" || a.toLowerCase() === env.toLowerCase())) {
          pj.placement = "skip";
          pj.placementReason = `deploys to environment '${env}': run with --approve ${env}`;
        } else if (!place.run) {
          pj.placement = "skip";
          pj.placementReason = place.reason;
        }
      } catch {
        pj.runsOn = ["(from matrix)"];
      }
    }
    plan.jobs.push(pj);
  }
  return plan;
}

/** The name `slipway run` will show; from the id when `name:` needs run-time values. */
function nameOf(job: WorkflowJob, host: ExprHost, matrix?: Record<string, Json>): string {
  try {
    return jobDisplayName(job, host, matrix);
  } catch {
    return matrix === undefined ? job.id.value : legName(job.id.value, legSuffix(matrix));
  }
}

/** `if:` with needs unknown: throws when the answer depends on the run. */
function evaluateIfStatic(
  expr: string,
  host: {
    contexts: Record<string, Json>;
    status: { success: boolean; failure: boolean; cancelled: boolean };
  },
): boolean {
  if (/\bneeds\b|\bfailure\(|\bcancelled\(/.test(expr)) throw new Error("run-time");
  const v = evaluate(expr, host);
  return v !== null && v !== false && v !== 0 && v !== "";
}

/** The environment's name, or undefined when there is none or it depends on run-time values. */
function environmentName(j: Job, host: ExprHost): string | undefined {
  if (!j.environment) return undefined;
  try {
    const v = evaluateTemplate(j.environment, host);
    if (typeof v === "string") return v || undefined;
    if (v && typeof v === "object" && !Array.isArray(v) && v.name) return toStr(v.name);
  } catch {}
  return undefined;
}
