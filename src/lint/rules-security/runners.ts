// A self-hosted runner keeps state between jobs; a workflow that outsiders can start (a fork's
// pull request, an issue comment) lets them run code on it and persist there.
import { isScalar, type Node } from "yaml";
import { get, items, str } from "../source.js";
import { type AuditContext, report, shows } from "./context.js";

const PUBLIC_TRIGGERS = [
  "pull_request",
  "pull_request_target",
  "pull_request_review",
  "pull_request_review_comment",
  "issue_comment",
  "issues",
  "discussion",
  "discussion_comment",
  "fork",
  "watch",
];

/** The runs-on labels of a job as written (expressions included). */
export function runsOnLabels(job: Node | undefined): string[] {
  const runsOn = get(job, "runs-on");
  if (isScalar(runsOn)) return [str(runsOn) ?? ""];
  const labels = get(runsOn, "labels");
  const list = items(labels ?? runsOn).map((n) => str(n) ?? "");
  if (isScalar(labels)) list.push(str(labels) ?? "");
  return list;
}

/**
 * Public workflows on self-hosted runners (self-hosted-public), and for the auditor persona any
 * self-hosted runner or runner group (self-hosted-runner): hard to secure, so worth a look.
 */
export function checkSelfHosted(ctx: AuditContext): void {
  const model = ctx.model;
  if (!model) return;
  const public_ = PUBLIC_TRIGGERS.filter((t) => model.triggers.has(t));
  const auditor = shows(ctx, "self-hosted-runner");
  if (public_.length === 0 && !auditor) return;
  for (const job of model.jobs.values()) {
    const labels = runsOnLabels(job.node);
    const viaMatrix =
      labels.some((l) => l.includes("${{")) &&
      JSON.stringify(get(job.node, "strategy")?.toJSON() ?? "").includes("self-hosted");
    const group = str(get(get(job.node, "runs-on"), "group"));
    const self = labels.some((l) => l.toLowerCase() === "self-hosted") || viaMatrix;
    if (!self || public_.length === 0) {
      // A runner group can hold larger GitHub-hosted runners as well: less sure.
      if (auditor && (self || group))
        report(
          ctx,
          "self-hosted-runner",
          get(job.node, "runs-on"),
          self
            ? `job ${job.id} runs on a self-hosted runner${viaMatrix ? " (from its matrix)" : ""}`
            : `job ${job.id} runs in runner group '${group}', which may hold self-hosted runners`,
          { confidence: self && !viaMatrix ? "high" : "low" },
        );
      continue;
    }
    report(
      ctx,
      "self-hosted-public",
      get(job.node, "runs-on"),
      `job ${job.id} runs on a self-hosted runner and the workflow is triggered by ${public_.join(", ")}`,
    );
  }
}
