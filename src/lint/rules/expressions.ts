// Every `${{ }}` in a file (and every implicit `if:`): syntax, unknown contexts and properties,
// context availability per field, and references to needs, job outputs, steps, matrix keys and
// inputs that are not defined. Also reports job outputs that nothing reads.

import { data } from "@actions/expressions";
import { isMap, isScalar, isSeq, type Node, type Scalar } from "yaml";
import {
  type Availability,
  actionAvailability,
  CONTEXT_PROPS,
  GITHUB_SCALARS,
  workflowAvailability,
} from "../availability.js";
import { type LintContext, report } from "../context.js";
import { didYouMean } from "../did-you-mean.js";
import { type Comparison, type FormatCall, parseExpr, type Ref, type Segment } from "../expr-refs.js";
import { expressionsIn, type FoundExpr, offsetInExpr } from "../expr-scan.js";
import { ifAlwaysTrue } from "../if-always-true.js";
import { declsOf, type InputDecl, type JobInfo, type StepInfo } from "../model.js";
import { get } from "../source.js";
import { actionOf } from "./action-inputs.js";
import type { CalleeCache } from "./reusable.js";

const STATUS_FUNCS = new Set(["always", "success", "failure", "cancelled"]);

interface Scope {
  path: string[];
  avail: Availability | undefined;
  job: JobInfo | undefined;
  /** Steps a `steps.<id>` may name here: earlier steps of the job (all of them for job outputs). */
  steps: StepInfo[];
  found: FoundExpr;
}

/**
 * Visits every scalar with its path; `path` is one array the walk pushes to and pops from. A
 * subtree `skip` approves is not entered.
 */
function walk(
  node: Node | null | undefined,
  path: string[],
  visit: (s: Scalar, path: string[]) => void,
  skip: (n: Node, path: string[]) => boolean,
): void {
  if (isScalar(node)) visit(node, path);
  else if (isMap(node)) {
    for (const p of node.items) {
      if (!isScalar(p.key)) continue;
      path.push(String(p.key.value));
      if (!skip(p.value as Node, path)) walk(p.value as Node, path, visit, skip);
      path.pop();
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      path.push(String(i));
      if (!skip(node.items[i] as Node, path)) walk(node.items[i] as Node, path, visit, skip);
      path.pop();
    }
  }
}

/** Sorted offsets of `needle` in `text`. */
function offsetsOf(text: string, needle: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) out.push(i);
  return out;
}

/** Whether a sorted list has an offset in [from, to). */
function anyIn(offsets: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < offsets.length && offsets[lo]! < to;
}

/**
 * Subtrees whose source holds no `${{` (nor a backslash, which a double-quoted escape could turn
 * into one) and no place for an implicit `if:` have nothing to check: most of a workflow.
 */
function quietSubtrees(text: string, kind: "workflow" | "action"): (n: Node, path: string[]) => boolean {
  const exprs = offsetsOf(text, "${{");
  const escapes = offsetsOf(text, "\\");
  return (n, path) => {
    const r = n?.range;
    if (!r || mayHoldImplicitIf(path, kind)) return false;
    return !anyIn(exprs, r[0], r[2]) && !anyIn(escapes, r[0], r[2]);
  };
}

/** Whether `path` is, or leads to, the place of an implicit `if:` (see isImplicitIf). */
function mayHoldImplicitIf(path: string[], kind: "workflow" | "action"): boolean {
  const n = path.length;
  if (kind === "action") {
    if (n === 0) return true;
    if (path[0] !== "runs") return false;
    return n === 1 || (path[1] === "steps" && (n <= 3 || (n === 4 && path[3] === "if")));
  }
  if (n === 0) return true;
  if (path[0] !== "jobs") return false;
  if (n <= 2) return true;
  if (n === 3) return path[2] === "if" || path[2] === "steps";
  return path[2] === "steps" && (n === 4 || (n === 5 && path[4] === "if"));
}

function isImplicitIf(path: string[], kind: "workflow" | "action"): boolean {
  if (path[path.length - 1] !== "if") return false;
  if (kind === "action") return path.length === 4 && path[0] === "runs" && path[1] === "steps";
  return (path.length === 3 || (path.length === 5 && path[2] === "steps")) && path[0] === "jobs";
}

