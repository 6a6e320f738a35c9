import type { RunEvent } from "../events.js";
import type { Command, MachineState } from "./types.js";

/** One transition's working set: the state it changes, the commands it issues, and its time. */
export interface Ctx {
  s: MachineState;
  out: Command[];
  now: number;
  /** Jobs with a free max-parallel slot and groups with no holder, to hand on before the step ends. */
  freedJobs: Set<string>;
  freedGroups: Set<string>;
  /** Back into the job and run logic (core.ts) from the leg logic (legs.ts). */
  hooks: {
    legEnded(ctx: Ctx, job: string): void;
    runGranted(ctx: Ctx, run: number): void;
    cancelRun(ctx: Ctx, run: number, reason: string): void;
  };
}

export function emit(ctx: Ctx, event: RunEvent): void {
  ctx.out.push({ type: "emit", event });
}
