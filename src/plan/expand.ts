import { type ExprHost, evaluate, evaluateTemplate, type Json, truthy } from "../expr/index.js";
import { liveToken } from "../workflow/token-json.js";
import { field } from "../workflow/tokens.js";
import { concurrencyOf, containerSkip, deselected, planEnvironment } from "./gates.js";
import { displayName } from "./job-name.js";
import { expandMatrix } from "./matrix.js";
import { placeJob, runsOnLabels } from "./platform.js";
import type { JobNode, LegNode, Legs, PlanOptions } from "./run-plan.js";
import { evaluateStrategy } from "./strategy.js";

// The planner's rules for one job, as a function of its contexts: the planner calls it before
// the run (without needs or secrets: what throws is deferred) and run/ calls it again for a
// deferred node once needs outputs exist. One code path, so a saved plan and a live run agree.

export type Expansion = { ok: true; legs: Legs } | { ok: false; reason: string };

type Strategy = {
  matrix: Json | undefined;
  legs: Record<string, Json>[];
  failFast: boolean;
  maxParallel?: number;
};

/** `strategy:` evaluated and its matrix expanded; the reason says which failed. */
function strategyOf(job: JobNode, host: ExprHost): { ok: true; s: Strategy } | { ok: false; reason: string } {
  const tok = field(liveToken(job.body), "strategy");
  let strategy: Record<string, Json> = {};
  try {
    const s = tok ? evaluateStrategy(tok, host) : undefined;
    if (s && typeof s === "object" && !Array.isArray(s)) strategy = s;
  } catch (e) {
    return { ok: false, reason: `strategy: ${(e as Error).message}` };
  }
  const m = expandMatrix(strategy.matrix ?? undefined);
  if (!m.ok) return { ok: false, reason: `strategy.matrix: ${m.error}` };
  const mp = strategy["max-parallel"];
  return {
    ok: true,
    s: {
      matrix: strategy.matrix ?? undefined,
      legs: m.legs,
      failFast: strategy["fail-fast"] === undefined ? true : truthy(strategy["fail-fast"]),
      maxParallel: typeof mp === "number" ? mp : undefined,
    },
  };
}

/** The leg's key, matrix and strategy contexts, and the host its fields are evaluated with. */
function legBase(job: JobNode, s: Strategy, i: number, host: ExprHost, maxParallel: number) {
  const isMatrix = s.matrix !== undefined && s.matrix !== null;
  const matrix = isMatrix ? s.legs[i]! : {};
  const strategy: Record<string, Json> = {
    "fail-fast": s.failFast,
    "job-index": i,
    "job-total": s.legs.length,
    "max-parallel": maxParallel,
  };
  const leg: LegNode = {
    key: isMatrix ? `${job.key}.${i + 1}` : job.key,
    index: i,
    matrix,
    strategy,
    decision: { run: true },
    labels: [],
  };
  const legHost: ExprHost = { contexts: { ...host.contexts, matrix, strategy }, status: host.status };
  return { leg, legHost, isMatrix };
}

function ended(leg: LegNode, result: "skipped" | "failure", reason: string): LegNode {
  leg.decision = { run: false, result, reason };
  return leg;
}

/**
 * A job's legs: names, matrix values, and why a leg does not run (--matrix, container,
 * runs-on); environment and concurrency group of each. `namePrefix` is the caller's
 * `caller / ` inside a called workflow.
 */