export class ExpressionChecker {
  /** Lower-case job id -> output names read; "*" when read as a whole. */
  private readOutputs = new Map<string, Set<string>>();
  private actionInputs: Map<string, InputDecl> | undefined;

  constructor(
    private ctx: LintContext,
    private callees: CalleeCache,
  ) {
    if (ctx.src.kind === "action") this.actionInputs = declsOf(get(ctx.src.doc.contents, "inputs"));
  }

  run(): void {
    const { src, model } = this.ctx;
    const skip = quietSubtrees(src.text, src.kind);
    walk(
      src.doc.contents as Node,
      [],
      (scalar, at) => {
        const implicitIf = isImplicitIf(at, src.kind);
        if (implicitIf) this.checkIfAround(scalar);
        const found = expressionsIn(src.text, scalar, implicitIf);
        if (found.length === 0) return;
        const path = at.slice(); // the walk's array changes as it goes on
        const avail = src.kind === "action" ? actionAvailability(path) : workflowAvailability(path);
        const job =
          path[0] === "jobs" && path[1] !== undefined ? model?.jobs.get(path[1].toLowerCase()) : undefined;
        let steps: StepInfo[] = [];
        if (src.kind === "action") steps = this.actionSteps(path);
        else if (job) steps = path[2] === "steps" ? job.steps.slice(0, Number(path[3])) : job.steps;
        for (const f of found) this.check({ path, avail, job, steps, found: f });
      },
      skip,
    );
    this.reportUnusedOutputs();
  }

  /** An `if:` with text around its `${{ }}` (see ifAlwaysTrue). */
  private checkIfAround(scalar: Scalar): void {
    const v = scalar.value;
    if (!ifAlwaysTrue(v)) return;
    const shown = JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
    report(
      this.ctx,
      "if-always-true",
      scalar,
      `if: condition ${shown} is always true: GitHub reads text around \${{ }} as a non-empty string`,
      {
        fix: "put the whole condition in one ${{ }} with nothing around it (use |- or >- for a block), or drop the ${{ }}",
      },
    );
  }

  private actionSteps(path: string[]): StepInfo[] {
    const all =
      (get(get(this.ctx.src.doc.contents, "runs"), "steps") as { items?: Node[] } | undefined)?.items ?? [];
    const upTo = path[0] === "runs" && path[1] === "steps" ? Number(path[2]) : all.length;
    return all.slice(0, upTo).map((node, index) => {
      const id = get(node, "id");
      const uses = get(node, "uses");
      return {
        index,
        node,
        ...(isScalar(id) ? { id: String(id.value) } : {}),
        ...(isScalar(uses) ? { uses } : {}),
      };
    });
  }

  private at(found: FoundExpr, seg: Segment, end = false): number {
    const p = end ? seg.token.range.end : seg.token.range.start;
    return offsetInExpr(found, p.line, p.column);
  }

  private flag(
    scope: Scope,
    seg: Segment,
    rule: Parameters<typeof report>[1],
    message: string,
    fix?: string,
  ): void {
    report(this.ctx, rule, this.at(scope.found, seg), message, {
      end: this.at(scope.found, seg, true),
      ...(fix ? { fix } : {}),
    });
  }

  private check(scope: Scope): void {
    const { found } = scope;
    if (!found.closed) {
      report(this.ctx, "expression-syntax", found.offset - 3, "expression is not closed with '}}'");
      return;
    }
    const parsed = parseExpr(found.expr);
    if (!parsed.ok) {
      const unknown = /^Unrecognized named-value: '(.*)'$/.exec(parsed.message);
      const at = offsetInExpr(found, parsed.line, parsed.column);
      if (unknown) {
        report(
          this.ctx,
          "unknown-context",
          at,
          `unknown context '${unknown[1]}'; contexts are ${[...(scope.avail?.contexts ?? [])].join(", ") || "github, env, vars, ..."}`,
        );
      } else report(this.ctx, "expression-syntax", at, parsed.message);
      return;
    }
    for (const call of parsed.calls) {
      const name = call.name.toLowerCase();
      const statusOk = !STATUS_FUNCS.has(name) || scope.avail?.status !== false;
      const hashOk = name !== "hashfiles" || scope.avail?.hashFiles !== false;
      if (scope.avail && (!statusOk || !hashOk)) {
        const seg = { name, raw: call.name, token: call.token };
        this.flag(
          scope,
          seg,
          "context-availability",
          `${call.name}() is not available in ${fieldName(scope.path)}`,
        );
      }
    }
    for (const ref of parsed.refs) this.checkRef(scope, ref);
    for (const f of parsed.formats) this.checkFormat(scope, f);
    for (const c of parsed.comparisons) this.checkComparison(scope, c);
  }

