// Resuming a run in a new process: the state is the fold of its events (step is
// deterministic), so a driver may save the events alone, append-only, and replay them.
import { initialState, step } from "./core.js";
import type { MachineConfig, MachineEvent, MachineState } from "./types.js";

export function replay(config: MachineConfig, events: MachineEvent[]): MachineState {
  const state = initialState(config);
  for (const e of events) step(state, e);
  return state;
}
