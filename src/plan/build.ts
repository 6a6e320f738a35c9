import { basename, extname } from "node:path";
import type {
  Job,
  ReusableWorkflowJob,
  WorkflowTemplate,
} from "@actions/workflow-parser/model/workflow-template";
import type { Json } from "../expr/index.js";
import { stepMeta } from "../workflow/job-steps.js";
import type { LoadedWorkflow } from "../workflow/load.js";
import { encodeToken } from "../workflow/token-json.js";
import { field, rawJob } from "../workflow/tokens.js";
import type { TriggerEvent } from "./event.js";
import { expandNode } from "./expand.js";
import { buildGraph } from "./graph.js";
import type { SelectedWorkflow } from "./plan.js";
import {
  type JobNode,
  PLAN_VERSION,
  type PlanOptions,
  type RunPlan,
  type Trigger,
  type WorkflowNode,
} from "./run-plan.js";

export interface NodeSpec {
  wf: LoadedWorkflow;
  /** The workflow's jobs (all, or those --job keeps). */
  template: WorkflowTemplate;
  /** github, inputs, vars: no secrets (they are named, in secretNames). */
  contexts: Record<string, Json>;
  secretNames: string[];
  runnerEnv: Record<string, string>;
  extraEnv: Record<string, string>;
  keyPrefix: string;
  namePrefix: string;
  depth: number;
  root?: string;
}

/** Job keys of a workflow start with its file's base name when several workflows run. */
export function workflowKey(file: string): string {
  return basename(file, extname(file)).replace(/[^A-Za-z0-9_.-]/g, "_");
}

/**
 * One workflow's node of the run plan: its jobs with what can be decided now, and deferred
 * nodes for what needs the run (needs outputs, secrets, status functions, a callee's jobs).
 */
export function workflowNode(s: NodeSpec, o: PlanOptions): WorkflowNode {
  const root = s.wf.root;
  const graph = buildGraph(
    s.template.jobs.map((j) => ({ id: j.id.value, needs: (j.needs ?? []).map((n) => n.value) })),
  );
  const stageOf = new Map<string, number>();
  if (graph.ok) for (const [i, st] of graph.stages.entries()) for (const id of st) stageOf.set(id, i);
  const token = (k: string) => {
    const t = field(root, k);
    return t ? encodeToken(t) : undefined;
  };
  const call = field(field(root, "on"), "workflow_call");
  const node: WorkflowNode = {
    file: s.wf.file,
    name: s.wf.name,
    ...(s.root ? { root: s.root } : {}),
    keyPrefix: s.keyPrefix,
    namePrefix: s.namePrefix,
    depth: s.depth,
    contexts: s.contexts,
    secretNames: s.secretNames,
    runnerEnv: s.runnerEnv,
    extraEnv: s.extraEnv,
    env: token("env"),
    concurrency: token("concurrency"),
    defaults: token("defaults"),
    workflowCall: call ? encodeToken(call) : undefined,
    stages: graph.ok ? graph.stages : [],
    errors: graph.ok ? [] : graph.errors.map((e) => e.message),
    jobs: [],
  };
  // Before the run: no needs, no secrets, no status functions; whatever reads them throws.
  const host = { contexts: s.contexts };
  for (const j of s.template.jobs) {
    const id = j.id.value;
    const body = rawJob(root, id);
    const job: JobNode = {
      id,
      key: `${s.keyPrefix}${id}`,
      needs: (j.needs ?? []).map((n) => n.value),
      stage: stageOf.get(id) ?? 0,
      kind: j.type === "job" ? "job" : "reusable",
      ...(j.type === "reusableWorkflowJob" ? { uses: (j as ReusableWorkflowJob).ref.value } : {}),
      if: j.if.expression,
      body: body ? encodeToken(body) : { type: "mapping", pairs: [] },
      steps: j.type === "job" ? stepMeta((j as Job).steps) : [],
      legs: { deferred: "" },
    };
    job.legs = staticLegs(job, host, s.namePrefix, o);
    node.jobs.push(job);
  }
  return node;
}

function staticLegs(job: JobNode, host: { contexts: Record<string, Json> }, prefix: string, o: PlanOptions) {
  const x = expandNode(job, host, prefix, o);
  if (!x.ok) return { deferred: x.reason };
  const failed = x.legs.legs.find((l) => !l.decision.run && l.decision.result === "failure");
  if (failed && !failed.decision.run) return { deferred: failed.decision.reason };
  return x.legs;
}

/** The github context as a plan holds it: its token is the run's, given at run time. */
function withoutToken(github: Json | undefined): Json {
  return github && typeof github === "object" && !Array.isArray(github) ? { ...github, token: "" } : {};
}

export interface PlanSpec {
  runId: string;
  runNumber: number;
  trigger: Trigger;
  secretNames: string[];
  extraEnv: Record<string, string>;
  options: PlanOptions;
  /** Load and selection errors (see RunPlan.errors). */
  errors: string[];
  /** --job: the template cut to the jobs to run; undefined leaves the workflow out. */
  only?: (t: WorkflowTemplate) => WorkflowTemplate | undefined;
}

/** The run plan of the selected workflows. */
export function buildRunPlan(selected: SelectedWorkflow[], p: PlanSpec): RunPlan {
  const kept = selected.flatMap((w) => {
    const template = p.only ? p.only(w.template) : w.template;
    return template ? [{ w, template }] : [];
  });
  const several = kept.length > 1;
  return {
    version: PLAN_VERSION,
    runId: p.runId,
    runNumber: p.runNumber,
    trigger: p.trigger,
    secretNames: p.secretNames,
    options: p.options,
    errors: p.errors,
    workflows: kept.map(({ w, template }) =>
      workflowNode(
        {
          wf: w.wf,
          template,
          contexts: {
            github: withoutToken(w.contexts.github),
            inputs: w.contexts.inputs ?? {},
            vars: w.contexts.vars ?? {},
          },
          secretNames: [...p.secretNames, "GITHUB_TOKEN"],
          runnerEnv: w.runnerEnv,
          extraEnv: p.extraEnv,
          keyPrefix: several ? `${workflowKey(w.wf.file)}.` : "",
          namePrefix: "",
          depth: 1,
        },
        p.options,
      ),
    ),
  };
}

/** What triggered the run, as the plan records it. */
export function triggerOf(ev: TriggerEvent): Trigger {
  return { event: ev.name, ref: ev.ref, sha: ev.sha, actor: ev.actor, payload: ev.payload };
}
