// The `run:` scripts of a file with the shell each runs in, and a map from a script's own
// line/column back to the YAML.
import { isScalar, type Node, Scalar } from "yaml";
import type { LintContext } from "./context.js";
import { get, items, type Pos, posAt, str } from "./source.js";

export interface RunScript {
  node: Scalar;
  script: string;
  /** The shell named by the step or its defaults; undefined means the runner's default. */
  shell: string | undefined;
  /** The job runs on Windows, where the default shell is pwsh. */
  windows: boolean;
}

const shellOf = (defaults: Node | undefined) => str(get(get(defaults, "run"), "shell"));

export function runScripts(ctx: LintContext): RunScript[] {
  const root = ctx.src.doc.contents;
  const out: RunScript[] = [];
  const add = (step: Node, shell: string | undefined, windows: boolean) => {
    const run = get(step, "run");
    if (!isScalar(run) || typeof run.value !== "string") return;
    out.push({ node: run, script: run.value, shell: str(get(step, "shell")) ?? shell, windows });
  };
  if (ctx.src.kind === "action") {
    for (const step of items(get(get(root, "runs"), "steps"))) add(step, undefined, false);
    return out;
  }
  const wfShell = shellOf(get(root, "defaults"));
  for (const job of ctx.model?.jobs.values() ?? []) {
    const runsOn = JSON.stringify(get(job.node, "runs-on")?.toJSON() ?? "").toLowerCase();
    const windows = runsOn.includes("windows");
    const shell = shellOf(get(job.node, "defaults")) ?? wfShell;
    for (const step of job.steps) add(step.node, shell, windows);
  }
  return out;
}

/**
 * YAML position of a script's (1-based) line and column. Exact for literal blocks (`run: |`) and
 * single-line scalars; other multi-line styles fold lines, so they map to the scalar's first line.
 */
export function scriptPos(ctx: LintContext, run: Scalar, line: number, col: number): Pos {
  const text = ctx.src.text;
  const [start, end] = run.range!;
  if (run.type === Scalar.BLOCK_LITERAL) {
    const body = text.indexOf("\n", start) + 1;
    const first = text.slice(body, end).match(/^( *)\S/m);
    const indent = first ? first[1]!.length : 0;
    const p = posAt(ctx.src, body);
    return { line: p.line + line - 1, col: indent + col };
  }
  const p = posAt(ctx.src, start);
  if (line > 1) return p;
  const quoted = run.type === Scalar.QUOTE_DOUBLE || run.type === Scalar.QUOTE_SINGLE;
  return { line: p.line, col: p.col + col - 1 + (quoted ? 1 : 0) };
}
