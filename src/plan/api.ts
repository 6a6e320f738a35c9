// The planner as run/ sees it: the plan's types and the functions that decide at run time
// what the plan deferred. run/ imports plan/ only through this file, so no rule (matrix
// expansion, strategy, placement, names) is decided a second time outside plan/.

export { workflowKey } from "./build.js";
export { type Call, type Callee, callOf, callOutputs, loadCallee, planCall } from "./callee.js";
export { type Condition, type Expansion, expandNode, jobCondition } from "./expand.js";
export { notApproved } from "./gates.js";
export type { SelectedWorkflow, WorkflowPlan } from "./plan.js";
export {
  type Decision,
  type Deferred,
  isDeferred,
  type JobNode,
  type LegNode,
  type Legs,
  type PlanOptions,
  type RunPlan,
  type WorkflowNode,
} from "./run-plan.js";
export { type Decided, workflowConcurrency, workflowEnv } from "./workflow-level.js";