  /** format(): placeholders {N} must have an argument each; arguments no placeholder uses are dead. */
  private checkFormat(scope: Scope, f: FormatCall): void {
    const seg = { name: "format", raw: f.token.lexeme, token: f.token };
    const used = placeholders(f.template);
    if (!used) {
      this.flag(
        scope,
        seg,
        "expression-format",
        `format string ${JSON.stringify(f.template)} has a '{' or '}' that is neither {N} nor doubled ({{ or }})`,
      );
      return;
    }
    const max = Math.max(-1, ...used);
    if (max >= f.argc) {
      this.flag(
        scope,
        seg,
        "expression-format",
        `format string ${JSON.stringify(f.template)} reads {${max}} but only ${f.argc} argument${f.argc === 1 ? " is" : "s are"} given`,
      );
      return;
    }
    const unused = [...Array(f.argc).keys()].filter((i) => !used.includes(i));
    if (unused.length > 0) {
      report(
        this.ctx,
        "expression-format",
        this.at(scope.found, seg),
        `format string ${JSON.stringify(f.template)} never uses argument${unused.length > 1 ? "s" : ""} ${unused.map((i) => `{${i}}`).join(", ")}`,
        { severity: "warning", end: this.at(scope.found, seg, true) },
      );
    }
  }

  /** `obj == 'x'`: GitHub compares an object with a string, number or boolean as never equal. */
  private checkComparison(scope: Scope, c: Comparison): void {
    const what = objectPath(c.segments);
    if (!what || c.literal.literal instanceof data.Null) return;
    const lit = c.literal.token.lexeme;
    const always = c.operator.lexeme === "==" ? "false" : "true";
    const first = c.segments[0]!;
    const last = c.segments[c.segments.length - 1]!;
    report(
      this.ctx,
      "expression-type",
      this.at(scope.found, first),
      `${what} is an object and ${lit} is not: '${c.operator.lexeme}' is always ${always}`,
      {
        end: this.at(scope.found, last, true),
        fix: "compare one of its properties, or convert it with toJSON()",
      },
    );
  }

  private checkRef(scope: Scope, ref: Ref): void {
    const [ctxSeg, s1, s2, s3] = ref.segments;
    const ctxName = ctxSeg!.name!;
    if (scope.avail && !scope.avail.contexts.has(ctxName)) {
      this.flag(
        scope,
        ctxSeg!,
        "context-availability",
        `context '${ctxSeg!.raw}' is not available in ${fieldName(scope.path)}; available: ${[...scope.avail.contexts].join(", ")}`,
      );
      return;
    }
    const known = (s: Segment | undefined): s is Segment & { name: string } =>
      s !== undefined && s.name !== undefined && s.name !== "*";
    const props = CONTEXT_PROPS[ctxName];
    if (props && known(s1) && !props.has(s1.name)) {
      this.flag(scope, s1, "unknown-property", `unknown property '${s1.raw}' of context '${ctxSeg!.raw}'`);
      return;
    }
    switch (ctxName) {
      case "github":
        if (known(s1) && GITHUB_SCALARS.has(s1.name) && s2) {
          this.flag(
            scope,
            s2,
            "unknown-property",
            `github.${s1.raw} is a string; it has no property '${s2.raw}'`,
          );
        } else if (s1?.name === "event" && s2?.name === "inputs" && known(s3))
          this.checkDispatchInput(scope, s3);
        return;
      case "env":
      case "vars":
      case "secrets":
        // Their values are strings: `env.X.y` is always null.
        if (known(s1) && known(s2))
          this.flag(
            scope,
            s2,
            "unknown-property",
            `${ctxName}.${s1.raw} is a string; it has no property '${s2.raw}'`,
            ctxName === "env"
              ? undefined
              : `read it with fromJSON(${ctxName}.${s1.raw}).${s2.raw} if it holds JSON`,
          );
        return;
      case "needs":
        this.checkNeeds(scope, s1, s2, s3, false);
        return;
      case "jobs":
        this.checkNeeds(scope, s1, s2, s3, true);
        return;
      case "steps":
        this.checkSteps(scope, s1, s2, s3);
        return;
      case "matrix":
        this.checkMatrix(scope, s1);
        return;
      case "inputs":
        // Inputs are strings, numbers or booleans: none has properties.
        if (known(s1) && this.checkInput(scope, s1) && known(s2))
          this.flag(
            scope,
            s2,
            "unknown-property",
            `inputs.${s1.raw} is not an object; it has no property '${s2.raw}'`,
            `if it holds JSON, read it with fromJSON(inputs.${s1.raw}).${s2.raw}`,
          );
        return;
    }
  }

