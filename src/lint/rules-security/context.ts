// What an audit rule sees: one parsed file, its workflow model (for workflows), every step with
// its effective env, and a way to report a finding with the rule's default severity and fix.
import { isScalar, type Node, type Scalar } from "yaml";
import type { Confidence, Finding, Severity } from "../finding.js";
import type { JobInfo, WorkflowModel } from "../model.js";
import { entries, get, items, nodePos, type Pos, posAt, type SourceFile, str } from "../source.js";
import { AUDIT_RULES, type AuditRuleDoc, type AuditRuleId, PERSONA_RANK, type Persona } from "./docs.js";

export interface AuditStep {
  node: Node;
  /** The job it belongs to; undefined for the steps of a composite action. */
  job: JobInfo | undefined;
  uses: Scalar | undefined;
  /** actionName(uses), worked out once: most rules ask for it. */
  action: string | undefined;
  run: Scalar | undefined;
  /** Effective env (workflow, then job, then step): name -> its key and value nodes. */
  env: Map<string, EnvEntry>;
}

export interface EnvEntry {
  key: Scalar;
  value: Node | undefined;
}

export interface AuditContext {
  root: string;
  src: SourceFile;
  model: WorkflowModel | undefined;
  steps: AuditStep[];
  /** Action store directory, for checking version comments of pinned SHAs. */
  store: string | undefined;
  /** Commits read from the store in this run, by `owner/repo@ref` (the same pins recur in every file). */
  storeSeen: Map<string, string | undefined>;
  findings: Finding[];
  /** Findings for a persona above this one are not reported. */
  persona: Persona;
  /** forbidden-uses from the config: uses: that may not be used (or only those that may). */
  forbiddenUses: ForbiddenUses | undefined;
}

export type ForbiddenUses = { allow: (name: string) => boolean } | { deny: (name: string) => boolean };

export interface AuditReportOptions {
  severity?: Severity;
  /** The persona this finding needs when it is more than the rule's. */
  persona?: Persona;
  confidence?: Confidence;
  fix?: string;
  /** End of the flagged text, as a file offset. */
  end?: number;
}

/** Whether the persona shows what `rule` (or a finding needing `persona`) reports. */
export function shows(ctx: AuditContext, rule: AuditRuleId, persona?: Persona): boolean {
  const doc: AuditRuleDoc = AUDIT_RULES[rule];
  return PERSONA_RANK[persona ?? doc.persona ?? "regular"] <= PERSONA_RANK[ctx.persona];
}

export function report(
  ctx: AuditContext,
  rule: AuditRuleId,
  at: Node | number | Pos | undefined,
  message: string,
  opts: AuditReportOptions = {},
): void {
  if (!shows(ctx, rule, opts.persona)) return;
  const doc: AuditRuleDoc = AUDIT_RULES[rule];
  const pos = typeof at === "number" ? posAt(ctx.src, at) : at && "line" in at ? at : nodePos(ctx.src, at);
  const f: Finding = {
    rule,
    severity: opts.severity ?? doc.severity,
    message,
    fix: opts.fix ?? doc.fix,
    file: ctx.src.file,
    line: pos.line,
    col: pos.col,
  };
  let end = opts.end;
  if (end === undefined && at && typeof at === "object" && "range" in at && at.range) end = at.range[1];
  if (end !== undefined) {
    const e = posAt(ctx.src, end);
    if (e.line === pos.line) {
      f.endLine = e.line;
      f.endCol = e.col;
    }
  }
  f.confidence = opts.confidence ?? doc.confidence ?? "high";
  ctx.findings.push(f);
}

/** `into` plus the node's env; `into` itself (shared, never changed) when the node has none. */
function envOf(node: Node | undefined, into: Map<string, EnvEntry>): Map<string, EnvEntry> {
  const own = get(node, "env");
  if (own === undefined) return into;
  const out = new Map(into);
  for (const e of entries(own)) out.set(e.key, { key: e.keyNode, value: e.value });
  return out;
}

/** Every step of the file (job steps of a workflow, or the steps of a composite action). */
/** A step's node as the audit sees it; `env`: what its job (and workflow) set. */
export function auditStep(node: Node, job: JobInfo | undefined, env: Map<string, EnvEntry>): AuditStep {
  const uses = get(node, "uses");
  const run = get(node, "run");
  return {
    node,
    job,
    uses: isScalar(uses) ? uses : undefined,
    action: isScalar(uses) ? actionName(uses) : undefined,
    run: isScalar(run) && typeof run.value === "string" ? run : undefined,
    env: envOf(node, env),
  };
}

/** The steps of one job's mapping node, for a caller outside the audit (job reuse). */
export function jobAuditSteps(job: Node | undefined): AuditStep[] {
  const env = envOf(job, new Map());
  return items(get(job, "steps")).map((s) => auditStep(s, undefined, env));
}

export function stepsOf(src: SourceFile, model: WorkflowModel | undefined): AuditStep[] {
  const root = src.doc.contents as Node | undefined;
  const wfEnv = envOf(root, new Map());
  const make = auditStep;
  if (src.kind === "action")
    return items(get(get(root, "runs"), "steps")).map((s) => make(s, undefined, wfEnv));
  const out: AuditStep[] = [];
  for (const job of model?.jobs.values() ?? []) {
    const jobEnv = envOf(job.node, wfEnv);
    for (const s of job.steps) out.push(make(s.node, job, jobEnv));
  }
  return out;
}

/** `owner/repo[/path]` of a step's `uses:`, lower-cased, without the ref; undefined for local/docker. */
export function actionName(uses: Scalar | undefined): string | undefined {
  const v = str(uses)?.trim();
  if (!v || v.startsWith("./") || v.startsWith("docker://")) return undefined;
  const at = v.lastIndexOf("@");
  return (at < 0 ? v : v.slice(0, at)).toLowerCase();
}

/** Whether a step uses `owner/repo` (any sub-path when `prefix`). */
export function usesAction(step: AuditStep, ...names: string[]): boolean {
  const n = step.action;
  return n !== undefined && names.some((want) => n === want || n.startsWith(`${want}/`));
}

export interface Script {
  node: Scalar;
  /** "js" for actions/github-script, "shell" otherwise. */
  lang: "shell" | "js";
}

/** Code a step runs: `run:`, github-script's `script:`, and the `run:` input of actions that run one. */
const scripts = new WeakMap<AuditStep, Script[]>();

export function scriptsOf(step: AuditStep): Script[] {
  let out = scripts.get(step);
  if (!out) {
    out = findScripts(step);
    scripts.set(step, out);
  }
  return out;
}

function findScripts(step: AuditStep): Script[] {
  const out: Script[] = [];
  if (step.run) out.push({ node: step.run, lang: "shell" });
  const input = (key: string) => {
    const v = withInput(step, key);
    return isScalar(v) && typeof v.value === "string" ? v : undefined;
  };
  const js = usesAction(step, "actions/github-script") ? input("script") : undefined;
  if (js) out.push({ node: js, lang: "js" });
  const run = step.uses ? input("run") : undefined;
  if (run) out.push({ node: run, lang: "shell" });
  return out;
}

export function withInput(step: AuditStep, key: string): Node | undefined {
  return get(get(step.node, "with"), key);
}

/** Raw text of a scalar's value as a string ("" for non-strings). */
export function text(node: Node | undefined): string {
  return str(node) ?? "";
}
