import type { Emit, RunEvent, StampedEvent } from "./events.js";
import type { Masker } from "./mask.js";

/**
 * Fields whose values come from a closed set of words the engine writes (the event
 * kind, the stream, the result). Every other string, at any depth, is masked, so a
 * field added later cannot carry a secret past this gate.
 */
const CLOSED_TOP = new Set(["type", "stream", "result", "outcome", "conclusion"]);
const CLOSED_NESTED: Record<string, Set<string>> = {
  annotation: new Set(["level"]),
  // Each test case of a test-results event.
  cases: new Set(["outcome"]),
};

/** `closed`: the keys of this object whose string values are left as they are. */
function maskDeep(m: Masker, v: unknown, closed?: Set<string>): unknown {
  if (typeof v === "string") return m.mask(v);
  // An array's objects share its closed keys (a test case's outcome).
  if (Array.isArray(v)) return v.map((x) => maskDeep(m, x, closed));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      out[k] =
        typeof x === "string" && closed?.has(k)
          ? x
          : maskDeep(m, x, closed === CLOSED_TOP ? CLOSED_NESTED[k] : undefined);
    return out;
  }
  return v;
}

/** The event with every secret the masker knows masked (closed-set fields left as they are). */
export function maskEvent(masker: Masker, e: RunEvent): RunEvent {
  return masker.size === 0 ? e : (maskDeep(masker, e, CLOSED_TOP) as RunEvent);
}

/**
 * The one gate every event passes before any consumer (console, run folder, JUnit, JSON and,
 * later, the database and the server): it masks secrets, then stamps the event with its run,
 * its place in the run (`seq`, from 1, no gaps) and the time. The masker is read at each event,
 * so values added later (::add-mask::) count from then on. Events are copied, never changed in
 * place: the engine keeps using its own objects (outputs feed `needs`).
 */
export function eventGate(runId: string, masker: Masker, sink: (e: StampedEvent) => void): Emit {
  let seq = 0;
  return (e) => {
    sink({ ...maskEvent(masker, e), runId, seq: ++seq, time: Date.now() });
  };
}
