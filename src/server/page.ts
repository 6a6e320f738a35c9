import type { RunRow } from "../db/reads.js";
import type { Queued } from "./queue.js";

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

function when(ms: number | null): string {
  return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "";
}

/** The runs page: the queue, then the recorded runs, newest first (server-rendered, no script). */
export function runsPage(repo: string, queued: Queued[], runs: RunRow[]): string {
  const e = escapeHtml;
  const waiting = queued
    .filter((q) => q.state === "queued" || q.state === "running")
    .map((q) => `<li>${e(q.state)}: ${e(q.request.event)} ${e(q.request.ref)}</li>`)
    .join("");
  const rows = runs
    .map(
      (r) =>
        `<tr><td><a href="/api/runs/${r.number}">#${r.number}</a></td><td class="${e(r.result ?? "running")}">${e(r.result ?? "running")}</td><td>${e(r.event)}</td><td>${e(r.ref)}</td><td><code>${e(r.sha.slice(0, 7))}</code></td><td>${e(when(r.startedAt))}</td><td>${e(when(r.endedAt))}</td><td><a href="/api/runs/${r.number}/events">events</a></td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="10"><title>Slipway: ${e(repo)}</title>
<style>body{font-family:sans-serif}td{padding:2px 8px}.success{color:green}.failure{color:#b00}.cancelled{color:#888}</style>
</head><body><h1>Slipway: ${e(repo)}</h1>
${waiting ? `<h2>Queue</h2><ul>${waiting}</ul>` : ""}
<h2>Runs</h2>
${runs.length ? `<table><tr><th>run</th><th>result</th><th>event</th><th>ref</th><th>sha</th><th>started</th><th>ended</th><th></th></tr>\n${rows}</table>` : "<p>No runs yet.</p>"}
</body></html>
`;
}
