// The environment protection rules as pure functions: may this ref deploy here, who may
// review, and where a request stands (approved, rejected, or waiting — and for what).
import picomatch from "picomatch";
import { type CdConfig, type EnvironmentRule, reviewersOf } from "./config.js";
import type { Review } from "./store.js";

/** `*` does not cross `/` (GitHub's fnmatch with FNM_PATHNAME); `**` does. */
export function matches(patterns: string[], name: string): boolean {
  return patterns.some((p) => picomatch.isMatch(name, p, { dot: true }));
}

/** Whether `ref` may deploy to the environment: undefined if so, else why not (GitHub's words). */
export function refRefused(c: CdConfig, rule: EnvironmentRule | undefined, ref: string): string | undefined {
  if (!rule) return undefined;
  const limited = rule.branches !== undefined || rule.tags !== undefined || rule.protectedBranchesOnly;
  if (!limited) return undefined;
  const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
  const tag = /^refs\/tags\/(.+)$/.exec(ref)?.[1];
  if (branch !== undefined) {
    if (rule.protectedBranchesOnly && matches(c.protectedBranches, branch)) return undefined;
    if (rule.branches && matches(rule.branches, branch)) return undefined;
    return `Branch "${branch}" is not allowed to deploy to ${rule.name} due to environment protection rules.`;
  }
  if (tag !== undefined && rule.tags && matches(rule.tags, tag)) return undefined;
  const what = tag !== undefined ? `Tag "${tag}"` : `Ref "${ref}"`;
  return `${what} is not allowed to deploy to ${rule.name} due to environment protection rules.`;
}

/** Who may approve: the rule's reviewers (groups expanded); an environment with no rule: the admins. */
export function eligible(c: CdConfig, rule: EnvironmentRule | undefined, admins: string[]): string[] {
  return rule ? reviewersOf(c, rule) : admins;
}

/** Approvals needed: the rule's N; no rule: one admin's. */
export const required = (rule: EnvironmentRule | undefined) => (rule ? rule.requiredApprovals : 1);

export type Waiting = "approval" | "wait timer" | "earlier deployment";

export interface Standing {
  decision?: { approved: boolean; by: string; rejected?: string };
  waiting?: Waiting;
  /** When the wait timer ends (epoch ms). */
  waitUntil?: number;
  /** Reviewers who approved, in order. */
  given: string[];
  required: number;
}

/**
 * Where a request stands. A rejection by a reviewer (or a bypassing admin) rejects it; an
 * admin's bypass approves it at once; otherwise it needs `required` distinct reviewers' approvals
 * and the wait timer (counted from the request) run out, and no earlier deployment to the
 * environment still waiting or running. Unanswered for `timeoutMs`: rejected.
 */
export function standing(o: {
  rule: EnvironmentRule | undefined;
  reviews: Review[];
  requestedAt: number;
  now: number;
  timeoutMs: number;
  /** Runs whose earlier deployments to the environment hold it. */
  holders: number[];
}): Standing {
  const need = required(o.rule);
  const given: string[] = [];
  for (const r of o.reviews) {
    if (!r.approved) {
      const why = `rejected by ${r.reviewer}${r.comment ? `: ${r.comment}` : ""}`;
      return { decision: { approved: false, by: r.reviewer, rejected: why }, given, required: need };
    }
    if (r.bypass)
      return { decision: { approved: true, by: `${r.reviewer} (admin bypass)` }, given, required: need };
    if (!given.includes(r.reviewer)) given.push(r.reviewer);
  }
  const waitUntil = o.rule?.waitTimerMs ? o.requestedAt + o.rule.waitTimerMs : undefined;
  if (given.length < need) {
    if (o.now - o.requestedAt >= o.timeoutMs)
      return {
        decision: {
          approved: false,
          by: "nobody",
          rejected: `no decision within ${spoken(o.timeoutMs)}: the deployment was not approved in time`,
        },
        given,
        required: need,
      };
    return { waiting: "approval", ...(waitUntil ? { waitUntil } : {}), given, required: need };
  }
  if (waitUntil && o.now < waitUntil) return { waiting: "wait timer", waitUntil, given, required: need };
  if (o.holders.length) return { waiting: "earlier deployment", given, required: need };
  const by = given.length
    ? given.join(", ")
    : o.rule?.waitTimerMs
      ? "the wait timer"
      : "the environment's rules";
  return { decision: { approved: true, by }, given, required: need };
}

/** Whether `who` may not review: they triggered the run, or wrote one of the deployed commits. */
export function selfReview(
  who: { name: string; emails: string[] },
  actor: string,
  authors: { name: string; email: string }[],
): string | undefined {
  const name = who.name.toLowerCase();
  if (actor.toLowerCase() === name) return `${who.name} triggered this run and may not approve it`;
  const a = authors.find((x) => who.emails.includes(x.email.toLowerCase()) || x.name.toLowerCase() === name);
  if (a) return `${who.name} wrote a commit of this deployment (${a.email}) and may not approve it`;
  return undefined;
}

/** 30 days, 2 hours, 90 seconds. */
function spoken(ms: number): string {
  for (const [unit, size] of [
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}${ms === size ? "" : "s"}`;
  return `${Math.round(ms / 1000)} seconds`;
}
