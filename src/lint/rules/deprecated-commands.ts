// Workflow commands GitHub disabled: ::set-output and ::save-state (use $GITHUB_OUTPUT and
// $GITHUB_STATE), ::set-env and ::add-path (use $GITHUB_ENV and $GITHUB_PATH).
import { type LintContext, report } from "../context.js";
import { runScripts, scriptPos } from "../scripts.js";

const REPLACEMENT: Record<string, string> = {
  "set-output": 'echo "name=value" >> "$GITHUB_OUTPUT"',
  "save-state": 'echo "name=value" >> "$GITHUB_STATE"',
  "set-env": 'echo "NAME=value" >> "$GITHUB_ENV"',
  "add-path": 'echo "/some/dir" >> "$GITHUB_PATH"',
};

const COMMAND = /::(set-output|save-state|set-env|add-path)\b/g;

export function checkDeprecatedCommands(ctx: LintContext): void {
  for (const run of runScripts(ctx)) {
    if (!run.script.includes("::")) continue;
    const lines = run.script.split("\n");
    lines.forEach((text, i) => {
      for (const m of text.matchAll(COMMAND)) {
        const cmd = m[1]!;
        report(
          ctx,
          "deprecated-command",
          scriptPos(ctx, run.node, i + 1, m.index + 1),
          `'::${cmd}' is disabled on GitHub`,
          {
            fix: `write ${REPLACEMENT[cmd]} instead`,
          },
        );
      }
    });
  }
}
