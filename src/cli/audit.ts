// `slipway audit [paths...]`: argument parsing and exit codes only.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { auditRepo } from "../lint/audit.js";
import type { Finding } from "../lint/finding.js";
import { SEVERITY_RANK, type Severity, sortFindings } from "../lint/finding.js";
import { applyEdits, fixesFor } from "../lint/fix.js";
import { onlineFindings, remoteUses } from "../lint/online.js";
import {
  AUDIT_RULES,
  type AuditRuleDoc,
  PERSONA_RANK,
  PERSONAS,
  type Persona,
} from "../lint/rules-security/docs.js";
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
      --fix             make the mechanical fixes in place (checkout's persist-credentials:
                        false; a read-only permissions: block for a workflow that has none
                        and does not write with the token; template injection in a bash run:
                        moved into env:), then report what is left
      --dry-run         with --fix: print the changes as a diff, change nothing
      --online          also ask each action's repository (GitHub or SLIPWAY_GITHUB_URL) and
                        GitHub's advisories (SLIPWAY_GITHUB_API_URL; GH_TOKEN when set):
                        impostor-commit, known-vulnerable-action, stale-action-ref
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
    if (values["dry-run"] && !values.fix) throw new UsageError("--dry-run goes with --fix");
    const run = () =>
      auditRepo(cwd, positionals, { persona, ...(values.store ? { store: values.store } : {}) });
    let result = await run();
    if (values.fix && !result.missing.length) {
      const changed = fixFiles(cwd, result.findings, !!values["dry-run"]);
      // What is left after the fixes (a dry run reports what it found).
      if (changed && !values["dry-run"]) result = await run();
    }
    if (values.online && !result.missing.length) {
      const uses = [...result.sources].flatMap(([file, text]) => remoteUses(file, text));
      const online = await onlineFindings(uses, {
        base: process.env.SLIPWAY_GITHUB_URL || "https://github.com",
        api: process.env.SLIPWAY_GITHUB_API_URL || "https://api.github.com",
      });
      for (const e of online.errors) console.error(`slipway audit: --online: ${e}`);
      const shown = online.findings.filter((f) => {
        const doc: AuditRuleDoc | undefined = (AUDIT_RULES as Record<string, AuditRuleDoc>)[f.rule];
        return PERSONA_RANK[doc?.persona ?? "regular"] <= PERSONA_RANK[persona];
      });
      result.findings.push(...shown);
      sortFindings(result.findings);
    }
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
      fix: { type: "boolean" },
      online: { type: "boolean" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** Makes (or, dry, prints as a diff) the mechanical fixes; the number of files changed. */
function fixFiles(cwd: string, findings: Finding[], dry: boolean): number {
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  let changed = 0;
  for (const [file, list] of byFile) {
    const path = resolve(cwd, file);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      continue;
    }
    const edits = fixesFor(text, list);
    if (!edits.length) continue;
    const fixed = applyEdits(text, edits);
    changed++;
    if (dry) {
      process.stdout.write(diff(file, text, fixed));
      continue;
    }
    // Written whole or not at all: a temporary file beside it, then renamed over it.
    const tmp = `${path}.slipway-fix`;
    writeFileSync(tmp, fixed);
    renameSync(tmp, path);
    for (const e of edits) console.error(`fixed ${file}: ${e.description}`);
  }
  if (!changed) console.error("slipway audit: nothing to fix mechanically");
  return changed;
}

/** A unified diff of one file's change (git's, which every reviewer reads). */
function diff(file: string, before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-fix-"));
  try {
    writeFileSync(join(dir, "a"), before);
    writeFileSync(join(dir, "b"), after);
    try {
      execFileSync("git", ["diff", "--no-index", "--no-color", "a", "b"], { cwd: dir, encoding: "utf8" });
      return "";
    } catch (e) {
      // git diff exits 1 when the files differ: its output is the diff.
      const out = String((e as { stdout?: string }).stdout ?? "");
      return out
        .replace(/^diff --git a\/a b\/b/m, `diff --git a/${file} b/${file}`)
        .replace(/^--- a\/a$/m, `--- a/${file}`)
        .replace(/^\+\+\+ b\/b$/m, `+++ b/${file}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
