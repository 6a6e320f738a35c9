// Facts about a workflow that several rules need: triggers, jobs, their needs, outputs, steps and
// matrix keys. Names are kept as written; lookups go through lower-case maps because GitHub
// compares job ids, step ids and properties case-insensitively.
import { isMap, isScalar, type Node, type Scalar } from "yaml";
import { entries, get, items, type SourceFile, scalarList, str } from "./source.js";

export interface StepInfo {
  index: number;
  node: Node;
  id?: string;
  uses?: Scalar;
  run?: Scalar;
}

export interface MatrixInfo {
  keys: Set<string>;
  /** Keys come from an expression somewhere, so an unknown key proves nothing. */
  open: boolean;
}

export interface JobInfo {
  id: string;
  keyNode: Scalar;
  node: Node | undefined;
  needs: Scalar[];
  /** Lower-case output name -> its key node. */
  outputs: Map<string, Scalar>;
  steps: StepInfo[];
  matrix: MatrixInfo | undefined;
  uses: Scalar | undefined;
}

export interface InputDecl {
  name: string;
  node: Scalar;
  required: boolean;
  hasDefault: boolean;
}

export interface WorkflowModel {
  /** Lower-case event name -> its configuration node. */
  triggers: Map<string, Node | undefined>;
  /** Lower-case job id -> job. */
  jobs: Map<string, JobInfo>;
  /** Inputs of workflow_dispatch / workflow_call (lower-case name), undefined when the trigger is absent. */
  dispatchInputs: Map<string, InputDecl> | undefined;
  callInputs: Map<string, InputDecl> | undefined;
  callSecrets: Map<string, InputDecl> | undefined;
  callOutputs: Map<string, Scalar> | undefined;
}

function triggersOf(on: Node | undefined): Map<string, Node | undefined> {
  const out = new Map<string, Node | undefined>();
  if (isScalar(on)) out.set(String(on.value).toLowerCase(), undefined);
  else if (isMap(on)) for (const e of entries(on)) out.set(e.key.toLowerCase(), e.value);
  else for (const s of scalarList(on)) out.set(String(s.value).toLowerCase(), undefined);
  return out;
}

export function declsOf(node: Node | undefined): Map<string, InputDecl> {
  const out = new Map<string, InputDecl>();
  for (const e of entries(node)) {
    const required = str(get(e.value, "required")) === "true";
    const hasDefault = get(e.value, "default") !== undefined;
    out.set(e.key.toLowerCase(), { name: e.key, node: e.keyNode, required, hasDefault });
  }
  return out;
}

function matrixOf(strategy: Node | undefined): MatrixInfo | undefined {
  const m = get(strategy, "matrix");
  if (m === undefined) return undefined;
  if (!isMap(m)) return { keys: new Set(), open: true };
  const keys = new Set<string>();
  let open = false;
  for (const e of entries(m)) {
    if (e.key === "include") {
      if (isScalar(e.value)) open = true;
      for (const inc of items(e.value)) {
        if (!isMap(inc)) open = true;
        for (const ie of entries(inc)) keys.add(ie.key.toLowerCase());
      }
    } else if (e.key !== "exclude") {
      keys.add(e.key.toLowerCase());
    }
  }
  return { keys, open };
}

function stepsOf(node: Node | undefined): StepInfo[] {
  return items(node).map((s, index) => {
    const step: StepInfo = { index, node: s };
    const id = str(get(s, "id"));
    if (id) step.id = id;
    const uses = get(s, "uses");
    if (isScalar(uses)) step.uses = uses;
    const run = get(s, "run");
    if (isScalar(run)) step.run = run;
    return step;
  });
}

export function jobsOf(jobsNode: Node | undefined): Map<string, JobInfo> {
  const jobs = new Map<string, JobInfo>();
  for (const e of entries(jobsNode)) {
    const outputs = new Map<string, Scalar>();
    for (const o of entries(get(e.value, "outputs"))) outputs.set(o.key.toLowerCase(), o.keyNode);
    const uses = get(e.value, "uses");
    jobs.set(e.key.toLowerCase(), {
      id: e.key,
      keyNode: e.keyNode,
      node: e.value,
      needs: scalarList(get(e.value, "needs")),
      outputs,
      steps: stepsOf(get(e.value, "steps")),
      matrix: matrixOf(get(e.value, "strategy")),
      uses: isScalar(uses) ? uses : undefined,
    });
  }
  return jobs;
}

export function workflowModel(src: SourceFile): WorkflowModel {
  const root = src.doc.contents;
  const triggers = triggersOf(get(root, "on"));
  const has = (ev: string) => triggers.has(ev);
  const call = triggers.get("workflow_call");
  const callOutputs = new Map<string, Scalar>();
  for (const o of entries(get(call, "outputs"))) callOutputs.set(o.key.toLowerCase(), o.keyNode);
  return {
    triggers,
    jobs: jobsOf(get(root, "jobs")),
    dispatchInputs: has("workflow_dispatch")
      ? declsOf(get(triggers.get("workflow_dispatch"), "inputs"))
      : undefined,
    callInputs: has("workflow_call") ? declsOf(get(call, "inputs")) : undefined,
    callSecrets: has("workflow_call") ? declsOf(get(call, "secrets")) : undefined,
    callOutputs: has("workflow_call") ? callOutputs : undefined,
  };
}
