// The dashboard's one style sheet and one script, served from /web/ (the CSP allows no inline
// ones). Plain CSS and a few lines of browser JavaScript: no build step, nothing to bundle.

export const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328}
header{background:#24292f;padding:8px 16px;display:flex;gap:16px;align-items:center}header a{color:#fff;font-weight:600;text-decoration:none}
header nav{display:flex;gap:12px;flex:1}header nav a{font-weight:400}header .me{color:#d0d7de;display:flex;gap:8px;align-items:center}
header form{margin:0}header button{background:none;border:1px solid #57606a;color:#fff;border-radius:4px;cursor:pointer}
form.act{display:inline-block;margin:0 8px 8px 0}form.act button{padding:4px 12px;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;cursor:pointer}
form.act button.danger{color:#cf222e}.notice{padding:8px 12px;border-radius:6px;background:#ddf4ff;margin:8px 0}.error{padding:8px 12px;border-radius:6px;background:#ffebe9;margin:8px 0}
.dispatch label{display:block;margin:8px 0 2px;font-weight:600}.dispatch .desc{color:#6e7781;font-weight:400}.dispatch input[type=text],.dispatch select{min-width:16em}
.dispatch .bad{color:#cf222e}.signin{max-width:28em}.signin input{display:block;margin:4px 0 12px;min-width:20em}.spark{margin:8px 0}.spark figcaption{color:#6e7781;font-size:12px}
main{padding:8px 16px}a{color:#0969da}table{border-collapse:collapse}td,th{padding:3px 8px;text-align:left;border-bottom:1px solid #eee}
.cols{display:flex;gap:24px;flex-wrap:wrap}.list{flex:3;min-width:480px}aside{flex:1;min-width:260px}
.filter label{margin-right:8px}.filter input{width:8em}.pages{margin:8px 0}
.st{font-weight:600;padding:0 4px;border-radius:3px}.st.success{color:#1a7f37}.st.failure{color:#cf222e}.st.cancelled,.st.skipped{color:#6e7781}.st.running,.st.queued{color:#9a6700}
.why{color:#6e7781}.trigger dt{float:left;width:7em;color:#6e7781}.trigger dd{margin-left:7em}
.graph{display:flex;align-items:flex-start;gap:8px;margin:8px 0 16px;overflow-x:auto}.stage{display:flex;flex-direction:column;gap:8px}
.stage h3{margin:0;font-size:12px;color:#6e7781}.box{border:1px solid #d0d7de;border-radius:6px;padding:6px 10px;min-width:160px}
.box ul{margin:4px 0 0;padding-left:16px}.needs{font-size:12px;color:#6e7781}.arrow{align-self:center;color:#6e7781}
.log{background:#0d1117;color:#e6edf3;font:12px/1.5 ui-monospace,monospace;padding:8px 0;border-radius:6px;overflow-x:auto}
.log .l{display:flex;white-space:pre-wrap;padding:0 8px 0 0}.log .t{flex:1;min-width:0;overflow-wrap:anywhere}.log .n{flex:none}
.log .ts{display:none;flex:none;color:#6e7781;margin-right:12px}.log.times .ts{display:inline}.log .l.miss{display:none}.log mark{background:#bb800966;color:inherit}
.tools{margin:8px 0}.log .l:target{background:#2d333b}.log .n{display:inline-block;width:4em;text-align:right;margin-right:12px;color:#6e7781;text-decoration:none;user-select:none}
.log details>summary{cursor:pointer;padding-left:4.6em;color:#d2a8ff}.log details{margin:0}
.log .step{color:#79c0ff;font-weight:600}.log .stderr{color:#ffa198}.log .debug{color:#8b949e}.log .end{color:#8b949e}
.log .ann.error{background:#3d1418}.log .ann.warning{background:#3b2e0a}.log .ann.notice{background:#0c2d4a}
.lvl.error{color:#cf222e}.lvl.warning{color:#9a6700}.lvl.notice{color:#0969da}
.summary{border:1px solid #d0d7de;border-radius:6px;padding:4px 16px;margin-bottom:8px}
.ab{font-weight:700}.ai{font-style:italic}.au{text-decoration:underline}
.f0{color:#484f58}.f1{color:#ff7b72}.f2{color:#3fb950}.f3{color:#d29922}.f4{color:#58a6ff}.f5{color:#bc8cff}.f6{color:#39c5cf}.f7{color:#b1bac4}
.f8{color:#6e7681}.f9{color:#ffa198}.f10{color:#56d364}.f11{color:#e3b341}.f12{color:#79c0ff}.f13{color:#d2a8ff}.f14{color:#56d4dd}.f15{color:#fff}
.b0{background:#484f58}.b1{background:#ff7b72}.b2{background:#3fb950}.b3{background:#d29922}.b4{background:#58a6ff}.b5{background:#bc8cff}.b6{background:#39c5cf}.b7{background:#b1bac4}
.b8{background:#6e7681}.b9{background:#ffa198}.b10{background:#56d364}.b11{background:#e3b341}.b12{background:#79c0ff}.b13{background:#d2a8ff}.b14{background:#56d4dd}.b15{background:#fff}
`;

/**
 * Live parts: the run page follows /api/runs/N/events (an EventSource, from the seq the page
 * was rendered at) and sets each job's status as it starts and ends, and the run's at its end;
 * the job page appends the job's log lines. Text goes in with textContent, never as HTML.
 */
export const LIVE_JS = `"use strict";
(() => {
  const root = document.getElementById("run") || document.getElementById("job");
  if (!root) return;
  const logEl = document.getElementById("log");
  const search = document.getElementById("log-search");
  if (logEl && search) {
    // Search: lines without the text are hidden, folds holding a match are opened.
    search.addEventListener("input", () => {
      const q = search.value.toLowerCase();
      let found = 0;
      for (const l of logEl.querySelectorAll(".l")) {
        const hit = !q || l.querySelector(".t").textContent.toLowerCase().includes(q);
        l.classList.toggle("miss", !hit);
        if (hit && q) {
          found++;
          const d = l.closest("details");
          if (d) d.open = true;
        }
      }
      document.getElementById("log-found").textContent = q ? found + " line(s)" : "";
    });
    const times = document.getElementById("log-times");
    times.addEventListener("change", () => logEl.classList.toggle("times", times.checked));
  }
  if (root.dataset.live === undefined) return;
  const es = new EventSource("/api/runs/" + root.dataset.run + "/events?after=" + root.dataset.live);
  const setStatus = (el, result) => {
    const s = document.createElement("span");
    s.className = "st " + result;
    s.textContent = result;
    el.replaceChildren(s);
  };
  const took = (ms) => {
    const s = Math.round(ms / 1000);
    return s < 60 ? s + "s" : Math.floor(s / 60) + "m " + (s % 60) + "s";
  };
  const of = (job) => document.querySelectorAll('[data-job="' + CSS.escape(job) + '"]');
  const on = (type, f) => es.addEventListener(type, (ev) => f(JSON.parse(ev.data)));
  on("job-start", (d) => {
    for (const row of of(d.job)) for (const el of row.querySelectorAll(".js")) setStatus(el, "running");
  });
  const jobEnd = (d) => {
    for (const row of of(d.job)) {
      for (const el of row.querySelectorAll(".js")) setStatus(el, d.result);
      if (d.durationMs !== undefined) for (const el of row.querySelectorAll(".dur")) el.textContent = took(d.durationMs);
    }
    if (root.id === "job" && d.job === root.dataset.job) setStatus(document.getElementById("job-status"), d.result);
  };
  const runEnd = (d) => {
    // The cancel button is for a run that goes on; re-runs show when the page is loaded again.
    const cancel = document.getElementById("cancel");
    if (cancel) cancel.closest("form").remove();
    const s = document.getElementById("run-status");
    if (s) setStatus(s, d.result);
    const t = document.getElementById("run-took");
    if (t && d.durationMs !== undefined) t.textContent = took(d.durationMs);
    es.close();
    root.dataset.ended = d.result;
  };
  on("job-end", jobEnd);
  on("run-end", runEnd);
  // The stream closed without the run's end (a run stopped by a signal may not write it): the
  // run as recorded says how it ended.
  es.addEventListener("error", () => {
    if (root.dataset.ended) return;
    fetch("/api/runs/" + root.dataset.run)
      .then((r) => (r.ok ? r.json() : null))
      .then((run) => {
        if (!run || !run.result || root.dataset.ended) return;
        for (const j of run.jobs) if (j.result) jobEnd({ job: j.key, result: j.result });
        runEnd({ result: run.result, durationMs: run.endedAt ? run.endedAt - run.startedAt : undefined });
      })
      .catch(() => {});
  });
  if (root.id !== "job") return;
  const log = document.getElementById("log");
  let n = log.querySelectorAll(".l").length;
  let group = null;
  const line = (text, cls) => {
    n++;
    const div = document.createElement("div");
    div.className = "l " + cls;
    div.id = "L" + n;
    const a = document.createElement("a");
    a.className = "n";
    a.href = "#L" + n;
    a.textContent = String(n);
    const t = document.createElement("span");
    t.className = "t";
    t.textContent = text.replace(/\\x1b\\[[0-9;]*[A-Za-z]/g, "");
    div.append(a, t);
    (group || log).append(div);
  };
  const mine = (f) => (d) => d.job === root.dataset.job && f(d);
  on("group", mine((d) => {
    if (d.end) { group = null; return; }
    const det = document.createElement("details");
    det.open = true;
    const sum = document.createElement("summary");
    sum.textContent = d.title || "";
    det.append(sum);
    log.append(det);
    group = det;
  }));
  on("log", mine((d) => line(d.text, d.stream)));
  on("step-start", mine((d) => line("##[step] " + d.name, "step")));
  on("step-end", mine((d) => { group = null; line("##[step-end] " + d.name + ": " + d.conclusion, "end"); }));
  on("annotation", mine((d) => line("##[" + d.annotation.level + "] " + d.annotation.message, "ann " + d.annotation.level)));
  on("job-end", mine((d) => { group = null; line("##[job-end] " + d.result, "end"); es.close(); root.dataset.ended = d.result; }));
})();
`;
