// The environments and approvals pages: server-rendered, no script. Their forms are plain POSTs
// (the dashboard's sign-in and CSRF wrap them); every action is also in the API.
import type { PendingApproval } from "../server/approvals.js";
import { duration, e, page, postForm, when } from "../web/html.js";
import type { EnvironmentRule } from "./config.js";
import type { Commit } from "./git.js";
import type { DeploymentRecord } from "./store.js";
import type { Incident } from "./types.js";

/** What the viewer may do on the page: the forms' CSRF token, and whether to show them. */
export interface Act {
  csrf: string;
  may: boolean;
}

const short = (sha: string) => `<code>${e(sha.slice(0, 12))}</code>`;
const envLink = (name: string) => `<a href="/environments/${e(encodeURIComponent(name))}">${e(name)}</a>`;

function deploymentStatus(d: DeploymentRecord): string {
  return `<span class="st ${e(d.status === "active" ? "success" : d.status === "failed" ? "failure" : d.status)}">${e(d.status.replace("_", " "))}</span>`;
}

function rules(r: EnvironmentRule | undefined): string {
  if (!r) return "an admin approves (no rules configured)";
  const parts: string[] = [];
  if (r.reviewers.length) parts.push(`${r.requiredApprovals} of ${e(r.reviewers.join(", "))}`);
  if (r.waitTimerMs) parts.push(`wait ${duration(0, r.waitTimerMs) || `${r.waitTimerMs / 1000}s`}`);
  if (r.branches || r.tags || r.protectedBranchesOnly)
    parts.push(
      `from ${e([...(r.protectedBranchesOnly ? ["protected branches"] : []), ...(r.branches ?? []), ...(r.tags ?? []).map((t) => `tag ${t}`)].join(", "))}`,
    );
  if (r.preventSelfReview) parts.push("no self-review");
  if (!r.adminBypass) parts.push("no admin bypass");
  if (r.autoRollback) parts.push("auto-rollback");
  return parts.join(" · ") || "none";
}

