// Uploading the whole workspace publishes whatever is in it: .git/config holds the checkout token
// unless persist-credentials is false, and build steps leave .env files and caches behind.
import type { Node } from "yaml";
import { str } from "../source.js";
import { type AuditContext, type AuditStep, report, usesAction, withInput } from "./context.js";

const WORKSPACE =
  /^(\.\/?|\.\/\*{1,2}|\*{1,2}|\$\{\{\s*github\.workspace\s*\}\}\/?|\$GITHUB_WORKSPACE\/?|\.git\/?.*)$/;

/** The `path:` of an upload step that covers the workspace root (or .git), if any. */
export function workspaceUpload(step: AuditStep): Node | undefined {
  if (!usesAction(step, "actions/upload-artifact", "actions/upload-pages-artifact")) return undefined;
  const path = withInput(step, "path");
  const lines = (str(path) ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("!") && !l.startsWith("#"));
  return lines.some((l) => WORKSPACE.test(l)) ? path : undefined;
}

export function checkArtifacts(ctx: AuditContext): void {
  for (const step of ctx.steps) {
    const path = workspaceUpload(step);
    if (path) report(ctx, "artifact-workspace", path, "uploads the whole workspace as an artifact");
  }
  const byJob = Map.groupBy(ctx.steps, (s) => s.job);
  for (const steps of byJob.values()) {
    steps.forEach((step, i) => {
      if (!usesAction(step, "actions/checkout")) return;
      if (str(withInput(step, "persist-credentials")) === "false") return;
      const upload = steps.slice(i + 1).find((s) => workspaceUpload(s));
      if (!upload) return;
      const hidden = str(withInput(upload, "include-hidden-files")) === "true";
      report(
        ctx,
        "persist-credentials",
        step.uses,
        hidden
          ? "the checkout token stays in .git/config and a later step uploads the workspace with hidden files"
          : "the checkout token stays in .git/config and a later step uploads the workspace",
        { severity: hidden ? "error" : "warning" },
      );
    });
  }
}