  private markRead(job: string, output: string): void {
    let set = this.readOutputs.get(job);
    if (!set) {
      set = new Set();
      this.readOutputs.set(job, set);
    }
    set.add(output);
  }

  private checkNeeds(scope: Scope, s1?: Segment, s2?: Segment, s3?: Segment, viaJobs = false): void {
    const model = this.ctx.model;
    if (!model) return;
    if (!s1?.name || s1.name === "*") {
      for (const id of model.jobs.keys()) this.markRead(id, "*");
      return;
    }
    const target = model.jobs.get(s1.name);
    const ctxName = viaJobs ? "jobs" : "needs";
    if (!viaJobs && !scope.job?.needs.some((n) => String(n.value).toLowerCase() === s1.name)) {
      const why = target ? `job '${scope.job?.id}' does not list '${s1.raw}' in needs` : `no job '${s1.raw}'`;
      this.flag(
        scope,
        s1,
        "needs-not-declared",
        `needs.${s1.raw}: ${why}`,
        target ? `add '${s1.raw}' to needs` : undefined,
      );
      return;
    }
    if (!target) {
      this.flag(scope, s1, "needs-not-declared", `${ctxName}.${s1.raw}: no job '${s1.raw}'`);
      return;
    }
    if (!s2?.name || s2.name === "*") {
      this.markRead(s1.name, "*");
      return;
    }
    if (s2.name !== "outputs" && s2.name !== "result") {
      this.flag(
        scope,
        s2,
        "unknown-property",
        `${ctxName}.${s1.raw} has no property '${s2.raw}' (outputs, result)`,
      );
      return;
    }
    if (s2.name !== "outputs") return;
    if (!s3?.name || s3.name === "*") {
      this.markRead(s1.name, "*");
      return;
    }
    this.markRead(s1.name, s3.name);
    const outputs = this.outputsOf(target);
    if (outputs && !outputs.has(s3.name)) {
      const list = [...outputs].join(", ") || "none";
      this.flag(
        scope,
        s3,
        "job-output-undefined",
        `job '${target.id}' has no output '${s3.raw}' (declared: ${list})`,
      );
    }
  }

  /** Output names of a job; undefined when they cannot be known (remote reusable workflow). */
  private outputsOf(job: JobInfo): Set<string> | undefined {
    if (!job.uses) return new Set(job.outputs.keys());
    const callee = this.callees.get(this.ctx.root, String(job.uses.value));
    return callee?.model.callOutputs ? new Set(callee.model.callOutputs.keys()) : undefined;
  }

  private checkSteps(scope: Scope, s1?: Segment, s2?: Segment, s3?: Segment): void {
    if (!s1?.name || s1.name === "*") return;
    if (!scope.job && this.ctx.src.kind !== "action") return;
    if (!scope.steps.some((s) => s.id?.toLowerCase() === s1.name)) {
      const later = scope.job?.steps.some((s) => s.id?.toLowerCase() === s1.name);
      this.flag(
        scope,
        s1,
        "step-undefined",
        later ? `step '${s1.raw}' runs after this point` : `no step with id '${s1.raw}'`,
      );
      return;
    }
    if (s2?.name && s2.name !== "*" && !["outputs", "outcome", "conclusion"].includes(s2.name)) {
      this.flag(
        scope,
        s2,
        "unknown-property",
        `steps.${s1.raw} has no property '${s2.raw}' (outputs, outcome, conclusion)`,
      );
      return;
    }
    if (s2?.name === "outputs" && s3?.name && s3.name !== "*") this.checkStepOutput(scope, s1, s3);
  }