export function environmentsPage(
  envs: { name: string; rule?: EnvironmentRule; current?: DeploymentRecord; latest?: DeploymentRecord }[],
): string {
  const rows = envs
    .map(
      (
        x,
      ) => `<tr><td>${envLink(x.name)}</td><td>${x.current ? `${short(x.current.sha)} ${e(x.current.version ?? "")} <a href="/runs/${x.current.run}">#${x.current.run}</a>` : "—"}</td>
<td>${x.current ? e(when(x.current.finishedAt ?? x.current.startedAt)) : ""}</td><td>${x.latest ? deploymentStatus(x.latest) : ""}</td><td>${rules(x.rule)}</td></tr>`,
    )
    .join("\n");
  return page(
    "Environments",
    `<h1>Environments</h1><p><a href="/approvals">Deployments waiting for approval</a></p>
<table><thead><tr><th>environment</th><th>current deployment</th><th>since</th><th>latest</th><th>protection rules</th></tr></thead>
<tbody>${rows || '<tr><td colspan="5">No environment yet.</td></tr>'}</tbody></table>`,
  );
}

export function environmentPage(
  env: {
    name: string;
    rule?: EnvironmentRule;
    current?: DeploymentRecord;
    history: DeploymentRecord[];
    incidents: Incident[];
    secrets: { name: string }[];
  },
  diff?: { from: DeploymentRecord; to: DeploymentRecord; added: Commit[]; removed: Commit[] },
  /** The forms' CSRF token, when the viewer may roll back (none: no buttons). */
  act?: Act,
): string {
  const c = env.current;
  const action = `/environments/${encodeURIComponent(env.name)}/rollback`;
  const button = (inner: string) => (act?.may ? postForm(action, act.csrf, inner) : "");
  const history = env.history
    .map((d, i) => {
      const prev = env.history[i + 1];
      const canRedeploy =
        (d.status === "active" || d.status === "inactive") && d.failedAt === undefined && d.id !== c?.id;
      return `<tr id="d${d.id}"><td>${d.id}</td><td>${deploymentStatus(d)}</td><td>${e(d.kind)}${d.rollbackOf ? ` of ${d.rollbackOf}` : ""}</td>
<td>${short(d.sha)} ${e(d.version ?? "")}</td><td>${e(d.ref.replace(/^refs\/(heads|tags)\//, ""))}</td><td><a href="/runs/${d.run}">#${d.run}</a> ${e(d.job)}</td>
<td>${e(d.approvedBy.join(", "))}</td><td>${e(when(d.startedAt))}</td><td>${e(duration(d.startedAt, d.finishedAt))}</td>
<td>${d.url ? `<a href="${e(d.url)}" rel="noopener">url</a>` : ""}</td>
<td>${prev ? `<a href="?from=${prev.id}&amp;to=${d.id}">diff</a>` : ""}</td>
<td>${canRedeploy ? button(`<input type="hidden" name="to" value="${d.id}"><button>redeploy</button>`) : ""}</td></tr>`;
    })
    .join("\n");
  const incidents = env.incidents
    .map(
      (i) =>
        `<tr><td>${i.id}</td><td>${e(i.reason)}</td><td>${e(when(i.openedAt))}</td><td>${i.closedAt ? e(when(i.closedAt)) : "open"}</td></tr>`,
    )
    .join("");
  const commits = (list: Commit[]) =>
    list.map((x) => `<li>${short(x.sha)} ${e(x.subject)} — ${e(x.author)}</li>`).join("") || "<li>none</li>";
  return page(
    `${env.name} · environment`,
    `<p><a href="/environments">← environments</a></p><h1>${e(env.name)}</h1>
<p>Protection rules: ${rules(env.rule)}</p>
<h2>Current deployment</h2>
${
  c
    ? `<p>${short(c.sha)} ${e(c.version ?? "")} from ${e(c.ref)}, run <a href="/runs/${c.run}">#${c.run}</a>, since ${e(when(c.finishedAt ?? c.startedAt))}${c.url ? `, <a href="${e(c.url)}" rel="noopener">${e(c.url)}</a>` : ""}</p>
${button("<button>roll back to the previous deployment</button>")}`
    : "<p>None active.</p>"
}
${diff ? `<h2>Changes from deployment ${diff.from.id} to ${diff.to.id}</h2><h3>Added</h3><ul>${commits(diff.added)}</ul><h3>Removed</h3><ul>${commits(diff.removed)}</ul>` : ""}
<h2>History</h2>
<table><thead><tr><th>id</th><th>status</th><th>kind</th><th>commit</th><th>ref</th><th>run</th><th>approved by</th><th>started</th><th>took</th><th></th><th></th><th></th></tr></thead>
<tbody>${history || '<tr><td colspan="12">No deployment yet.</td></tr>'}</tbody></table>
${incidents ? `<h2>Incidents</h2><table><thead><tr><th>id</th><th>reason</th><th>opened</th><th>closed</th></tr></thead><tbody>${incidents}</tbody></table>` : ""}
<p>Secrets: ${env.secrets.map((s) => `<code>${e(s.name)}</code>`).join(", ") || "none"}</p>`,
  );
}

export function approvalsPage(pending: PendingApproval[], act?: Act): string {
  const rows = pending
    .map(
      (
        a,
      ) => `<tr><td>${envLink(a.environment)}</td><td><a href="/runs/${a.run}">#${a.run}</a> ${e(a.name)}</td><td>${short(a.sha)} ${e(a.ref)}</td><td>${e(a.actor)}</td>
<td>${e(a.waiting ?? "")}${a.waitUntil ? ` (until ${e(when(a.waitUntil))})` : ""}</td><td>${a.rule.given.length} of ${a.rule.required} (${e(a.rule.given.join(", ") || "none yet")}; reviewers: ${e(a.rule.reviewers.join(", "))})</td>
<td>${act?.may ? postForm(`/approvals/${a.id}`, act.csrf, `<input name="comment" placeholder="comment" maxlength="2000"> <button name="decision" value="approve">approve</button> <button name="decision" value="reject">reject</button>`) : ""}</td></tr>`,
    )
    .join("\n");
  return page(
    "Approvals",
    `<h1>Deployments waiting</h1>
<table><thead><tr><th>environment</th><th>job</th><th>commit</th><th>triggered by</th><th>waiting for</th><th>approvals</th><th></th></tr></thead>
<tbody>${rows || '<tr><td colspan="7">Nothing waits.</td></tr>'}</tbody></table>`,
  );
}
