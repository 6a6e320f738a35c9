import type { JobRow, RunRow } from "../db/reads.js";
import type { RunPlan } from "../plan/run-plan.js";
import { duration, e, page, status, when } from "./html.js";

export const jobHref = (run: number, key: string) => `/runs/${run}/jobs/${encodeURIComponent(key)}`;

/** One box of the graph: a job and its legs (rows of the history, or the plan's when not started). */
interface Box {
  job: string;
  name: string;
  needs: string[];
  legs: { key: string; name: string; row?: JobRow }[];
}

/**
 * The needs graph as columns, one per stage of the plan (a job's column is after those of its
 * needs), each job a box listing its matrix legs. Without a plan (an older run), one column.
 */
export function graph(plan: RunPlan | undefined, jobs: JobRow[]): Box[][] {
  const byJob = new Map<string, JobRow[]>();
  // A matrix job has a row of its own beside its legs' rows: the box shows the legs.
  const legged = new Set(jobs.filter((j) => j.leg !== null).map((j) => j.job));
  for (const j of jobs)
    if (j.leg !== null || !legged.has(j.job)) byJob.set(j.job, [...(byJob.get(j.job) ?? []), j]);
  const cols: Box[][] = [];
  const placed = new Set<string>();
  for (const w of plan?.workflows ?? []) {
    const ids = new Map(w.jobs.map((j) => [j.id, j]));
    w.stages.forEach((stage, i) => {
      cols[i] ??= [];
      for (const id of stage) {
        const node = ids.get(id);
        if (!node) continue;
        const rows = byJob.get(node.key) ?? [];
        const planned = "legs" in node.legs ? node.legs.legs : [];
        const legs = rows.length
          ? rows.map((r) => ({ key: r.key, name: r.name, row: r }))
          : planned.map((l) => ({ key: l.key, name: l.name ?? l.key }));
        if (!legs.length) legs.push({ key: node.key, name: node.id });
        placed.add(node.key);
        cols[i]!.push({
          job: node.key,
          name: rows.length === 1 ? rows[0]!.name : node.id,
          needs: node.needs.map((n) => ids.get(n)?.key ?? n),
          legs,
        });
      }
    });
  }
  // Jobs the plan did not name (a reusable workflow's, or no plan.json): a last column.
  const rest = [...byJob.entries()].filter(([job]) => !placed.has(job));
  if (rest.length)
    cols.push(
      rest.map(([job, rows]) => ({
        job,
        name: rows.length === 1 ? rows[0]!.name : job,
        needs: [],
        legs: rows.map((r) => ({ key: r.key, name: r.name, row: r })),
      })),
    );
  return cols.filter((c) => c.length);
}

function trigger(run: RunRow): string {
  const p = (run.payload ?? {}) as {
    head_commit?: { message?: string; author?: { name?: string } };
    pull_request?: { number?: number; title?: string };
    inputs?: Record<string, unknown>;
  };
  const parts = [
    `<dt>event</dt><dd>${e(run.event)}</dd>`,
    `<dt>ref</dt><dd>${e(run.ref)}</dd>`,
    `<dt>commit</dt><dd><code>${e(run.sha)}</code>${p.head_commit?.message ? ` ${e(p.head_commit.message.split("\n")[0] ?? "")}` : ""}</dd>`,
    `<dt>actor</dt><dd>${e(run.actor)}</dd>`,
  ];
  // A re-run: a new attempt of the run its first attempt started (github.run_number is that one's).
  if (run.attemptOf !== null)
    parts.push(
      `<dt>attempt</dt><dd id="attempt">${run.attempt} of <a href="/runs/${run.attemptOf}">run #${run.attemptOf}</a></dd>`,
    );
  if (p.pull_request?.number)
    parts.push(`<dt>pull request</dt><dd>#${p.pull_request.number} ${e(p.pull_request.title ?? "")}</dd>`);
  if (p.inputs && Object.keys(p.inputs).length)
    parts.push(
      `<dt>inputs</dt><dd>${Object.entries(p.inputs)
        .map(([k, v]) => `<code>${e(k)}=${e(typeof v === "string" ? v : JSON.stringify(v))}</code>`)
        .join(" ")}</dd>`,
    );
  return `<dl class="trigger">${parts.join("")}</dl>`;
}

/** The run page; `live`: the seq to follow the run's events from (the run goes on). */
export function runPage(
  repo: string,
  run: RunRow,
  jobs: JobRow[],
  plan: RunPlan | undefined,
  live: number | undefined,
  controls = "",
): string {
  const n = run.number;
  const cols = graph(plan, jobs);
  // A deployment waiting for its reviewers says so, with the way to the approvals page.
  const waits = (r?: JobRow) =>
    (r?.approvals ?? [])
      .filter((a) => a.approved === null)
      .map((a) => ` <a class="waits" href="/approvals">waiting for approval to ${e(a.environment)}</a>`)
      .join("");
  const leg = (l: Box["legs"][number]) =>
    `<li data-job="${e(l.key)}"><a href="${e(jobHref(n, l.key))}">${e(l.name)}</a> <span class="js">${status(l.row ? l.row.result : "queued")}</span> <span class="dur">${e(duration(l.row?.startedAt, l.row?.endedAt))}</span>${waits(l.row)}</li>`;
  const graphHtml = `<div class="graph">${cols
    .map(
      (c, i) =>
        `<div class="stage"><h3>stage ${i + 1}</h3>${c
          .map(
            (b) =>
              `<div class="box" id="job-${e(b.job)}"><strong>${e(b.name)}</strong>${b.needs.length ? `<div class="needs">needs ${b.needs.map((x) => `<a href="#job-${e(x)}">${e(x)}</a>`).join(", ")}</div>` : ""}<ul>${b.legs.map(leg).join("")}</ul></div>`,
          )
          .join("")}</div>`,
    )
    .join('<div class="arrow">→</div>')}</div>`;
  const table = `<table class="jobs"><thead><tr><th>job</th><th>result</th><th>started</th><th>took</th><th>runner</th></tr></thead><tbody>${jobs
    .map(
      (j) =>
        `<tr data-job="${e(j.key)}"><td><a href="${e(jobHref(n, j.key))}">${e(j.name)}</a></td><td class="js">${status(j.result)}</td><td>${e(when(j.startedAt))}</td><td class="dur">${e(duration(j.startedAt, j.endedAt))}</td><td>${e(j.runner ? `${j.runner.name} (${j.runner.executor})` : "")}</td></tr>`,
    )
    .join("")}</tbody></table>`;
  return page(
    `#${n} ${run.workflows.join(", ")} · ${repo}`,
    `<div id="run" data-run="${n}"${live !== undefined ? ` data-live="${live}"` : ""}>
<h1>Run #${n} <span id="run-status">${status(run.result)}</span></h1>
${controls}<p>${e(run.workflows.join(", "))} · started ${e(when(run.startedAt))} · took <span id="run-took">${e(duration(run.startedAt, run.endedAt))}</span>${run.interrupted ? ` · interrupted (${e(run.interrupted)})` : ""}</p>
${trigger(run)}
<h2>Jobs</h2>${graphHtml}${table}
<p><a href="/api/runs/${n}">as JSON</a> · <a href="/api/runs/${n}/events">events</a></p></div>`,
    live !== undefined,
  );
}
