// Repository and organisation secrets reach every job of every workflow; an environment's secrets
// only the jobs that name the environment and pass its protection rules (reviewers, branches).
// A job that reads secrets.X without `environment:` uses the wide kind (auditor persona, as
// zizmor has it: moving a secret into an environment needs care with reusable workflows).
import { isMap } from "yaml";
import type { JobInfo } from "../model.js";
import { get } from "../source.js";
import { type AuditContext, report, shows } from "./context.js";
import { fileExpressions } from "./expressions.js";

const SECRET = /\bsecrets\s*\.\s*([A-Za-z_][\w-]*)|\bsecrets\s*\[\s*'([^']+)'\s*\]/gi;

export function checkSecretsOutsideEnv(ctx: AuditContext): void {
  const model = ctx.model;
  if (!model || !shows(ctx, "secrets-outside-env") || !/\bsecrets\b/.test(ctx.src.text)) return;
  // Called workflows cannot set environment: on the calling job; the job as a whole is left to
  // the caller's review (secrets-inherit, overprovisioned-secrets).
  const jobs = [...model.jobs.values()].filter(
    (j): j is JobInfo & { node: NonNullable<JobInfo["node"]> } =>
      !j.uses && isMap(j.node) && get(j.node, "environment") === undefined && j.node.range !== undefined,
  );
  if (jobs.length === 0) return;
  const seen = new Set<string>();
  for (const { found } of fileExpressions(ctx.src)) {
    if (!found.expr.includes("secrets")) continue;
    const job = jobs.find((j) => found.offset >= j.node.range![0] && found.offset < j.node.range![2]);
    if (!job) continue;
    for (const m of found.expr.matchAll(SECRET)) {
      const name = m[1] ?? m[2]!;
      if (name.toUpperCase() === "GITHUB_TOKEN") continue;
      const key = `${job.id}\0${name.toUpperCase()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const at = found.offset + m.index;
      report(
        ctx,
        "secrets-outside-env",
        at,
        `job ${job.id} reads secrets.${name} without an environment: any workflow of the repository can read it too`,
        { end: at + m[0].length },
      );
    }
  }
}
