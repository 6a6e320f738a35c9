// The scheduler as data: what goes into the pure core (specs, events), what comes out
// (commands), and the state it keeps between transitions. All plain JSON.
//
// The protocol, per job: queued when its workflow starts (after the workflow's concurrency
// group) → `expand` once its needs are done → the driver answers `expanded` with skip, fail,
// legs or a call. Per leg: planner-ended (skip/fail) legs end at once; otherwise
// `request-approval` if it deploys (answered `approval-decided`) → a max-parallel slot of its
// job → a global slot → its concurrency group → `start-leg` (answered `leg-finished`). Per
// call leg: its child jobs follow the same protocol, then `collect` (answered `collected`).
// `cancel` and cancel-in-progress issue `cancel-leg` to running legs and end waiting ones.
// Every question is answered by exactly one event; answers that come too late are ignored.
import type { JobResult, RunEvent } from "../events.js";

export type Outputs = Record<string, string>;

/** A job of a workflow, before anything about it is decided at run time. */
export interface NodeSpec {
  /** Unique in the run: `build`, `ci.build`, `caller.1.build`. */
  key: string;
  /** The job id, as `needs:` names it. */
  id: string;
  /** Shown name (`caller / build` for a called workflow's job). */
  name: string;
  /** Job ids of the same workflow. */
  needs: string[];
  /** Ask the executor to get a workspace ready while this job waits on its needs. */
  prefetch?: boolean;
}

export interface Concurrency {
  group: string;
  cancel: boolean;
}

/** One workflow of a `slipway run`. */
export interface WorkflowSpec {
  /** The workflow's name, for job-queued. */
  workflow: string;
  concurrency?: Concurrency;
  /** The workflow could not start (its env or concurrency did not evaluate): it counts as failed. */
  error?: string;
  nodes: NodeSpec[];
}

export interface MachineConfig {
  /** Legs running at once over the whole run (`--jobs`). */
  maxJobs: number;
  workflows: WorkflowSpec[];
}

/** One matrix leg (or the only leg) of a job, as the planner decided it. */
export interface LegPlan {
  key: string;
  name: string;
  concurrency?: Concurrency;
  environment?: { name: string; url?: string };
  /** Info lines logged once the leg may run (after its approval). */
  notes?: string[];
  /** Ends the leg before it runs: --matrix deselection, placement, container jobs. */
  skip?: string;
  /** Ends the leg as failed before it runs: an expression of the leg did not evaluate. */
  fail?: string;
}

/** One leg of a `uses:` job: a called workflow whose jobs the core schedules like any others. */
export interface CallPlan {
  key: string;
  name: string;
  /** The called workflow's name, for job-queued. */
  workflow: string;
  /** Keys prefixed with the leg's key and a dot. */
  nodes: NodeSpec[];
  skip?: string;
  fail?: string;
}

export type Decision =
  | { type: "skip"; reason: string }
  | { type: "fail"; reason: string }
  | {
      type: "legs";
      legs: LegPlan[];
      failFast: boolean;
      maxParallel: number;
      continueOnError: boolean;
      isMatrix: boolean;
    }
  | { type: "call"; calls: CallPlan[]; isMatrix: boolean };

export interface Status {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

export interface NeedResult {
  result: JobResult;
  outputs: Outputs;
}

export interface ChildResult extends NeedResult {
  continueOnError: boolean;
}

/** Everything that happens to the run. `time` is ms since the epoch, given by the driver. */
export type MachineEvent =
  | { type: "start"; time: number }
  | { type: "expanded"; job: string; decision: Decision; time: number }
  | { type: "collected"; leg: string; result: JobResult; outputs: Outputs; reason?: string; time: number }
  | { type: "approval-decided"; leg: string; approved: boolean; by: string; rejected?: string; time: number }
  | { type: "leg-finished"; leg: string; result: JobResult; outputs: Outputs; reason?: string; time: number }
  | { type: "cancel"; reason?: string; time: number };

/** What the driver must do. Every command that asks a question is answered by one event. */
export type Command =
  | { type: "emit"; event: RunEvent }
  | { type: "prefetch"; job: string }
  /** Answered by `expanded`. */
  | { type: "expand"; job: string; needs: Record<string, NeedResult>; status: Status }
  /** Answered by `collected`. `results` by the called workflow's job ids. */
  | { type: "collect"; job: string; leg: string; results: Record<string, ChildResult> }
  /** Answered by `approval-decided`. */
  | { type: "request-approval"; leg: string; name: string; environment: string }
  /** Answered by `leg-finished`; the leg's own job-start and job-end are the runner's. */
  | { type: "start-leg"; job: string; leg: string }
  /** A running leg still answers with `leg-finished`; for a leg waiting for approval, the question is withdrawn. */
  | { type: "cancel-leg"; leg: string; reason: string }
  | { type: "run-finished"; result: JobResult };

export type LegPhase =
  | "approval" // asked for a decision
  | "leg-slot" // waits for max-parallel
  | "slot" // waits for a global slot
  | "group" // holds its slots, waits for its concurrency group
  | "running"
  | "calling" // a called workflow's jobs run
  | "collecting"
  | "done";

export interface LegState {
  key: string;
  job: string;
  name: string;
  phase: LegPhase;
  concurrency?: Concurrency;
  environment?: { name: string; url?: string };
  notes?: string[];
  startedAt: number;
  result?: JobResult;
  outputs?: Outputs;
  reason?: string;
  /** cancel-leg was issued, with this reason. */
  stopping?: string;
  /** Called workflow: its jobs' keys, and how many are not done. */
  children?: string[];
  open?: number;
}

export interface JobState {
  key: string;
  id: string;
  name: string;
  /** Index of the workflow run it belongs to (a called workflow's jobs: their caller's). */
  run: number;
  /** The call leg whose children it is, or "" for a workflow's own job. */
  scope: string;
  needs: string[];
  dependents: string[];
  /** Needs not done yet. */
  pending: number;
  phase: "waiting" | "expanding" | "legs" | "done";
  legs: string[];
  /** Legs not done yet. */
  open: number;
  isMatrix: boolean;
  failFast: boolean;
  maxParallel: number;
  continueOnError: boolean;
  /** Legs holding a max-parallel slot, and those waiting for one. */
  active: number;
  queue: string[];
  /** Why the remaining legs end cancelled (fail-fast). */
  aborted?: string;
  expandedAt: number;
  result?: JobResult;
  outputs?: Outputs;
  /** Over it and everything it needs: all succeeded; some failed. */
  ok?: boolean;
  failed?: boolean;
}

export interface RunState {
  workflow: string;
  concurrency?: Concurrency;
  phase: "waiting" | "running" | "done";
  /** Why its jobs are cancelled (Ctrl-C, or a newer run in its concurrency group). */
  cancelled?: string;
  failedToStart: boolean;
  /** Its own jobs (not a called workflow's), in workflow order. */
  jobs: string[];
  open: number;
}

/** Who holds or waits for a concurrency group: `run:<index>` or `leg:<key>`. */
export interface GroupState {
  holder: string;
  waiters: { who: string; cancel: boolean }[];
}

export interface MachineState {
  maxJobs: number;
  slotsUsed: number;
  /** Legs waiting for a global slot, first come first served. */
  slotQueue: string[];
  groups: Record<string, GroupState>;
  runs: RunState[];
  jobs: Record<string, JobState>;
  legs: Record<string, LegState>;
  /** Jobs of each call leg and workflow run not yet inserted, kept until they start. */
  pendingNodes: Record<string, NodeSpec[]>;
  started: boolean;
  result?: JobResult;
}
