// `runs-on` labels must name a GitHub-hosted image, a default self-hosted label, or a label
// declared in the config (`runner-labels`). Labels named like hosted images but unknown are
// warnings (a newer image, a typo, a larger runner); other unknown labels are errors unless the
// job asks for `self-hosted`, whose runners carry labels of their owners' choosing. A label
// written as `${{ matrix.x }}` is checked at each value the matrix gives it.
import { isMap, isScalar, isSeq, type Node, type Scalar } from "yaml";
import { type LintContext, report } from "../context.js";
import {
  HOSTED_LABELS,
  HOSTED_SHAPE,
  RETIRED_LABELS,
  SELF_HOSTED_LABELS,
  SOURCE_DATE,
} from "../data/runner-labels.js";
import { didYouMean } from "../did-you-mean.js";
import { entries, get, isExpression, items, scalarList } from "../source.js";

const KNOWN = new Set([...HOSTED_LABELS, ...SELF_HOSTED_LABELS]);
const RETIRED = new Set(RETIRED_LABELS);
const MATRIX_REF = /^\$\{\{\s*matrix((?:\.[\w-]+)+)\s*\}\}$/;
const INPUT_REF = /^\$\{\{\s*(?:github\.event\.)?inputs\.([\w-]+)\s*\}\}$/;

/** The options of a workflow_dispatch `choice` input, the only values it can take. */
function choiceOptions(ctx: LintContext, name: string): Node[] {
  const inputs = get(ctx.model?.triggers.get("workflow_dispatch"), "inputs");
  const input = entries(inputs).find((e) => e.key.toLowerCase() === name.toLowerCase())?.value;
  // A workflow that can also be called takes any string from its caller.
  if (get(input, "type") === undefined || String((get(input, "type") as Scalar).value) !== "choice")
    return [];
  if (ctx.model?.triggers.has("workflow_call")) return [];
  return items(get(input, "options"));
}

/** The nodes a matrix path can take: row values and include entries, descending into objects. */
function matrixValues(matrix: Node | undefined, path: string[]): Node[] | undefined {
  if (!isMap(matrix)) return undefined;
  const [key, ...rest] = path;
  const out: Node[] = [];
  const descend = (n: Node | undefined): boolean => {
    let cur = n;
    for (const k of rest) {
      if (isScalar(cur) && typeof cur.value === "string" && isExpression(cur.value)) return false;
      cur = get(cur, k);
      if (cur === undefined) return true; // this value has no such field: nothing to check
    }
    if (cur !== undefined) out.push(cur);
    return true;
  };
  for (const e of entries(matrix)) {
    if (e.key === "exclude") continue;
    if (e.key === "include") {
      if (!isSeq(e.value)) return undefined;
      for (const inc of items(e.value)) if (!descend(get(inc, key!))) return undefined;
    } else if (e.key === key) {
      if (!isSeq(e.value)) return undefined; // an expression: values unknown
      for (const v of items(e.value)) if (!descend(v)) return undefined;
    }
  }
  return out;
}

export function checkRunsOn(ctx: LintContext): void {
  const seen = new Set<number>();
  for (const job of ctx.model?.jobs.values() ?? []) {
    const runsOn = get(job.node, "runs-on");
    if (runsOn === undefined) continue;
    // Runner groups (larger runners) have labels of the organisation's choosing.
    if (isMap(runsOn) && get(runsOn, "group") !== undefined) continue;
    const written = scalarList(isMap(runsOn) ? get(runsOn, "labels") : runsOn);
    const fixed: Scalar[] = [];
    // Values a label expression can take: matrix values, choice options.
    const fromMatrix: Node[] = [];
    for (const l of written) {
      const v = typeof l.value === "string" ? l.value.trim() : "";
      const m = MATRIX_REF.exec(v);
      const input = INPUT_REF.exec(v);
      if (m) {
        const path = m[1]!.slice(1).split(".");
        fromMatrix.push(...(matrixValues(get(get(job.node, "strategy"), "matrix"), path) ?? []));
      } else if (input) fromMatrix.push(...choiceOptions(ctx, input[1]!));
      else fixed.push(l);
    }
    const selfHosted = (list: Scalar[]) => list.some((l) => String(l.value).toLowerCase() === "self-hosted");
    if (selfHosted(fixed)) continue;
    const check = (l: Scalar) => {
      if (l.range && seen.has(l.range[0])) return;
      if (l.range) seen.add(l.range[0]);
      checkLabel(ctx, l);
    };
    for (const l of fixed) check(l);
    for (const v of fromMatrix) {
      const list = scalarList(v);
      if (!selfHosted(list)) for (const l of list) check(l);
    }
  }
}

function checkLabel(ctx: LintContext, l: Scalar): void {
  if (typeof l.value !== "string" || isExpression(l.value)) return;
  const label = l.value.toLowerCase();
  if (ctx.config.runnerLabels.some((m) => m(l.value as string))) return;
  if (RETIRED.has(label)) {
    report(ctx, "runner-label", l, `runner image '${l.value}' has been retired by GitHub`, {
      severity: "warning",
      fix: "use a current image such as ubuntu-latest, windows-latest or macos-latest",
    });
  } else if (KNOWN.has(label)) {
    return;
  } else if (HOSTED_SHAPE.test(label)) {
    // A misspelling, not another version: ubuntu-27.04 is not a typo of ubuntu-26.04.
    const digits = (s: string) => s.replace(/\D/g, "");
    const near = didYouMean(
      label,
      HOSTED_LABELS.filter((h) => digits(h) === digits(label)),
    );
    report(
      ctx,
      "runner-label",
      l,
      `'${l.value}' is not a GitHub-hosted runner label known on ${SOURCE_DATE}${near ? `; did you mean '${near}'?` : ""}`,
      {
        severity: "warning",
        fix: `if it is a newer image, a larger runner or a self-hosted label, declare it in .slipway.yml: runner-labels: [${l.value}]`,
      },
    );
  } else {
    report(ctx, "runner-label", l, `unknown runner label '${l.value}'`, {
      fix: `for a self-hosted runner, add 'self-hosted' to runs-on or declare it in .slipway.yml: runner-labels: [${l.value}]`,
    });
  }
}
