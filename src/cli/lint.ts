// `slipway lint [paths...]`: argument parsing and exit codes only.
import { parseArgs } from "node:util";
import { SEVERITY_RANK, type Severity } from "../lint/finding.js";
import { lintRepoDetailed } from "../lint/index.js";
import { LINT_RULES } from "../lint/rule-docs.js";
import { FINDINGS_FORMATS, type FindingsFormat, renderFindings } from "../report/findings.js";

const USAGE = `usage: slipway lint [paths...] [options]

Checks every workflow (.github/workflows/*.yml) and local action (.github/**/action.yml),
or the given files and directories.

  -f, --format FORMAT   human (default), json, sarif or github
      --fail-on LEVEL   exit 1 on findings at or above: error (default), warning, info, never
      --no-shellcheck   do not run shellcheck on run: scripts
      --audit           also the security findings of 'slipway audit', in the same pass
  -h, --help            show this help

Config (.slipway.yml or package.json "slipway"):
  ignore: { rule-id: [glob, ...] }    runner-labels: [label, ...]
Inline: # slipway-ignore: rule-id   (on the line or the line above)

Rules:
${Object.entries(LINT_RULES)
  .map(([id, d]) => `  ${id.padEnd(22)} ${d.description}`)
  .join("\n")}`;

/** `cwd` is the repository root; tests pass their own. */
export async function main(args: string[], cwd = process.cwd()): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (e) {
    console.error(`slipway lint: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const format = (values.format ?? "human") as FindingsFormat;
  if (!FINDINGS_FORMATS.includes(format)) {
    console.error(`slipway lint: unknown format '${format}' (${FINDINGS_FORMATS.join(", ")})`);
    return 2;
  }
  const failOn = values["fail-on"] ?? "error";
  if (failOn !== "never" && !(failOn in SEVERITY_RANK)) {
    console.error(`slipway lint: --fail-on must be error, warning, info or never`);
    return 2;
  }
  const result = await lintRepoDetailed(cwd, positionals, {
    ...(values["no-shellcheck"] ? { shellcheck: false } : {}),
    ...(values.audit ? { audit: {} } : {}),
  });
  for (const m of result.missing) console.error(`slipway lint: ${m}: no such file or directory`);
  if (result.missing.length) return 2;
  if (result.files === 0) {
    console.error("slipway lint: no workflows or actions found (looked in .github/)");
    return 2;
  }
  if (result.findings.length || !result.unreadable.length || format !== "human")
    process.stdout.write(renderFindings(result.findings, format, result.sources));
  if (format === "human") for (const n of result.notes) console.error(`note: ${n}`);
  // Input that is not workflow text at all is an error of the run, whatever --fail-on says.
  for (const u of result.unreadable) console.error(`slipway lint: ${u}`);
  if (result.unreadable.length) return 2;
  if (failOn === "never") return 0;
  const bar = SEVERITY_RANK[failOn as Severity];
  return result.findings.some((f) => SEVERITY_RANK[f.severity] >= bar) ? 1 : 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: "string", short: "f" },
      "fail-on": { type: "string" },
      "no-shellcheck": { type: "boolean" },
      audit: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
