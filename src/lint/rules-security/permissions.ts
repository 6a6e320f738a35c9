// The GITHUB_TOKEN's scopes. Without a permissions block the token gets the repository default,
// which is write-all on older repositories and organisations; write-all or workflow-wide writes
// hand every job (and every action it runs) more than it needs.
import { isMap } from "yaml";
import { entries, get, keyNode, str } from "../source.js";
import { type AuditContext, report } from "./context.js";

export function checkPermissions(ctx: AuditContext): void {
  const model = ctx.model;
  if (!model || ctx.src.kind !== "workflow") return;
  const root = ctx.src.doc.contents;
  const top = get(root, "permissions");
  const jobs = [...model.jobs.values()];
  if (top === undefined) {
    const bare = jobs.filter((j) => get(j.node, "permissions") === undefined);
    if (bare.length > 0) {
      const onlyCalled = model.triggers.size === 1 && model.triggers.has("workflow_call");
      const names = bare.map((j) => j.id).join(", ");
      report(
        ctx,
        "missing-permissions",
        keyNode(root, "jobs"),
        bare.length === jobs.length
          ? "no permissions: block; the GITHUB_TOKEN gets the repository default scopes"
          : `no permissions: block for the workflow or for job${bare.length > 1 ? "s" : ""} ${names}`,
        onlyCalled ? { severity: "info" } : {},
      );
    }
  } else {
    checkBlock(ctx, top, "workflow", jobs.length);
  }
  for (const j of jobs) {
    const p = get(j.node, "permissions");
    if (p !== undefined) checkBlock(ctx, p, `job ${j.id}`, 1);
  }
}

function checkBlock(
  ctx: AuditContext,
  node: NonNullable<ReturnType<typeof get>>,
  where: string,
  jobs: number,
) {
  const whole = str(node);
  if (whole === "write-all") {
    report(ctx, "excessive-permissions", node, `${where} grants write-all to the GITHUB_TOKEN`, {
      severity: where === "workflow" ? "error" : "warning",
      fix: "list only the scopes needed, e.g. permissions: { contents: read }",
    });
    return;
  }
  // A single job: workflow-level and job-level permissions mean the same thing.
  if (!isMap(node) || jobs <= 1) return;
  for (const e of entries(node)) {
    if (str(e.value) !== "write") continue;
    report(ctx, "excessive-permissions", e.keyNode, `${e.key}: write is granted to all ${jobs} jobs`, {
      fix: `set ${e.key}: write on the job that needs it and keep the workflow at read`,
      end: e.value?.range?.[1],
    });
  }
}
