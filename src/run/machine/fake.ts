// A synchronous fake driver for the core's tests: it answers expand and collect at once from
// the test's planner, keeps approvals and running legs until the test settles them, and
// records every command. No processes, no timers.
import type { JobResult, RunEvent } from "../events.js";
import { initialState, step } from "./core.js";
import { unanswered } from "./questions.js";
import { combine, counted } from "./result.js";
import type {
  ChildResult,
  Command,
  Decision,
  MachineConfig,
  MachineEvent,
  MachineState,
  NeedResult,
  NodeSpec,
  Outputs,
  Status,
} from "./types.js";

export interface FakePlanner {
  expand?(job: string, needs: Record<string, NeedResult>, status: Status): Decision;
  collect?(leg: string, results: Record<string, ChildResult>): { result: JobResult; outputs: Outputs };
}

/** One leg, named like the job, skipped when a need did not succeed (the default `if: success()`). */
export function plainLeg(job: string, _needs: Record<string, NeedResult>, status: Status): Decision {
  if (!status.success || status.cancelled) return { type: "skip", reason: `if: success() was false` };
  return {
    type: "legs",
    legs: [{ key: job, name: job }],
    failFast: true,
    maxParallel: 1,
    continueOnError: false,
    isMatrix: false,
  };
}

/** Nodes from `{ id: [needs] }`, keyed `prefix + id`. */
export function nodes(graph: Record<string, string[]>, prefix = ""): NodeSpec[] {
  return Object.entries(graph).map(([id, needs]) => ({ key: `${prefix}${id}`, id, name: id, needs }));
}

/** An event before the fake clock stamps it. */
type Untimed = MachineEvent extends infer E ? (E extends unknown ? Omit<E, "time"> : never) : never;

export class Sim {
  state: MachineState;
  time = 0;
  commands: Command[] = [];
  events: RunEvent[] = [];
  running: string[] = [];
  /** Legs that got cancel-leg, with the reason. */
  stopped: Record<string, string> = {};
  asked: string[] = [];
  expanded: { job: string; status: Status; needs: Record<string, NeedResult> }[] = [];
  collected: { leg: string; results: Record<string, ChildResult> }[] = [];
  result?: JobResult;
  /** Every event applied, in order. */
  log: MachineEvent[] = [];
  /** Most legs running at once. */
  peak = 0;
  private queue: MachineEvent[] = [];

  constructor(
    config: MachineConfig,
    private planner: FakePlanner = {},
    /** Save and load the state as JSON between every two transitions. */
    private roundTrip = false,
  ) {
    this.state = initialState(config);
  }

  send(e: Untimed): this {
    this.queue.push({ ...e, time: ++this.time } as MachineEvent);
    return this.flush();
  }

  /** Asks again what the (loaded) state has not had answered, as a driver does after a crash. */
  resume(): this {
    for (const c of unanswered(this.state)) this.run(c);
    return this.flush();
  }

  private flush(): this {
    while (this.queue.length) {
      if (this.roundTrip) this.state = JSON.parse(JSON.stringify(this.state));
      const e = this.queue.shift()!;
      this.log.push(e);
      const { commands } = step(this.state, e);
      for (const c of commands) this.run(c);
    }
    return this;
  }

  start(): this {
    return this.send({ type: "start" });
  }

  finish(leg: string, result: JobResult = "success", outputs: Outputs = {}, reason?: string): this {
    if (!this.running.includes(leg)) throw new Error(`${leg} is not running (running: ${this.running})`);
    this.running = this.running.filter((k) => k !== leg);
    return this.send({ type: "leg-finished", leg, result, outputs, reason });
  }

  /** Finishes running legs first come first served until none is left. */
  drain(result: (leg: string) => JobResult = () => "success"): this {
    while (this.running.length) {
      const leg = this.running[0]!;
      this.finish(leg, leg in this.stopped ? "cancelled" : result(leg));
    }
    return this;
  }

  decide(leg: string, approved: boolean, by = "test"): this {
    return this.send({ type: "approval-decided", leg, approved, by });
  }

  /** job-end events by job key. */
  ends(): Record<string, Extract<RunEvent, { type: "job-end" }>> {
    const out: Record<string, Extract<RunEvent, { type: "job-end" }>> = {};
    for (const e of this.events) if (e.type === "job-end") out[e.job] = e;
    return out;
  }

  /** Commands of one type, in order, with only their `job` or `leg`. */
  order(type: Command["type"]): string[] {
    return this.commands
      .filter((c) => c.type === type)
      .map((c) => ("leg" in c ? c.leg : "job" in c ? c.job : ""));
  }

  private run(c: Command): void {
    this.commands.push(c);
    switch (c.type) {
      case "emit":
        this.events.push(c.event);
        return;
      case "expand": {
        this.expanded.push({ job: c.job, status: c.status, needs: c.needs });
        const decision = (this.planner.expand ?? plainLeg)(c.job, c.needs, c.status);
        this.queue.push({ type: "expanded", job: c.job, decision, time: ++this.time });
        return;
      }
      case "collect": {
        this.collected.push({ leg: c.leg, results: c.results });
        const r = this.planner.collect?.(c.leg, c.results) ?? {
          result: combine(Object.values(c.results).map((x) => counted(x.result, x.continueOnError))),
          outputs: {},
        };
        this.queue.push({ type: "collected", leg: c.leg, ...r, time: ++this.time });
        return;
      }
      case "request-approval":
        this.asked.push(c.leg);
        return;
      case "start-leg":
        this.running.push(c.leg);
        this.peak = Math.max(this.peak, this.running.length);
        return;
      case "cancel-leg":
        this.stopped[c.leg] = c.reason;
        return;
      case "run-finished":
        this.result = c.result;
        return;
      case "prefetch":
        return;
    }
  }
}
