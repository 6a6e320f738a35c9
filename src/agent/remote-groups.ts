// A run `slipway serve` started asks the server for its workflows' concurrency groups before
// its jobs start: the server applies GitHub's rules across all its runs (one holds a group,
// the newest waits, an older waiting run is replaced; cancel-in-progress cancels the holder).
import type { RunGate } from "../run/scheduler.js";
import { post, ServerError, sleep } from "./http.js";

type Answer = { go: true } | { go: false; why: string } | { go: false; cancelled: string };

/** The gate: resolves when the run may start; `cancel` is called with the reason when it may not. */
export function remoteGroups(
  o: { url: string; token: string; queued: number },
  cancel: (reason: string) => void,
): RunGate {
  return async (groups, signal) => {
    let said: string | undefined;
    while (!signal.aborted) {
      try {
        const a = await post<Answer>(
          o.url,
          "/api/dispatch/groups",
          o.token,
          { queued: o.queued, groups, wait: 20_000 },
          signal,
        );
        if (!a || a.go) return;
        if ("cancelled" in a) return cancel(a.cancelled);
        if (a.why !== said) said = a.why;
      } catch (e) {
        // A server without groups (or that refuses): the run goes on as the CLI's would.
        if (e instanceof ServerError) return;
        await sleep(1000, signal);
      }
    }
  };
}

let told: Promise<void> = Promise.resolve();

/** Jobs of the run waiting for a concurrency group, told to the server in order (shown with the run). */
export function reportWaits(
  o: { url: string; token: string; queued: number },
  waits: Record<string, string>,
): Promise<void> {
  told = told.then(() =>
    post(o.url, "/api/dispatch/waits", o.token, { queued: o.queued, waits }).then(
      () => {},
      () => {},
    ),
  );
  return told;
}
