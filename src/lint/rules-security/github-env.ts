// In a pull_request_target or workflow_run workflow, a line written to $GITHUB_ENV or $GITHUB_PATH
// from anything the pull request controls (a branch name, an artifact, a file of its checkout)
// sets LD_PRELOAD, NODE_OPTIONS, BASH_ENV or PATH for every later step, with the secrets in reach.
import { type AuditContext, report, scriptsOf } from "./context.js";

const PRIVILEGED = ["pull_request_target", "workflow_run"];
/** The file variable as bash, PowerShell or cmd write it: $GITHUB_ENV, "${GITHUB_PATH}", $env:GITHUB_ENV, %GITHUB_ENV%. */
const TARGET = /["']?(?:\$\{?|\$env:|%)(GITHUB_ENV|GITHUB_PATH)\b\}?%?/gi;
/** What may stand just before the target for the line to write to it. */
const WRITES =
  /(?:>>?|\btee\b(?:\s+-\w+)*|\b(?:Out-File|Add-Content|Set-Content)\b.*?(?:-(?:File)?Path)?)\s*$/i;
/** echo/printf of a literal with nothing expanded: the same line every run. */
const CONSTANT = /^\s*(?:echo|printf)\s+(?:-\w+\s+)*(?:"[^"$`\\]*"|'[^']*'|[^\s"'$`|;&<>]+)\s*$/;

export function checkGithubEnv(ctx: AuditContext): void {
  const triggers = ctx.model?.triggers;
  const on = PRIVILEGED.filter((t) => triggers?.has(t));
  if (on.length === 0 || !/GITHUB_(ENV|PATH)/i.test(ctx.src.text)) return;
  for (const step of ctx.steps) {
    for (const { node, lang } of scriptsOf(step)) {
      if (lang !== "shell" || !node.range) continue;
      const raw = ctx.src.text.slice(node.range[0], node.range[1]);
      if (!/GITHUB_(ENV|PATH)/i.test(raw)) continue;
      let lineStart = 0;
      for (const line of raw.split("\n")) {
        const code = line.replace(/(^|\s)#.*$/, "");
        for (const m of code.matchAll(TARGET)) {
          const before = code.slice(0, m.index);
          if (!WRITES.test(before)) continue;
          // The command writing: from the last separator before the redirect.
          // (for `x | tee`, the command feeding the pipe).
          const command =
            before
              .replace(WRITES, "")
              .replace(/\|\s*$/, "")
              .split(/[;&|]|\$\(/)
              .pop() ?? "";
          if (CONSTANT.test(command)) continue;
          const at = node.range[0] + lineStart + m.index;
          report(
            ctx,
            "github-env",
            at,
            `writes to ${m[1]} in a workflow triggered by ${on.join(", ")}: a value from the pull request can set the environment or PATH of every later step`,
            { end: at + m[0].length },
          );
        }
        lineStart += line.length + 1;
      }
    }
  }
}
