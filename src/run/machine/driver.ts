// The in-memory driver: keeps the core's state, feeds it events one at a time, and carries
// out its commands through ports. The CLI's scheduler; the server's will do the same from a
// database, saving the state (or the events) at every transition.
import type { JobResult, RunEvent } from "../events.js";
import { initialState, step } from "./core.js";
import { unanswered } from "./questions.js";
import type {
  ChildResult,
  Command,
  Decision,
  MachineConfig,
  MachineEvent,
  MachineState,
  NeedResult,
  Outputs,
  Status,
} from "./types.js";

export interface LegOutcome {
  result: JobResult;
  outputs: Outputs;
  reason?: string;
}

/** Everything the driver does outside the core goes through these. */
export interface Ports {
  /** The planner's run-time decision for a job whose needs are done. */
  expand(job: string, needs: Record<string, NeedResult>, status: Status): Decision | Promise<Decision>;
  /** A called workflow's result and outputs from its jobs' results. */
  collect(job: string, leg: string, results: Record<string, ChildResult>): LegOutcome | Promise<LegOutcome>;
  /** Runs one leg to its end; its job-start and job-end are its own. `signal` asks it to stop. */
  startLeg(job: string, leg: string, signal: AbortSignal): Promise<LegOutcome>;
  /** `signal` aborts when the answer is no longer needed (the run or the job was cancelled). */
  approve(
    request: { leg: string; name: string; environment: string },
    signal: AbortSignal,
  ): Promise<{ approved: boolean; by: string; rejected?: string }>;
  emit(event: RunEvent): void;
  /** Get a workspace ready for a job that waits on its needs. */
  prefetch?(job: string): void;
  /** ms since the epoch; Date.now by default. */
  now?(): number;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export interface DriveOptions {
  /** Aborting it cancels the run. */
  signal?: AbortSignal;
  /** Every event, before it is applied: a database-backed driver appends it to the run's log. */
  record?(event: MachineEvent): void;
  /**
   * The state of a run an earlier process did not finish (replay() of its recorded events):
   * the driver asks again what it was waiting for, instead of starting.
   */
  from?: MachineState;
  /** The state after each batch of transitions (read it, do not change it): who waits, and why. */
  observe?(state: MachineState): void;
}

/** Runs the workflows to their end; the run's result. */
export function drive(config: MachineConfig, ports: Ports, options: DriveOptions = {}): Promise<JobResult> {
  return new Driver(config, ports, options).run();
}

class Driver {
  state: MachineState;
  private queue: MachineEvent[] = [];
  private busy = false;
  /** Questions asked of the ports and not answered yet. */
  private waiting = 0;
  /** Per leg waiting for approval or running: aborted by cancel-leg. */
  private legs = new Map<string, AbortController>();
  private now: () => number;
  private done!: (r: JobResult) => void;
  private failed!: (e: Error) => void;
  private finished = false;

  private signal: AbortSignal;

  constructor(
    config: MachineConfig,
    private ports: Ports,
    private options: DriveOptions,
  ) {
    this.state = options.from ?? initialState(config);
    this.signal = options.signal ?? new AbortController().signal;
    this.now = ports.now ?? Date.now;
  }

  run(): Promise<JobResult> {
    const cancel = (): MachineEvent => {
      const reason = typeof this.signal.reason === "string" ? this.signal.reason : undefined;
      return { type: "cancel", reason, time: this.now() };
    };
    const onAbort = () => this.push(cancel());
    return new Promise<JobResult>((resolve, reject) => {
      this.done = resolve;
      this.failed = reject;
      // Cancelled already: the jobs are expanded with cancelled() true, as the old scheduler did.
      if (this.signal.aborted) this.queue.push(cancel());
      else this.signal.addEventListener("abort", onAbort, { once: true });
      if (this.state.result) resolve(this.state.result);
      else if (this.options.from) this.resume();
      else this.push({ type: "start", time: this.now() });
    }).finally(() => this.signal.removeEventListener("abort", onAbort));
  }

  private push(e: MachineEvent): void {
    this.queue.push(e);
    this.loop(() => {});
  }

  private resume(): void {
    this.loop(() => {
      for (const c of unanswered(this.state)) this.carryOut(c);
    });
  }

  /** Runs `first`, then every queued event, one transition at a time. */
  private loop(first: () => void): void {
    if (this.busy) return;
    this.busy = true;
    try {
      first();
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        this.options.record?.(e);
        const { commands } = step(this.state, e);
        for (const c of commands) this.carryOut(c);
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.busy = false;
    }
    this.options.observe?.(this.state);
    if (!this.finished && this.waiting === 0)
      this.fail(new Error("the scheduler stalled: nothing runs and nothing is asked"));
  }

  private fail(e: Error): void {
    this.finished = true;
    this.failed(e);
  }

  /** Sends the answer to a question as an event, synchronously when the port answered so. */
  private ask<T>(
    answer: () => T | Promise<T>,
    toEvent: (a: T) => MachineEvent,
    onError: (e: unknown) => T,
  ): void {
    let a: T | Promise<T>;
    try {
      a = answer();
    } catch (e) {
      a = onError(e);
    }
    if (!(a instanceof Promise)) {
      this.queue.push(toEvent(a));
      return;
    }
    this.waiting++;
    a.catch(onError).then((v) => {
      this.waiting--;
      if (!this.finished) this.push(toEvent(v));
    });
  }

  private carryOut(c: Command): void {
    const p = this.ports;
    switch (c.type) {
      case "emit":
        p.emit(c.event);
        return;
      case "prefetch":
        p.prefetch?.(c.job);
        return;
      case "expand":
        this.ask(
          () => p.expand(c.job, c.needs, c.status),
          (decision) => ({ type: "expanded", job: c.job, decision, time: this.now() }),
          (e): Decision => ({ type: "fail", reason: message(e) }),
        );
        return;
      case "collect":
        this.ask(
          () => p.collect(c.job, c.leg, c.results),
          (r) => ({ type: "collected", leg: c.leg, ...r, time: this.now() }),
          (e): LegOutcome => ({ result: "failure", outputs: {}, reason: message(e) }),
        );
        return;
      case "request-approval": {
        const ac = new AbortController();
        this.legs.set(c.leg, ac);
        this.ask(
          () => p.approve({ leg: c.leg, name: c.name, environment: c.environment }, ac.signal),
          (d) => {
            this.legs.delete(c.leg);
            return { type: "approval-decided", leg: c.leg, ...d, time: this.now() };
          },
          (e) => ({ approved: false, by: `nobody (${message(e)})` }),
        );
        return;
      }
      case "start-leg": {
        const ac = new AbortController();
        this.legs.set(c.leg, ac);
        this.ask(
          () => p.startLeg(c.job, c.leg, ac.signal),
          (r) => {
            this.legs.delete(c.leg);
            return { type: "leg-finished", leg: c.leg, ...r, time: this.now() };
          },
          (e): LegOutcome => ({ result: "failure", outputs: {}, reason: message(e) }),
        );
        return;
      }
      case "cancel-leg":
        this.legs.get(c.leg)?.abort(c.reason);
        return;
      case "run-finished":
        this.finished = true;
        this.done(c.result);
        return;
    }
  }
}
