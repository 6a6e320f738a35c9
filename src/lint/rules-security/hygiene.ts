// The pedantic persona's code smells, as zizmor has them: workflows without concurrency limits
// (a push that supersedes a run leaves the old one running, and billed minutes are spent twice),
// workflows and jobs without a name (the Actions UI shows a file name or a job id), and write
// permissions that do not say why they are needed (reviewers cannot tell whether they still are).
import { isMap, type Node } from "yaml";
import { entries, get, keyNode, str } from "../source.js";
import { type AuditContext, report, shows } from "./context.js";

export function checkConcurrencyLimits(ctx: AuditContext): void {
  const model = ctx.model;
  const root = ctx.src.doc.contents;
  if (!model || !shows(ctx, "concurrency-limits") || get(root, "concurrency") !== undefined) return;
  // A called workflow runs inside its caller's run: the caller's concurrency governs it.
  if (model.triggers.size === 1 && model.triggers.has("workflow_call")) return;
  const jobs = [...model.jobs.values()];
  const open = jobs.filter((j) => get(j.node, "concurrency") === undefined);
  if (jobs.length === 0 || open.length === 0) return;
  report(
    ctx,
    "concurrency-limits",
    keyNode(root, "on") ?? keyNode(root, "jobs"),
    open.length === jobs.length
      ? "no concurrency: for the workflow or its jobs: a newer run does not cancel or queue behind an older one"
      : `no concurrency: for the workflow or job${open.length > 1 ? "s" : ""} ${open.map((j) => j.id).join(", ")}`,
  );
}

export function checkAnonymousDefinitions(ctx: AuditContext): void {
  if (!shows(ctx, "anonymous-definition")) return;
  const root = ctx.src.doc.contents;
  if (!isMap(root)) return;
  if (!str(get(root, "name"))?.trim()) {
    const what = ctx.src.kind === "action" ? "action" : "workflow";
    report(ctx, "anonymous-definition", root.items[0]?.key as Node | undefined, `${what} has no name:`, {
      severity: "warning",
    });
  }
  for (const job of ctx.model?.jobs.values() ?? []) {
    if (job.uses || !isMap(job.node) || get(job.node, "name") !== undefined) continue;
    report(ctx, "anonymous-definition", job.keyNode, `job ${job.id} has no name: (shown as '${job.id}')`);
  }
}

/** A comment on the line of `offset`, after it, or a whole-line comment on the line above. */
function documented(text: string, start: number, end: number): boolean {
  const bol = text.lastIndexOf("\n", start - 1) + 1;
  let eol = text.indexOf("\n", end);
  if (eol < 0) eol = text.length;
  if (/(^|\s)#/.test(text.slice(end, eol))) return true;
  if (bol === 0) return false;
  const prev = text.slice(text.lastIndexOf("\n", bol - 2) + 1, bol - 1);
  return /^\s*#/.test(prev);
}

export function checkUndocumentedPermissions(ctx: AuditContext): void {
  if (!ctx.model || !shows(ctx, "undocumented-permissions") || !ctx.src.text.includes("write")) return;
  const blocks: { node: Node; where: string }[] = [];
  const top = get(ctx.src.doc.contents, "permissions");
  if (top) blocks.push({ node: top, where: "workflow" });
  for (const j of ctx.model.jobs.values()) {
    const p = get(j.node, "permissions");
    if (p) blocks.push({ node: p, where: `job ${j.id}` });
  }
  const text = ctx.src.text;
  for (const { node, where } of blocks) {
    if (str(node) === "write-all") {
      if (node.range && !documented(text, node.range[0], node.range[1]))
        report(ctx, "undocumented-permissions", node, `${where}: write-all without a comment saying why`);
      continue;
    }
    for (const e of entries(node)) {
      if (str(e.value) !== "write" || !e.keyNode.range || !e.value?.range) continue;
      if (documented(text, e.keyNode.range[0], e.value.range[1])) continue;
      report(
        ctx,
        "undocumented-permissions",
        e.keyNode,
        `${where}: ${e.key}: write without a comment saying why`,
        {
          end: e.value.range[1],
        },
      );
    }
  }
}
