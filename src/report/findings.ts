// Findings of `slipway lint` and `slipway audit` as text for people, JSON, SARIF 2.1.0 for
// code scanning, or GitHub workflow commands (annotations).

import type { Finding, Severity } from "../lint/finding.js";
import { fixesFor } from "../lint/fix.js";
import { LINT_RULES, type RuleDoc } from "../lint/rule-docs.js";

export type FindingsFormat = "human" | "json" | "sarif" | "github";
export const FINDINGS_FORMATS: readonly FindingsFormat[] = ["human", "json", "sarif", "github"];

export interface RenderOptions {
  /** Descriptions of rule ids beyond lint's own (audit adds its rules here). */
  rules?: Record<string, RuleDoc>;
  toolVersion?: string;
}

type Sources = Map<string, string> | Record<string, string>;

const sourceOf = (sources: Sources, file: string) =>
  sources instanceof Map ? sources.get(file) : (sources as Record<string, string>)[file];

export function renderFindings(
  findings: Finding[],
  format: FindingsFormat,
  sources: Sources = new Map(),
  opts: RenderOptions = {},
): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(findings, null, 2)}\n`;
    case "sarif":
      return `${JSON.stringify(toSarif(findings, opts, sources), null, 2)}\n`;
    case "github":
      return findings.map(toCommand).join("");
    default:
      return toHuman(findings, sources);
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Columns of a long line shown around the flagged column (a one-line workflow can be megabytes). */
const EXCERPT_WIDTH = 120;
const EXCERPT_BEFORE = 40;

/**
 * The source line and a caret under the flagged columns; tabs are kept so the caret lines up.
 * A long line is clipped to a window around the column, so the output stays linear in the input.
 */
function excerpt(f: Finding, lines: string[] | undefined): string[] {
  const text = lines?.[f.line - 1];
  if (text === undefined) return [];
  const num = String(f.line);
  const pad = " ".repeat(num.length);
  const col = Math.max(0, f.col - 1);
  let from = 0;
  let to = text.length;
  if (text.length > EXCERPT_WIDTH) {
    from = Math.max(0, Math.min(col - EXCERPT_BEFORE, text.length - EXCERPT_WIDTH));
    to = from + EXCERPT_WIDTH;
  }
  const shown = text.slice(from, to).replace(/[\r\v\f]/g, " ");
  const lead = (from > 0 ? " " : "") + text.slice(from, Math.max(from, col)).replace(/[^\t]/g, " ");
  const width = f.endLine === f.line && f.endCol && f.endCol > f.col ? f.endCol - f.col : 1;
  const caret = "^".repeat(Math.max(1, Math.min(width, to - col)));
  const line = `${from > 0 ? "…" : ""}${to < text.length ? `${shown}…` : shown.trimEnd()}`;
  return [`    ${num} | ${line}`, `    ${pad} | ${lead}${caret}`];
}

function toHuman(findings: Finding[], sources: Sources): string {
  if (findings.length === 0) return "No problems found.\n";
  const out: string[] = [];
  const byFile = Map.groupBy(findings, (f) => f.file);
  for (const [file, list] of byFile) {
    out.push(file);
    const lines = sourceOf(sources, file)?.split("\n");
    for (const f of list) {
      const sure = f.confidence ? `, ${f.confidence} confidence` : "";
      out.push(`  ${f.line}:${f.col}  ${f.severity.padEnd(7)}  ${f.message}  [${f.rule}${sure}]`);
      out.push(...excerpt(f, lines));
      if (f.fix) out.push(`    fix: ${f.fix}`);
    }
    out.push("");
  }
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const parts = [plural(count("error"), "error"), plural(count("warning"), "warning")];
  if (count("info")) parts.push(plural(count("info"), "note"));
  out.push(`${parts.join(", ")} in ${plural(byFile.size, "file")}`);
  return `${out.join("\n")}\n`;
}

// Workflow command escaping: data escapes %, CR, LF; property values also ':' and ','.
const escData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escProp = (s: string) => escData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

function toCommand(f: Finding): string {
  const level = f.severity === "info" ? "notice" : f.severity;
  const props = [`file=${escProp(f.file)}`, `line=${f.line}`, `col=${f.col}`];
  if (f.endLine) props.push(`endLine=${f.endLine}`);
  if (f.endCol && f.endLine === f.line) props.push(`endColumn=${f.endCol}`);
  props.push(`title=${escProp(f.rule)}`);
  const msg = f.fix ? `${f.message}\nfix: ${f.fix}` : f.message;
  return `::${level} ${props.join(",")}::${escData(msg)}\n`;
}

const FIXABLE = new Set(["persist-credentials", "missing-permissions", "template-injection"]);
const withFixes = (fixes: unknown[] | undefined) => (fixes ? { fixes } : {});

const SARIF_LEVEL: Record<Severity, string> = { error: "error", warning: "warning", info: "note" };

/** The fixes `audit --fix` would make for a finding, as SARIF fix objects. */
function sarifFixes(f: Finding, sources: Sources) {
  if (!FIXABLE.has(f.rule)) return undefined;
  const text = sourceOf(sources, f.file);
  if (text === undefined) return undefined;
  const edits = fixesFor(text, [f]);
  if (!edits.length) return undefined;
  return edits.map((e) => ({
    description: { text: e.description },
    artifactChanges: [
      {
        artifactLocation: { uri: encodeURI(f.file.replace(/\\/g, "/")), uriBaseId: "%SRCROOT%" },
        replacements: [
          {
            deletedRegion: { charOffset: e.start, charLength: e.end - e.start },
            insertedContent: { text: e.text },
          },
        ],
      },
    ],
  }));
}

function toSarif(findings: Finding[], opts: RenderOptions, sources: Sources) {
  const docs: Record<string, RuleDoc> = { ...LINT_RULES, ...opts.rules };
  const ids = [...new Set(findings.map((f) => f.rule))].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "slipway",
            version: opts.toolVersion ?? "0.1.0",
            rules: ids.map((id) => ({
              id,
              name: id,
              shortDescription: { text: docs[id]?.description ?? id },
              defaultConfiguration: { level: SARIF_LEVEL[docs[id]?.severity ?? "warning"] },
            })),
          },
        },
        columnKind: "unicodeCodePoints",
        results: findings.map((f) => ({
          ...withFixes(sarifFixes(f, sources)),
          ruleId: f.rule,
          ruleIndex: index.get(f.rule),
          level: SARIF_LEVEL[f.severity],
          message: { text: f.fix ? `${f.message}. Fix: ${f.fix}` : f.message },
          // SARIF 2.1.0 has no confidence field (rank is a priority); a property bag holds it.
          ...(f.confidence ? { properties: { confidence: f.confidence } } : {}),
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(f.file.replace(/\\/g, "/")), uriBaseId: "%SRCROOT%" },
                region: {
                  startLine: f.line,
                  startColumn: f.col,
                  ...(f.endLine ? { endLine: f.endLine } : {}),
                  ...(f.endCol ? { endColumn: f.endCol } : {}),
                },
              },
            },
          ],
        })),
      },
    ],
  };
}