  /** An output of a step whose action's metadata is known must be one the action declares. */
  private checkStepOutput(scope: Scope, s1: Segment, s3: Segment): void {
    const step = scope.steps.findLast((s) => s.id?.toLowerCase() === s1.name);
    const action = actionOf(this.ctx, step?.uses);
    if (!action) return;
    const outputs = action.meta.outputs;
    if (outputs.some((o) => o.toLowerCase() === s3.name)) return;
    const near = didYouMean(s3.raw, outputs);
    this.flag(
      scope,
      s3,
      "action-output",
      `${action.name} has no output '${s3.raw}'${near ? `; did you mean '${near}'?` : ` (outputs: ${outputs.join(", ") || "none"})`}`,
    );
  }

  private checkMatrix(scope: Scope, s1?: Segment): void {
    const job = scope.job;
    if (!job || !s1?.name || s1.name === "*") return;
    if (!job.matrix) {
      this.flag(scope, s1, "matrix-key-undefined", `matrix.${s1.raw}: job '${job.id}' has no matrix`);
    } else if (!job.matrix.open && !job.matrix.keys.has(s1.name)) {
      const keys = [...job.matrix.keys].join(", ") || "none";
      this.flag(scope, s1, "matrix-key-undefined", `matrix.${s1.raw}: no such matrix key (keys: ${keys})`);
    }
  }

  /** Whether the input is declared; reports it when not. */
  private checkInput(scope: Scope, s1: Segment & { name: string }): boolean {
    if (this.actionInputs) {
      if (this.actionInputs.has(s1.name)) return true;
      this.flag(scope, s1, "input-undefined", `action declares no input '${s1.raw}'`);
      return false;
    }
    const model = this.ctx.model;
    if (!model) return false;
    const { dispatchInputs: d, callInputs: c } = model;
    if (d?.has(s1.name) || c?.has(s1.name)) return true;
    const where = [d && "workflow_dispatch", c && "workflow_call"].filter(Boolean).join(" or ");
    this.flag(
      scope,
      s1,
      "input-undefined",
      where
        ? `input '${s1.raw}' is not declared in ${where}`
        : `inputs.${s1.raw}: the workflow has no inputs`,
    );
    return false;
  }

  private checkDispatchInput(scope: Scope, s3: Segment & { name: string }): void {
    const d = this.ctx.model?.dispatchInputs;
    if (d && !d.has(s3.name)) {
      this.flag(scope, s3, "input-undefined", `input '${s3.raw}' is not declared in workflow_dispatch`);
    }
  }

  private reportUnusedOutputs(): void {
    const model = this.ctx.model;
    if (!model) return;
    for (const [id, job] of model.jobs) {
      const read = this.readOutputs.get(id);
      if (read?.has("*")) continue;
      for (const [name, keyNode] of job.outputs) {
        if (read?.has(name)) continue;
        report(
          this.ctx,
          "job-output-unused",
          keyNode,
          `output '${keyNode.value}' of job '${job.id}' is never read`,
        );
      }
    }
  }
}

/** Indexes of the {N} placeholders of a format string; undefined if it has a stray brace. */
export function placeholders(t: string): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === "{") {
      if (t[i + 1] === "{") {
        i++;
        continue;
      }
      // As GitHub reads it: digits, then anything up to the next '}'.
      const m = /^\{(\d+)[^}]*\}/.exec(t.slice(i));
      if (!m) return undefined;
      out.push(Number(m[1]));
      i += m[0].length - 1;
    } else if (c === "}") {
      if (t[i + 1] !== "}") return undefined;
      i++;
    }
  }
  return out;
}

/** How to name a context path that is certainly an object, else undefined. */
function objectPath(segs: Segment[]): string | undefined {
  const n = segs.map((s) => s.name);
  if (n.some((x) => x === undefined || x === "*")) return undefined;
  const raw = segs.map((s) => s.raw).join(".");
  const [c, a, b] = n;
  if (n.length === 1) return `context ${raw}`;
  if (c === "github" && a === "event" && n.length === 2) return raw;
  if (
    (c === "needs" || c === "jobs" || c === "steps") &&
    (n.length === 2 || (n.length === 3 && b === "outputs"))
  )
    return raw;
  if (c === "job" && (a === "container" || a === "services") && n.length === 2) return raw;
  return undefined;
}

function fieldName(path: string[]): string {
  return path
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : p))
    .join(".")
    .replace(/\.\[/g, "[");
}
