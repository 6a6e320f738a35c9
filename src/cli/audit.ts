// `slipway audit [paths...]`: argument parsing and exit codes only.
import { parseArgs } from "node:util";
import { auditRepo } from "../lint/audit.js";
import { SEVERITY_RANK, type Severity } from "../lint/finding.js";
import { AUDIT_RULES, type AuditRuleDoc, PERSONAS, type Persona } from "../lint/rules-security/docs.js";
import { FINDINGS_FORMATS, type FindingsFormat, renderFindings } from "../report/findings.js";
import { EXIT, fail, parse, UsageError } from "./common.js";

const USAGE = `usage: slipway audit [paths...] [options]

Finds security problems in every workflow (.github/workflows/*.yml) and local action
(.github/**/action.yml), or in the given files and directories.

  -f, --format FORMAT   human (default), json, sarif or github
      --json            same as --format json
      --fail-on LEVEL   exit 1 on findings at or above: warning (default), error, info, never
      --persona NAME    regular (default): actionable findings; pedantic: also code
                        smells; auditor: everything, also what needs a human to judge
      --store DIR       action store used to check '# vX' comments of SHA pins
                        (default: $XDG_CACHE_HOME/slipway/actions)
  -h, --help            show this help

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or I/O error.
Suppress one finding with '# slipway-ignore: rule-id' on its line or the line above
('# zizmor: ignore[rule]' is honoured for the rules both tools share). Each finding has a
confidence (high, medium, low), shown after its rule and in JSON and SARIF.
Also reads .github/dependabot.yml. Config (.slipway.yml): forbidden-uses: { allow | deny: [owner/*, ...] }

Rules (persona in brackets when not regular):
${Object.entries(AUDIT_RULES)
  .map(([id, d]) => {
    const doc: AuditRuleDoc = d;
    const who = doc.persona ? ` [${doc.persona}]` : "";
    return `  ${id.padEnd(24)} ${d.severity.padEnd(8)} ${d.description}${who}`;
  })
  .join("\n")}`;

/** `cwd` is the repository root; tests pass their own. */
export async function main(args: string[], cwd = process.cwd()): Promise<number> {
  try {
    const { values, positionals } = parse(() => options(args));
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    const format = (values.json ? "json" : (values.format ?? "human")) as FindingsFormat;
    if (!FINDINGS_FORMATS.includes(format))
      throw new UsageError(`unknown format '${format}' (${FINDINGS_FORMATS.join(", ")})`);
    const failOn = values["fail-on"] ?? "warning";
    if (failOn !== "never" && !(failOn in SEVERITY_RANK))
      throw new UsageError("--fail-on must be error, warning, info or never");
    const persona = personaOf(values.persona);
    const result = await auditRepo(cwd, positionals, {
      persona,
      ...(values.store ? { store: values.store } : {}),
    });
    for (const m of result.missing) console.error(`slipway audit: ${m}: no such file or directory`);
    if (result.missing.length) return EXIT.usage;
    if (result.files === 0) throw new UsageError("no workflows or actions found (looked in .github/)");
    const rules = Object.fromEntries(
      Object.entries(AUDIT_RULES).map(([id, d]) => [
        id,
        { severity: d.severity, description: d.description },
      ]),
    );
    if (result.findings.length || !result.unreadable.length || format !== "human")
      process.stdout.write(renderFindings(result.findings, format, result.sources, { rules }));
    for (const u of result.unreadable) console.error(`slipway audit: ${u}`);
    if (result.unreadable.length) return EXIT.usage;
    if (failOn === "never") return EXIT.ok;
    const bar = SEVERITY_RANK[failOn as Severity];
    return result.findings.some((f) => SEVERITY_RANK[f.severity] >= bar) ? EXIT.failure : EXIT.ok;
  } catch (e) {
    return fail(e, "audit");
  }
}

/** `--persona`: regular when not given. */
export function personaOf(value: string | undefined): Persona {
  const p = value ?? "regular";
  if (!PERSONAS.includes(p as Persona)) throw new UsageError(`--persona must be ${PERSONAS.join(", ")}`);
  return p as Persona;
}

function options(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: "string", short: "f" },
      json: { type: "boolean" },
      "fail-on": { type: "string" },
      store: { type: "string" },
      persona: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