export function expandJob(job: JobNode, host: ExprHost, namePrefix: string, o: PlanOptions): Expansion {
  const st = strategyOf(job, host);
  if (!st.ok) return st;
  const s = st.s;
  const body = liveToken(job.body);
  const [nameTok, coe, conc, envTok, runsOn] = [
    "name",
    "continue-on-error",
    "concurrency",
    "environment",
    "runs-on",
  ].map((k) => field(body, k));
  const uses = field(body, "container") ? "container" : field(body, "services") ? "services" : undefined;
  const maxParallel = s.maxParallel ?? s.legs.length;
  let continueOnError = false;
  let isMatrix = false;
  const legs = s.legs.map((values, i): LegNode => {
    const b = legBase(job, s, i, host, maxParallel);
    const { leg, legHost } = b;
    isMatrix = b.isMatrix;
    try {
      leg.name = `${namePrefix}${displayName(job.id, nameTok, legHost, isMatrix ? values : undefined)}`;
      if (coe) continueOnError = truthy(evaluateTemplate(coe, legHost));
      if (conc) leg.concurrency = concurrencyOf(evaluateTemplate(conc, legHost));
    } catch (e) {
      return ended(leg, "failure", (e as Error).message);
    }
    try {
      leg.environment = envTok ? planEnvironment(envTok, (t) => evaluateTemplate(t, legHost)) : undefined;
    } catch (e) {
      return ended(leg, "failure", `environment: ${(e as Error).message}`);
    }
    try {
      leg.labels = runsOnLabels(runsOn ? evaluateTemplate(runsOn, legHost) : undefined);
    } catch (e) {
      return ended(leg, "failure", (e as Error).message);
    }
    const unselected = isMatrix && deselected(values, o.matrix);
    if (unselected) return ended(leg, "skipped", `not selected by --matrix ${unselected}`);
    if (uses) return ended(leg, "skipped", containerSkip(uses));
    const place = placeJob(leg.labels, o.platforms);
    if (!place.run) return ended(leg, "skipped", place.reason);
    return leg;
  });
  const notes = field(body, "snapshot")
    ? ["snapshot: ignored: Slipway runs on this machine and does not make runner images"]
    : [];
  return {
    ok: true,
    legs: { isMatrix, failFast: s.failFast, maxParallel, continueOnError, notes, legs },
  };
}

/**
 * The legs of a reusable-workflow call: names and --matrix selection (what the called
 * workflow's jobs do is expanded when it is called).
 */
export function expandCall(job: JobNode, host: ExprHost, namePrefix: string, o: PlanOptions): Expansion {
  const st = strategyOf(job, host);
  if (!st.ok) return st;
  const s = st.s;
  const nameTok = field(liveToken(job.body), "name");
  let isMatrix = false;
  const legs = s.legs.map((values, i): LegNode => {
    const b = legBase(job, s, i, host, s.legs.length);
    const { leg, legHost } = b;
    isMatrix = b.isMatrix;
    try {
      leg.name = `${namePrefix}${displayName(job.id, nameTok, legHost, isMatrix ? values : undefined)}`;
    } catch (e) {
      return ended(leg, "failure", `name: ${(e as Error).message}`);
    }
    const unselected = isMatrix && deselected(values, o.matrix);
    if (unselected) return ended(leg, "skipped", `not selected by --matrix ${unselected}`);
    return leg;
  });
  return {
    ok: true,
    legs: {
      isMatrix,
      failFast: s.failFast,
      maxParallel: s.legs.length,
      continueOnError: false,
      notes: [],
      legs,
    },
  };
}

/** expandJob or expandCall, by the job's kind. */
export function expandNode(job: JobNode, host: ExprHost, namePrefix: string, o: PlanOptions): Expansion {
  return job.kind === "job" ? expandJob(job, host, namePrefix, o) : expandCall(job, host, namePrefix, o);
}

export type Condition =
  | { ok: true; run: true }
  | { ok: true; run: false; reason: string }
  | { ok: false; error: string };

/**
 * A job's `if:` once its needs have ended; `needResults` in the order of job.needs. A skip
 * says whether a needed job failed (unless the condition asks for failure or always()).
 */
export function jobCondition(job: JobNode, host: ExprHost, needResults: string[]): Condition {
  let v: boolean;
  try {
    v = truthy(evaluate(job.if, host));
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  if (v) return { ok: true, run: true };
  const failed = job.needs.filter((_n, i) => needResults[i] !== "success");
  return {
    ok: true,
    run: false,
    reason:
      failed.length && !/\b(always|failure|cancelled)\(/.test(job.if)
        ? `needed job${failed.length > 1 ? "s" : ""} ${failed.join(", ")} did not succeed`
        : `if: ${job.if} was false`,
  };
}
