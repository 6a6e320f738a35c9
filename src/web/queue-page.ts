import type { AgentInfo, QueuedLeg } from "../server/dispatch.js";
import type { Queued } from "../server/queue.js";
import type { Viewer } from "./access.js";
import { duration, e, page, postForm, status, when } from "./html.js";
import { jobHref } from "./run-page.js";
import { type Sample, sparkline } from "./utilisation.js";

export interface QueueView {
  queued: Queued[];
  agents: AgentInfo[];
  legs: (QueuedLeg & { why: string })[];
  samples: Sample[];
  now: number;
}

const runLink = (q: Queued) => (q.run ? `<a href="/runs/${q.run}">#${q.run}</a>` : `queued ${q.id}`);

/** The queue's own reason a run waits (its concurrency group, or its jobs'), once the queue gives one. */
function queueReason(q: Queued): string | undefined {
  const jobs = Object.entries(q.jobsWaiting ?? {}).map(([job, why]) => `${job}: ${why}`);
  const all = [q.waiting, ...jobs].filter((x): x is string => !!x);
  return all.length ? all.join("; ") : undefined;
}

/** Why a queued run has not started: the queue's own reason, else the runs ahead of it. */
function runWhy(q: Queued, all: Queued[]): string {
  const said = queueReason(q);
  if (said) return said;
  const running = all.filter((x) => x.state === "running");
  const ahead = all.filter((x) => x.state === "queued" && x.id < q.id).length;
  if (!running.length && !ahead) return "starting";
  return [
    running.length
      ? `waits for ${running.map((r) => (r.run ? `#${r.run}` : `queued ${r.id}`)).join(", ")} to finish`
      : "",
    ahead ? `${ahead} queued before it` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

/** An admin's button to remove an agent (its jobs go to other agents; what it sent stays). */
const removeButton = (viewer: Viewer, a: AgentInfo) =>
  viewer.can("run")
    ? postForm(
        `/agents/${encodeURIComponent(a.id)}/remove`,
        viewer.csrf,
        `<button class="danger" data-agent="${e(a.id)}" title="Its token stops working and it exits; the jobs it runs go to other agents; the logs it sent stay">Remove</button>`,
      )
    : "";

/** The queue and agents page: what waits and why, what runs where, how busy the agents are. */
export function queuePage(repo: string, viewer: Viewer, v: QueueView): string {
  const waiting = v.queued.filter((q) => q.state === "queued");
  const running = v.queued.filter((q) => q.state === "running");
  const names = new Map(v.agents.map((a) => [a.id, a.name]));
  const runs = `<h2>Runs</h2>${
    running.length || waiting.length
      ? `<table class="queue"><thead><tr><th>run</th><th>state</th><th>event</th><th>ref</th><th>why</th><th></th></tr></thead><tbody>${[
          ...running,
          ...waiting,
        ]
          .map(
            (q) =>
              `<tr data-queued="${q.id}"><td>${runLink(q)}</td><td>${status(q.state === "queued" ? "queued" : null)}</td><td>${e(q.request.event)}</td><td>${e(q.request.ref)}</td><td class="why">${q.state === "queued" ? e(runWhy(q, v.queued)) : q.cancelRequested ? "being cancelled" : e(queueReason(q) ?? "")}</td><td>${viewer.can("run") && !q.cancelRequested ? postForm(`/queue/${q.id}/cancel`, viewer.csrf, '<button class="danger">Cancel</button>') : ""}</td></tr>`,
          )
          .join("")}</tbody></table>`
      : "<p>No run waits or runs.</p>"
  }`;
  const legRow = (l: QueuedLeg & { why: string }) => {
    const where = l.lease ? (names.get(l.lease.agent) ?? l.lease.agent) : "";
    return `<tr><td><a href="${e(jobHref(l.run, l.assignment.key))}">#${l.run} ${e(l.assignment.name)}</a></td><td>${e(l.assignment.runsOn.join(", "))}</td><td>${status(l.state === "leased" ? null : "queued")}</td><td>${e(where)}</td><td class="why">${l.state === "waiting" ? e(l.why) : ""}</td><td>${e(duration(l.startedAt ?? l.enqueuedAt, v.now))}</td></tr>`;
  };
  const legs = `<h2>Jobs</h2>${
    v.legs.length
      ? `<table class="legs"><thead><tr><th>job</th><th>runs-on</th><th>state</th><th>agent</th><th>why it waits</th><th>for</th></tr></thead><tbody>${v.legs.map(legRow).join("")}</tbody></table>`
      : "<p>No job waits for or runs on an agent.</p>"
  }`;
  const agents = `<h2>Agents</h2>${sparkline(v.samples)}${
    v.agents.length
      ? `<table class="agents"><thead><tr><th>agent</th><th>labels</th><th>busy</th><th>running</th><th>done</th><th>last seen</th><th></th></tr></thead><tbody>${v.agents
          .map((a) => {
            const on = v.legs.filter((l) => l.lease?.agent === a.id);
            return `<tr><td>${e(a.name)}${a.sandbox ? "" : ' <span class="why">(no sandbox)</span>'}</td><td>${e(a.labels.join(", "))}</td><td>${a.leases.size}/${a.capacity}</td><td>${on.map((l) => `<a href="${e(jobHref(l.run, l.assignment.key))}">#${l.run} ${e(l.assignment.name)}</a>`).join(", ")}</td><td>${a.done}</td><td>${e(when(a.lastSeen))}</td><td>${removeButton(viewer, a)}</td></tr>`;
          })
          .join("")}</tbody></table>`
      : "<p>No agent is registered.</p>"
  }`;
  return page(`Queue · ${repo}`, `<h1>Queue and agents</h1>${runs}${legs}${agents}`);
}

/** A queued run's page while it has no run number yet (it refreshes itself each second). */
export function queuedPage(q: Queued): string {
  const going = q.state === "queued" || q.state === "running";
  const msg = q.message?.length ? `<pre class="msg">${e(q.message.join("\n"))}</pre>` : "";
  return page(
    `queued ${q.id}`,
    `<h1>Queued run ${q.id} ${status(q.state === "queued" ? "queued" : q.state === "running" ? null : q.state === "cancelled" ? "cancelled" : "skipped")}</h1>
<p>${e(q.request.event)} on ${e(q.request.ref)}${q.rerunOf ? ` · re-runs queued run ${q.rerunOf}` : ""}${going ? " · this page follows it until its run starts" : q.run ? ` · <a href="/runs/${q.run}">run #${q.run}</a>` : " · no run came of it"}</p>${msg}<p><a href="/queue">queue</a></p>`,
    false,
    going ? 1 : undefined,
  );
}
