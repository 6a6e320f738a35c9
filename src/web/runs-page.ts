import type { RunRow } from "../db/reads.js";
import type { AgentInfo, QueuedLeg } from "../server/dispatch.js";
import type { Queued } from "../server/queue.js";
import { duration, e, page, status, when } from "./html.js";

export interface RunsQuery {
  branch?: string;
  event?: string;
  result?: string;
  actor?: string;
  workflow?: string;
  before?: number;
  limit: number;
}

const RESULTS = ["success", "failure", "cancelled", "skipped", "running"];

/** The filters of the runs list from a URL's query (unknown or empty values are ignored). */
export function runsQuery(q: URLSearchParams): RunsQuery {
  const text = (k: string) => {
    const v = q.get(k)?.trim();
    return v ? v.slice(0, 200) : undefined;
  };
  const result = text("result");
  const before = Number(q.get("before"));
  const limit = Number(q.get("limit"));
  return {
    branch: text("branch"),
    event: text("event"),
    actor: text("actor"),
    workflow: text("workflow"),
    result: result && RESULTS.includes(result) ? result : undefined,
    before: Number.isInteger(before) && before > 0 ? before : undefined,
    limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, 200) : 50,
  };
}

function href(q: RunsQuery, before?: number): string {
  const p = new URLSearchParams();
  for (const k of ["workflow", "branch", "event", "result", "actor"] as const) if (q[k]) p.set(k, q[k]);
  if (q.limit !== 50) p.set("limit", String(q.limit));
  if (before) p.set("before", String(before));
  const s = p.toString();
  return s ? `/?${s}` : "/";
}

export interface Panel {
  queued: Queued[];
  agents: AgentInfo[];
  legs: (QueuedLeg & { why: string })[];
}

/** The runs list (`rows` holds one more than a page when there is an older page) and the queue panel. */
export function runsPage(repo: string, q: RunsQuery, rows: RunRow[], panel: Panel): string {
  const more = rows.length > q.limit;
  const runs = rows.slice(0, q.limit);
  const input = (k: "workflow" | "branch" | "event" | "actor", label: string) =>
    `<label>${label} <input name="${k}" value="${e(q[k] ?? "")}"></label>`;
  const filter = `<form class="filter" method="get" action="/">${input("workflow", "workflow")}${input("branch", "branch")}${input("event", "event")}
<label>result <select name="result"><option value="">any</option>${RESULTS.map((r) => `<option${q.result === r ? " selected" : ""}>${r}</option>`).join("")}</select></label>
${input("actor", "actor")}<button>filter</button> <a href="/">clear</a></form>`;
  const table = runsTable(runs);
  const pages = `<nav class="pages">${q.before ? `<a href="${e(href(q))}">newest</a>` : ""}${more ? ` <a rel="next" href="${e(href(q, runs.at(-1)?.number))}">older →</a>` : ""}</nav>`;
  return page(
    `Slipway: ${repo}`,
    `<h1>${e(repo)}</h1>
<div class="cols"><section class="list"><h2>Runs</h2>${filter}${table}${pages}</section>
<aside>${queuePanel(panel)}</aside></div>`,
  );
}

/** Runs as a table, newest first. */
export function runsTable(runs: RunRow[]): string {
  return runs.length
    ? `<table class="runs"><thead><tr><th>run</th><th>result</th><th>workflows</th><th>event</th><th>branch</th><th>commit</th><th>actor</th><th>started</th><th>took</th></tr></thead><tbody>
${runs
  .map(
    (r) =>
      `<tr data-run="${r.number}"><td><a href="/runs/${r.number}">#${r.number}</a>${r.attemptOf ? ` <small class="attempt">attempt ${r.attempt} of <a href="/runs/${r.attemptOf}">#${r.attemptOf}</a></small>` : ""}</td><td>${status(r.result)}</td><td>${e(r.workflows.map((w) => w.replace(/^.*\//, "")).join(", "))}</td><td>${e(r.event)}</td><td>${e(r.ref.replace(/^refs\/(heads|tags)\//, ""))}</td><td><code>${e(r.sha.slice(0, 7))}</code></td><td>${e(r.actor)}</td><td>${e(when(r.startedAt))}</td><td>${e(duration(r.startedAt, r.endedAt))}</td></tr>`,
  )
  .join("\n")}
</tbody></table>`
    : "<p>No runs match.</p>";
}

function queuePanel(p: Panel): string {
  const waiting = p.queued.filter((q) => q.state === "queued" || q.state === "running");
  const runs = waiting.length
    ? `<ul>${waiting
        .map(
          (q) =>
            `<li>${status(q.state === "queued" ? "queued" : null)} ${q.run ? `<a href="/runs/${q.run}">#${q.run}</a>` : `queued ${q.id}`} ${e(q.request.event)} ${e(q.request.ref)}${q.waiting ? ` <span class="why">${e(q.waiting)}</span>` : ""}${Object.entries(
              q.jobsWaiting ?? {},
            )
              .map(([job, why]) => ` <span class="why">${e(job)}: ${e(why)}</span>`)
              .join("")}</li>`,
        )
        .join("")}</ul>`
    : "<p>Nothing waits.</p>";
  const legs = p.legs.length
    ? `<ul class="legs">${p.legs.map((l) => `<li><a href="/runs/${l.run}/jobs/${encodeURIComponent(l.assignment.key)}">#${l.run} ${e(l.assignment.name)}</a> <span class="why">${e(l.why)}</span></li>`).join("")}</ul>`
    : "<p>No job waits for an agent.</p>";
  const agents = p.agents.length
    ? `<table><tr><th>agent</th><th>labels</th><th>busy</th><th>done</th><th>seen</th></tr>${p.agents
        .map(
          (a) =>
            `<tr><td>${e(a.name)}</td><td>${e(a.labels.join(", "))}</td><td>${a.leases.size}/${a.capacity}</td><td>${a.done}</td><td>${e(when(a.lastSeen))}</td></tr>`,
        )
        .join("")}</table>`
    : "<p>No agent is registered.</p>";
  return `<h2>Queue</h2>${runs}<h2>Jobs on agents</h2>${legs}<h2>Agents</h2>${agents}`;
}
