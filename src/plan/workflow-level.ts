import { evaluateTemplate, type Json, toStr } from "../expr/index.js";
import { liveToken } from "../workflow/token-json.js";
import { concurrencyOf } from "./gates.js";
import type { WorkflowNode } from "./run-plan.js";

// A workflow's own `env:` and `concurrency:`, decided when it starts (they read secrets).

export type Decided<T> = { ok: true; value: T } | { ok: false; error: string };

/** --env under the workflow's `env:`, evaluated. */
export function workflowEnv(
  node: WorkflowNode,
  contexts: Record<string, Json>,
): Decided<Record<string, string>> {
  try {
    const own = node.env
      ? evaluateTemplate(liveToken(node.env), { contexts: { ...contexts, env: node.extraEnv } })
      : undefined;
    const env = { ...node.extraEnv };
    if (own && typeof own === "object" && !Array.isArray(own))
      for (const [k, x] of Object.entries(own)) env[k] = toStr(x);
    return { ok: true, value: env };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** The workflow's concurrency group, if it has one. */
export function workflowConcurrency(
  node: WorkflowNode,
  contexts: Record<string, Json>,
): Decided<{ group: string; cancel: boolean } | undefined> {
  if (!node.concurrency) return { ok: true, value: undefined };
  try {
    return { ok: true, value: concurrencyOf(evaluateTemplate(liveToken(node.concurrency), { contexts })) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
