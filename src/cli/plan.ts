import { parseArgs } from "node:util";
import { openHistory } from "../db/open.js";
import type { Json } from "../expr/index.js";
import { buildRunPlan, triggerOf } from "../plan/build.js";
import { deselected } from "../plan/gates.js";
import { planWorkflow, type Selection, selectWorkflows, type WorkflowPlan } from "../plan/plan.js";
import type { RunPlan } from "../plan/run-plan.js";
import { findLacks, lackOptions, renderLacks } from "../run/lacks.js";
import { loadReuseConfig } from "../run/reuse/config.js";
import { type WhyLine, whyRun } from "../run/reuse/why.js";
import { formatDiagnostic } from "../workflow/diagnostic.js";
import { isMissingCallee } from "../workflow/load.js";
import {
  EVENT_OPTIONS,
  fail,
  historyDatabase,
  matrixFilter,
  parse,
  placeholderToken,
  type Setup,
  setup,
  UsageError,
} from "./common.js";
import { onlyJob } from "./select-job.js";

const HELP = `usage: slipway plan [event] [options]

Shows what 'slipway run' would do for an event: the workflows it triggers, their
stages, matrix legs, and why a job would be skipped. Takes the options of 'slipway run'.

With --json it prints a summary (event, workflows, notTriggered, lacks, errors) and, under
'plan', the run plan itself: 'slipway plan --json > p.json' then 'slipway run --plan p.json'
runs exactly that plan. Secrets are named in it, never their values.

--why-run shows, per job, whether 'slipway run' would reuse it (a job that succeeded before
with the same key, see 'slipway run --help') and if not, which part of its key changed since
its last recorded run: job, content, needs, event, secrets, vars, platform (--db, or
SLIPWAY_DATABASE_URL, names the history; --json: under 'whyRun').

Exit codes: 0 the plan has no errors, 1 it has some, 2 usage error.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(() =>
      parseArgs({
        args,
        options: { ...EVENT_OPTIONS, "why-run": { type: "boolean" }, db: { type: "string" } },
        allowPositionals: true,
      }),
    );
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const matrix = matrixFilter(values.matrix);
    const s = await setup(values, positionals);
    for (const d of s.diagnostics) console.error(d);
    const { sel, plans, planned } = plansOf(s, values);
    for (const e of sel.errors) console.error(`${e.file}: ${e.message}`);
    if (matrix) markDeselected(plans, matrix);
    // What the run will lack (toolchains, actions, shells, skipped runs-on), said up front.
    const { lacks } = await findLacks(planned, plans, lackOptions(s.git.root));
    const bad = s.diagnostics.length > 0 || sel.errors.length > 0 || plans.some((p) => p.errors.length);
    const runPlan = () =>
      buildRunPlan(planned, {
        runId: "0",
        runNumber: 0,
        trigger: triggerOf(s.event),
        secretNames: Object.keys(s.secrets),
        extraEnv: s.env,
        options: { platforms: s.platforms, ...(matrix ? { matrix } : {}) },
        // As `slipway run` counts them: a missing callee fails only the job that calls it.
        errors: [
          ...new Set(
            s.workflows.flatMap((w) =>
              w.diagnostics.filter((d) => !isMissingCallee(d)).map(formatDiagnostic),
            ),
          ),
          ...sel.errors.map((e) => `${e.file}: ${e.message}`),
        ],
      });
    const why = values["why-run"] ? await whyRunOf(s, runPlan(), values.db) : undefined;
    if (values.json) {
      console.log(
        JSON.stringify(
          {
            event: s.event.name,
            ref: s.event.ref,
            sha: s.event.sha,
            workflows: plans,
            notTriggered: sel.skipped.map((k) => ({ file: k.wf.file, reason: k.reason })),
            lacks,
            errors: [...s.diagnostics, ...sel.errors.map((e) => `${e.file}: ${e.message}`)],
            plan: runPlan(),
            ...(why ? { whyRun: why } : {}),
          },
          null,
          2,
        ),
      );
      return bad ? 1 : 0;
    }
    console.log(`Event ${s.event.name} on ${s.event.ref} (${s.event.sha.slice(0, 7)})`);
    for (const p of plans) console.log(renderPlan(p));
    for (const k of sel.skipped) console.log(`\n${k.wf.file}: not triggered (${k.reason})`);
    if (plans.length === 0) {
      // Files that did not load are not "not triggered": say so, as run does.
      const broken = s.workflows.filter((w) => !w.template).length;
      console.log(
        broken
          ? `\nNo workflow is planned: ${broken} workflow file${broken > 1 ? "s" : ""} could not be loaded (errors above).`
          : "\nNo workflow is triggered.",
      );
    }
    if (lacks.length) console.log(`\n${renderLacks(lacks)}`);
    if (why) console.log(`\n${renderWhy(why)}`);
    return bad ? 1 : 0;
  } catch (e) {
    return fail(e, "plan");
  }
}

/** --why-run: each leg's reuse as `slipway run` would decide it now. */
async function whyRunOf(s: Setup, plan: RunPlan, db: string | undefined): Promise<WhyLine[] | string> {
  const config = loadReuseConfig(s.git.root);
  if (!config.ok) throw new UsageError(formatDiagnostic(config.error));
  if (process.env.SLIPWAY_HISTORY === "0")
    return "no job would be reused: the run history is off (SLIPWAY_HISTORY=0)";
  if (process.env.SLIPWAY_REUSE === "0") return "no job would be reused: SLIPWAY_REUSE=0";
  const history = await openHistory(s.git.root, false, historyDatabase(db));
  if (!history) return "no job would be reused: no run is recorded yet";
  try {
    return await whyRun(plan, {
      root: s.git.root,
      sha: s.event.sha,
      secrets: s.secrets,
      config: config.config,
      event: { name: plan.trigger.event, payload: plan.trigger.payload as Json },
      db: history,
    });
  } finally {
    await history.close();
  }
}

function renderWhy(why: WhyLine[] | string): string {
  if (typeof why === "string") return `Job reuse: ${why}`;
  const width = Math.max(...why.map((w) => w.job.length));
  return ["Job reuse:", ...why.map((w) => `  ${w.job.padEnd(width)}  ${w.why}`)].join("\n");
}

/** The workflows an event triggers and their plans (plans[i] is planned[i]'s). */
export function plansOf(
  s: Setup,
  values: { job?: string; approve?: string[] },
): { sel: Selection; plans: WorkflowPlan[]; planned: Selection["selected"] } {
  const sel = selectWorkflows(s.workflows, {
    git: s.git,
    event: s.event,
    ids: { runId: "0", runNumber: 0, eventPath: "" },
    inputs: s.inputs,
    vars: s.vars,
    secrets: s.secrets,
    token: placeholderToken(),
  });
  const plans: WorkflowPlan[] = [];
  const planned: Selection["selected"] = [];
  for (const w of sel.selected) {
    const t = values.job ? onlyJob(w.template, values.job) : w.template;
    if (!t) continue;
    plans.push(planWorkflow({ ...w, template: t }, s.platforms, values.approve));
    planned.push({ ...w, template: t });
  }
  return { sel, plans, planned };
}

export function renderPlan(p: WorkflowPlan): string {
  const out = [`\n${p.name} (${p.file})`];
  for (const e of p.errors) out.push(`  error: ${e}`);
  p.stages.forEach((stage, i) => {
    out.push(`  stage ${i + 1}`);
    for (const id of stage) {
      const j = p.jobs.find((x) => x.id === id)!;
      const notes: string[] = [];
      if (j.needs.length) notes.push(`needs ${j.needs.join(", ")}`);
      if (j.uses) notes.push(`uses ${j.uses}`);
      if (j.runsOn.length) notes.push(`runs-on ${j.runsOn.join(", ")}`);
      if (j.environment) notes.push(`environment ${j.environment}`);
      const mark =
        j.condition === "skip" || j.placement === "skip" ? "-" : j.condition === "at-run-time" ? "?" : "•";
      out.push(`    ${mark} ${id}${notes.length ? `  (${notes.join("; ")})` : ""}`);
      if (j.condition !== "run")
        out.push(`        ${j.condition === "skip" ? "skipped" : "decided at run time"}: ${j.reason}`);
      if (j.placement === "skip") out.push(`        skipped: ${j.placementReason}`);
      if (Array.isArray(j.legs)) {
        // Legs, or the job's `name:` when it differs from its id: the names `slipway run` shows.
        if (j.legs.length > 1 || j.legs[0]?.matrix || (j.legs[0] && j.legs[0].name !== id))
          for (const l of j.legs)
            out.push(
              l.deselected
                ? `        - ${l.name}  (not selected by --matrix ${l.deselected})`
                : `        ◦ ${l.name}`,
            );
      } else out.push(`        matrix: ${j.legs.atRunTime}`);
    }
  });
  return out.join("\n");
}

/** `--matrix` as `run` applies it: legs it leaves out are marked; a key no leg has is said. */
function markDeselected(plans: WorkflowPlan[], filter: Record<string, string[]>): void {
  const seen = new Set<string>();
  for (const p of plans)
    for (const j of p.jobs) {
      if (!Array.isArray(j.legs)) continue;
      for (const l of j.legs) {
        if (!l.matrix) continue;
        for (const k of Object.keys(l.matrix)) seen.add(k);
        l.deselected = deselected(l.matrix, filter);
      }
    }
  for (const k of Object.keys(filter))
    if (!seen.has(k)) console.error(`slipway: --matrix ${k}: no matrix job of the plan has a '${k}' value`);
}
