import { evaluate } from "../../expr/index.js";
import type { JobState } from "../job-state.js";
import { exprHost, truthy } from "../step.js";
import { annotate } from "../step-process.js";

/** The job a composite's steps belong to: post steps and step numbers live there. */
const roots = new WeakMap<JobState, JobState>();

export function rootOf(job: JobState): JobState {
  return roots.get(job) ?? job;
}

export function setRoot(child: JobState, parent: JobState): void {
  roots.set(child, rootOf(parent));
}

/**
 * Queues a post step (run in reverse order at job end, even after failure). `cond` is
 * the post-if expression, `always()` when the action gives none.
 */
export function addPostStep(
  job: JobState,
  name: string,
  cond: string,
  run: (index: number) => Promise<boolean>,
): void {
  const root = rootOf(job);
  root.postSteps.push(async () => {
    const index = root.stepCounter++;
    (root.contexts.job as Record<string, unknown>).status = root.status;
    let go: boolean;
    try {
      go = truthy(evaluate(cond, exprHost(root, root.env)));
    } catch (e) {
      root.emit({ type: "step-start", job: root.key, step: index, name });
      annotate(root, index, "error", `${name}: post-if: ${(e as Error).message}`, {});
      root.emit({
        type: "step-end",
        job: root.key,
        step: index,
        name,
        outcome: "failure",
        conclusion: "failure",
        durationMs: 0,
      });
      root.status = "failure";
      return;
    }
    if (!go) {
      root.emit({
        type: "step-end",
        job: root.key,
        step: index,
        name,
        outcome: "skipped",
        conclusion: "skipped",
        durationMs: 0,
      });
      return;
    }
    const t0 = Date.now();
    root.emit({ type: "step-start", job: root.key, step: index, name });
    let ok: boolean;
    try {
      ok = await run(index);
    } catch (e) {
      annotate(root, index, "error", `${name}: ${(e as Error).message}`, {});
      ok = false;
    }
    const outcome = ok ? "success" : "failure";
    root.emit({
      type: "step-end",
      job: root.key,
      step: index,
      name,
      outcome,
      conclusion: outcome,
      durationMs: Date.now() - t0,
    });
    if (!ok && root.status === "success") root.status = "failure";
  });
}
