import { evaluateTemplate, type Json, toStr } from "../expr/index.js";
import type { JobOutcome, SchedulerOptions, WorkflowRun } from "./scheduler.js";
import { truthy } from "./step.js";

// What holds a job back before it runs: --matrix selection, deployment environments and
// concurrency groups (workflow and job level share one table, as on GitHub).

/**
 * The first `--matrix` key this leg fails, as `k=a or k=b`. Values given for one key are
 * alternatives; every key given must match (a leg without the key is not filtered).
 */
export function deselected(
  leg: Record<string, Json>,
  filter: Record<string, string[]> | undefined,
): string | undefined {
  for (const [k, vs] of Object.entries(filter ?? {}))
    if (k in leg && !vs.includes(toStr(leg[k]!))) return vs.map((v) => `${k}=${v}`).join(" or ");
  return undefined;
}

/** `environment: name` or `{ name, url }`, evaluated. */
export function environmentOf(v: Json): { name: string; url?: string } | undefined {
  if (typeof v === "string") return v ? { name: v } : undefined;
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const name = toStr(v.name ?? "");
    return name ? { name, url: v.url ? toStr(v.url) : undefined } : undefined;
  }
  return undefined;
}

export type Groups = Map<string, { release: Promise<void>; cancel: () => void }>;

export function concurrencyOf(c: Json): { group: string; cancel: boolean } | undefined {
  if (typeof c === "string") return c ? { group: c, cancel: false } : undefined;
  if (c && typeof c === "object" && !Array.isArray(c)) {
    const group = toStr(c.group ?? "");
    return group ? { group, cancel: truthy(c["cancel-in-progress"]) } : undefined;
  }
  return undefined;
}

/**
 * Workflow-level `concurrency:`: a workflow waits for the one holding its group, or with
 * cancel-in-progress cancels it. Job groups share the same table, as on GitHub.
 */
export async function runInGroup(
  run: WorkflowRun,
  o: SchedulerOptions,
  groups: Groups,
  body: (o: SchedulerOptions) => Promise<JobOutcome[]>,
): Promise<JobOutcome[]> {
  const token = run.wf.template?.concurrency;
  if (!token) return body(o);
  let c: { group: string; cancel: boolean } | undefined;
  try {
    c = concurrencyOf(evaluateTemplate(token, { contexts: run.contexts }));
  } catch (e) {
    o.emit({
      type: "log",
      job: run.wf.file,
      stream: "stderr",
      text: `${run.wf.file}: concurrency: ${(e as Error).message}`,
    });
    return [{ result: "failure", outputs: {}, continueOnError: false }];
  }
  if (!c) return body(o);
  const ac = new AbortController();
  const relay = () => ac.abort();
  o.signal.addEventListener("abort", relay, { once: true });
  const release = await enterGroup(groups, c.group, c.cancel, () => {
    ac.abort(`cancelled by a newer run in concurrency group '${c.group}'`);
  });
  try {
    return await body({ ...o, signal: ac.signal });
  } finally {
    o.signal.removeEventListener("abort", relay);
    release();
  }
}

/** One job per concurrency group at a time; cancel-in-progress cancels the running one. */
export async function enterGroup(
  groups: Groups,
  group: string,
  cancelInProgress: boolean,
  cancelMe: () => void,
): Promise<() => void> {
  for (;;) {
    const held = groups.get(group);
    if (!held) break;
    if (cancelInProgress) held.cancel();
    await held.release;
  }
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  groups.set(group, { release: released, cancel: cancelMe });
  return () => {
    if (groups.get(group)?.release === released) groups.delete(group);
    release();
  };
}
