// `slipway lint [paths...]`: argument parsing and exit codes only.
import { parseArgs } from "node:util";
import { SEVERITY_RANK, type Severity } from "../lint/finding.js";
import { lintRepoDetailed } from "../lint/index.js";
import { LINT_RULES } from "../lint/rule-docs.js";
import { FINDINGS_FORMATS, type FindingsFormat, renderFindings } from "../report/findings.js";
import { personaOf } from "./audit.js";
import { EXIT, fail, parse, UsageError } from "./common.js";

const USAGE = `usage: slipway lint [paths...] [options]

Checks every workflow (.github/workflows/*.yml) and local action (.github/**/action.yml),
or the given files and directories.

  -f, --format FORMAT   human (default), json, sarif or github
      --fail-on LEVEL   exit 1 on findings at or above: error (default), warning, info, never
      --no-shellcheck   do not run shellcheck on run: scripts
      --audit           also the security findings of 'slipway audit', in the same pass
      --persona NAME    with --audit: regular (default), pedantic or auditor
  -h, --help            show this help

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage error or unreadable input.

Config (.slipway.yml or package.json "slipway"):
  ignore: { rule-id: [glob, ...] }    runner-labels: [label, ...]
  forbidden-uses: { allow or deny: [owner/*, owner/repo/*, owner/repo, owner/repo@ref] }  (audit)
Inline: # slipway-ignore: rule-id   (on the line or the line above)

Rules:
${Object.entries(LINT_RULES)
  .map(([id, d]) => `  ${id.padEnd(22)} ${d.description}`)
  .join("\n")}`;

/** `cwd` is the repository root; tests pass their own. */
export async function main(args: string[], cwd = process.cwd()): Promise<number> {
  try {
    const { values, positionals } = parse(() => options(args));
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    const format = (values.format ?? "human") as FindingsFormat;
    if (!FINDINGS_FORMATS.includes(format))
      throw new UsageError(`unknown format '${format}' (${FINDINGS_FORMATS.join(", ")})`);
    const failOn = values["fail-on"] ?? "error";
    if (failOn !== "never" && !(failOn in SEVERITY_RANK))
      throw new UsageError("--fail-on must be error, warning, info or never");
    if (values.persona !== undefined && !values.audit) throw new UsageError("--persona needs --audit");
    const persona = personaOf(values.persona);
    const result = await lintRepoDetailed(cwd, positionals, {
      ...(values["no-shellcheck"] ? { shellcheck: false } : {}),
      ...(values.audit ? { audit: { persona } } : {}),
    });
    for (const m of result.missing) console.error(`slipway lint: ${m}: no such file or directory`);
    if (result.missing.length) return EXIT.usage;
    if (result.files === 0) throw new UsageError("no workflows or actions found (looked in .github/)");
    if (result.findings.length || !result.unreadable.length || format !== "human")
      process.stdout.write(renderFindings(result.findings, format, result.sources));
    if (format === "human") for (const n of result.notes) console.error(`note: ${n}`);
    // Input that is not workflow text at all is an error of the run, whatever --fail-on says.
    for (const u of result.unreadable) console.error(`slipway lint: ${u}`);
    if (result.unreadable.length) return EXIT.usage;
    if (failOn === "never") return EXIT.ok;
    const bar = SEVERITY_RANK[failOn as Severity];
    return result.findings.some((f) => SEVERITY_RANK[f.severity] >= bar) ? EXIT.failure : EXIT.ok;
  } catch (e) {
    return fail(e, "lint");
  }
}

function options(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: "string", short: "f" },
      "fail-on": { type: "string" },
      "no-shellcheck": { type: "boolean" },
      audit: { type: "boolean" },
      persona: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
