import type { JobRow, RunRow } from "../db/reads.js";
import { ansiToHtml } from "./ansi.js";
import { duration, e, page, status, when } from "./html.js";
import type { JobLog } from "./job-log.js";
import { markdownToHtml } from "./markdown.js";
import { jobHref } from "./run-page.js";

export const artifactHref = (run: number, name: string) =>
  `/runs/${run}/artifacts/${encodeURIComponent(name)}/`;

function logHtml(log: JobLog): string {
  let out = "";
  for (const it of log.items) {
    if (it.kind === "open") out += `<details open><summary>${ansiToHtml(it.title)}</summary>`;
    else if (it.kind === "close") out += "</details>";
    else
      out += `<div class="l ${e(it.cls)}" id="L${it.n}"><a class="n" href="#L${it.n}">${it.n}</a>${it.time ? `<span class="ts">${e(new Date(it.time).toISOString().slice(11, 23))}</span>` : ""}<span class="t">${ansiToHtml(it.text)}</span></div>`;
  }
  return `<div class="log" id="log">${out}</div>`;
}

function size(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1024 ** 2).toFixed(1)} MB`;
}

export function jobPage(repo: string, run: RunRow, recorded: JobRow, log: JobLog, running: boolean): string {
  const n = run.number;
  // The log's file may have the job's end before the database does (see JobLog.ended).
  const job = recorded.result === null && log.ended ? { ...recorded, result: log.ended } : recorded;
  const live = running && job.result === null;
  const steps = job.steps.length
    ? `<ol class="steps">${job.steps.map((s) => `<li>${e(s.name)} ${status(s.conclusion ?? (s.endedAt ? "success" : null))} ${e(duration(s.startedAt, s.endedAt))}</li>`).join("")}</ol>`
    : "";
  const annotations = job.annotations.length
    ? `<h2>Annotations</h2><ul class="annotations">${job.annotations
        .map((a, i) => {
          const line = log.annotationLines[i];
          const at = a.file ? `${a.file}${a.line ? `:${a.line}` : ""}` : "";
          const text = `<span class="lvl ${e(a.level)}">${e(a.level)}</span> ${a.title ? `<strong>${e(a.title)}</strong> ` : ""}${e(a.message)}${at ? ` <code>${e(at)}</code>` : ""}`;
          return `<li>${line ? `<a href="#L${line}">${text}</a>` : text}</li>`;
        })
        .join("")}</ul>`
    : "";
  const summaries = job.summaries.length
    ? `<h2>Summary</h2>${job.summaries.map((s) => `<section class="summary">${markdownToHtml(s.markdown)}</section>`).join("")}`
    : "";
  const artifacts = job.artifacts.length
    ? `<h2>Artifacts</h2><ul>${job.artifacts.map((a) => `<li><a href="${e(artifactHref(n, a.name))}">${e(a.name)}</a> ${a.files} file(s), ${e(size(a.size))}</li>`).join("")}</ul>`
    : "";
  const failed = job.tests.filter((t) => t.outcome === "failed" || t.outcome === "error");
  const tests = job.tests.length
    ? `<h2>Tests</h2><p>${job.tests.length} test(s): ${job.tests.filter((t) => t.outcome === "passed").length} passed, ${failed.length} failed, ${job.tests.filter((t) => t.outcome === "skipped").length} skipped</p>${
        failed.length
          ? `<table class="tests"><tr><th>suite</th><th>test</th><th>where</th><th>message</th></tr>${failed
              .map(
                (t) =>
                  `<tr><td>${e(t.suite)}</td><td>${e(t.name)}</td><td>${e(t.file ? `${t.file}${t.line ? `:${t.line}` : ""}` : "")}</td><td><pre>${e(t.message ?? "")}</pre></td></tr>`,
              )
              .join("")}</table>`
          : ""
      }`
    : "";
  const lines = job.coverage.reduce((s, c) => s + c.lines, 0);
  const hit = job.coverage.reduce((s, c) => s + c.hit, 0);
  const coverage = job.coverage.length
    ? `<h2>Coverage</h2><p>${lines ? ((100 * hit) / lines).toFixed(1) : "0.0"}% of ${lines} line(s)</p><details><summary>${job.coverage.length} file(s)</summary><table>${job.coverage
        .map(
          (c) =>
            `<tr><td>${e(c.path)}</td><td>${c.lines ? ((100 * c.hit) / c.lines).toFixed(1) : "0.0"}%</td><td>${c.hit}/${c.lines}</td></tr>`,
        )
        .join("")}</table></details>`
    : "";
  return page(
    `${job.name} · #${n} · ${repo}`,
    `<div id="job" data-run="${n}" data-job="${e(job.key)}"${live ? ` data-live="${log.lastSeq}"` : ""}>
<p><a href="/runs/${n}">← run #${n}</a></p>
<h1>${e(job.name)} <span id="job-status">${status(job.result)}</span></h1>
<p>started ${e(when(job.startedAt))} · took ${e(duration(job.startedAt, job.endedAt))}${job.runner ? ` · on ${e(job.runner.name)} (${e(job.runner.executor)})` : ""}${job.reason ? ` · ${e(job.reason)}` : ""}</p>
${steps}${annotations}${summaries}${artifacts}${tests}${coverage}
<h2>Log</h2><p><a href="${e(jobHref(n, job.key))}/log.txt">raw log</a>${log.truncated ? " · the log is longer than shown: the raw log has all of it" : ""}</p>
<div class="tools"><input type="search" id="log-search" placeholder="search the log" aria-label="search the log"> <span id="log-found"></span> <label><input type="checkbox" id="log-times"> times (UTC)</label></div>
${logHtml(log)}</div>`,
    true,
  );
}
