// Uploading the whole workspace publishes whatever is in it: .git/config holds the checkout token
// unless persist-credentials is false, and build steps leave .env files and caches behind.
import type { Node } from "yaml";
import { str } from "../source.js";
import { type AuditContext, type AuditStep, report, usesAction, withInput } from "./context.js";
import { versionComment } from "./pinning.js";

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
      const persist = str(withInput(step, "persist-credentials"))?.trim();
      if (persist === "false") return;
      // Written out as true: meant (auditor only); from an expression: maybe (pedantic).
      const persona = persist === "true" ? "auditor" : persist?.includes("${{") ? "pedantic" : undefined;
      // checkout v6 and later keep the token under $RUNNER_TEMP, outside the workspace.
      const v6 = checkoutMajor(ctx, step) >= 6;
      const later = steps.slice(i + 1);
      const upload = later.find((s) => workspaceUpload(s));
      if (upload) {
        const hidden = str(withInput(upload, "include-hidden-files")) === "true";
        report(
          ctx,
          "persist-credentials",
          step.uses,
          hidden
            ? "the checkout token stays in .git/config and a later step uploads the workspace with hidden files"
            : "the checkout token stays in .git/config and a later step uploads the workspace",
          { severity: v6 ? "info" : hidden ? "error" : "warning", persona },
        );
        return;
      }
      const any = later.find((s) =>
        usesAction(s, "actions/upload-artifact", "actions/upload-pages-artifact"),
      );
      report(
        ctx,
        "persist-credentials",
        step.uses,
        any
          ? "the checkout token stays on disk and a later step uploads an artifact (not the whole workspace)"
          : "the checkout token stays on disk for every later step of the job",
        {
          severity: v6 || !any ? "info" : "warning",
          confidence: "low",
          persona: persona ?? (any ? undefined : "pedantic"),
        },
      );
    });
  }
}

/** The major version of a checkout step, from its ref or its `# vN` comment; 0 when unknown. */
function checkoutMajor(ctx: AuditContext, step: AuditStep): number {
  const uses = step.uses;
  if (!uses?.range) return 0;
  const v = str(uses) ?? "";
  const ref = v.slice(v.lastIndexOf("@") + 1);
  const tag = /^v\d/.test(ref) ? ref : versionComment(ctx.src.text, uses.range[1])?.tag;
  const m = /^v?(\d+)/.exec(tag ?? "");
  return m ? Number(m[1]) : 0;
}
