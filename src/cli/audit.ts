// `slipway audit [paths...]`: argument parsing and exit codes only.
import { parseArgs } from "node:util";
import { auditRepo } from "../lint/audit.js";
import { SEVERITY_RANK, type Severity } from "../lint/finding.js";
import { AUDIT_RULES } from "../lint/rules-security/docs.js";
import { FINDINGS_FORMATS, type FindingsFormat, renderFindings } from "../report/findings.js";

const USAGE = `usage: slipway audit [paths...] [options]

Finds security problems in every workflow (.github/workflows/*.yml) and local action
(.github/**/action.yml), or in the given files and directories.

  -f, --format FORMAT   human (default), json, sarif or github
      --json            same as --format json
      --fail-on LEVEL   exit 1 on findings at or above: warning (default), error, info, never
      --store DIR       action store used to check '# vX' comments of SHA pins
                        (default: $XDG_CACHE_HOME/slipway/actions)
  -h, --help            show this help

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or I/O error.
Suppress one finding with '# slipway-ignore: rule-id' on its line or the line above
('# zizmor: ignore[rule]' is honoured for the rules both tools share).

Rules:
${Object.entries(AUDIT_RULES)
  .map(([id, d]) => `  ${id.padEnd(22)} ${d.severity.padEnd(8)} ${d.description}`)
  .join("\n")}`;

/** `cwd` is the repository root; tests pass their own. */
export async function main(args: string[], cwd = process.cwd()): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  let positionals: string[];
  try {
    ({ values, positionals } = parse(args));
  } catch (e) {
    console.error(`slipway audit: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const format = (values.json ? "json" : (values.format ?? "human")) as FindingsFormat;
  if (!FINDINGS_FORMATS.includes(format)) {
    console.error(`slipway audit: unknown format '${format}' (${FINDINGS_FORMATS.join(", ")})`);
    return 2;
  }
  const failOn = values["fail-on"] ?? "warning";
  if (failOn !== "never" && !(failOn in SEVERITY_RANK)) {
    console.error("slipway audit: --fail-on must be error, warning, info or never");
    return 2;
  }
  const result = await auditRepo(cwd, positionals, values.store ? { store: values.store } : {});
  for (const m of result.missing) console.error(`slipway audit: ${m}: no such file or directory`);
  if (result.missing.length) return 2;
  if (result.files === 0) {
    console.error("slipway audit: no workflows or actions found (looked in .github/)");
    return 2;
  }
  const rules = Object.fromEntries(
    Object.entries(AUDIT_RULES).map(([id, d]) => [id, { severity: d.severity, description: d.description }]),
  );
  if (result.findings.length || !result.unreadable.length || format !== "human")
    process.stdout.write(renderFindings(result.findings, format, result.sources, { rules }));
  for (const u of result.unreadable) console.error(`slipway audit: ${u}`);
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
      json: { type: "boolean" },
      "fail-on": { type: "string" },
      store: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
