// What Slipway notifies about, and the words each event reads as in a chat message. The
// server fires the run events itself (run-outcomes.ts); the environments code builds the
// approval and deployment events with the functions below and passes them to notify().
import type { Deployment } from "../cd/types.js";

export const EVENT_TYPES = [
  "run.failed",
  "run.fixed",
  "approval.needed",
  "approval.given",
  "approval.rejected",
  "deployment.done",
  "deployment.rolled_back",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

interface Base {
  /** owner/name (the webhook's repository, else the served repository's origin). */
  repository: string;
  /** A page to open (the run's, the environment's), when the server knows its public address. */
  url?: string;
}

export interface RunEvent extends Base {
  type: "run.failed" | "run.fixed";
  workflow: string;
  branch: string;
  run: number;
  sha: string;
  actor?: string;
}

export interface ApprovalEvent extends Base {
  type: "approval.needed" | "approval.given" | "approval.rejected";
  environment: string;
  run: number;
  job: string;
  /** Who decided (given, rejected). */
  by?: string;
  comment?: string;
}

export interface DeploymentEvent extends Base {
  type: "deployment.done" | "deployment.rolled_back";
  environment: string;
  deployment: Pick<Deployment, "id" | "sha" | "ref" | "run" | "job" | "status" | "kind"> &
    Partial<Pick<Deployment, "version" | "url" | "rollbackOf" | "approvedBy">>;
}

export type NotifyEvent = RunEvent | ApprovalEvent | DeploymentEvent;

/** The event's environment (approvals and deployments have one; runs do not). */
export const environmentOf = (e: NotifyEvent): string | undefined =>
  e.type.startsWith("run.") ? undefined : (e as ApprovalEvent | DeploymentEvent).environment;

/** For the environments code: a job waits for a reviewer. */
export function approvalNeeded(a: Omit<ApprovalEvent, "type" | "by" | "comment">): ApprovalEvent {
  return { type: "approval.needed", ...a };
}

/** For the environments code: a reviewer approved or rejected. */
export function approvalDecided(
  a: Omit<ApprovalEvent, "type"> & { by: string },
  approved: boolean,
): ApprovalEvent {
  return { type: approved ? "approval.given" : "approval.rejected", ...a };
}

function deploymentPart(d: Deployment): DeploymentEvent["deployment"] {
  const { id, sha, ref, run, job, status, kind, version, url, rollbackOf, approvedBy } = d;
  return {
    id,
    sha,
    ref,
    run,
    job,
    status,
    kind,
    ...(version ? { version } : {}),
    ...(url ? { url } : {}),
    ...(rollbackOf !== undefined ? { rollbackOf } : {}),
    ...(approvedBy.length ? { approvedBy } : {}),
  };
}

/** For the environments code: a deployment finished (its job succeeded). */
export function deploymentDone(repository: string, d: Deployment, url?: string): DeploymentEvent {
  return {
    type: "deployment.done",
    repository,
    environment: d.environment,
    deployment: deploymentPart(d),
    ...(url ? { url } : {}),
  };
}

/** For the environments code: a deployment was rolled back (`d`: the rollback deployment). */
export function deploymentRolledBack(repository: string, d: Deployment, url?: string): DeploymentEvent {
  return { ...deploymentDone(repository, d, url), type: "deployment.rolled_back" };
}

/** Slack's mrkdwn escapes (&, <, >); a link is <url|text>. */
const mrk = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const link = (text: string, url?: string) => (url ? `<${url}|${mrk(text)}>` : mrk(text));

/** One line a person reads. */
export function summary(e: NotifyEvent): string {
  const repo = `*${mrk(e.repository)}*`;
  switch (e.type) {
    case "run.failed":
    case "run.fixed":
      return `${e.type === "run.failed" ? ":x:" : ":white_check_mark:"} ${repo}: ${mrk(e.workflow)} ${e.type === "run.failed" ? "failed" : "is fixed"} on ${mrk(e.branch)} (${link(`run #${e.run}`, e.url)}, ${e.sha.slice(0, 7)}${e.actor ? ` by ${mrk(e.actor)}` : ""})`;
    case "approval.needed":
      return `:hourglass: ${repo}: ${mrk(e.job)} waits for approval to deploy to ${mrk(e.environment)} (${link(`run #${e.run}`, e.url)})`;
    case "approval.given":
    case "approval.rejected":
      return `${e.type === "approval.given" ? ":+1:" : ":no_entry:"} ${repo}: ${mrk(e.by ?? "someone")} ${e.type === "approval.given" ? "approved" : "rejected"} ${mrk(e.job)} for ${mrk(e.environment)} (${link(`run #${e.run}`, e.url)})${e.comment ? `: ${mrk(e.comment)}` : ""}`;
    case "deployment.done":
    case "deployment.rolled_back": {
      const d = e.deployment;
      const what = d.version ?? d.sha.slice(0, 7);
      return e.type === "deployment.done"
        ? `:rocket: ${repo}: ${mrk(what)} deployed to ${link(e.environment, d.url ?? e.url)} (run #${d.run})`
        : `:leftwards_arrow_with_hook: ${repo}: ${mrk(e.environment)} rolled back to ${mrk(what)}${d.rollbackOf !== undefined ? ` (deployment ${d.rollbackOf})` : ""} (run #${d.run})`;
    }
  }
}
