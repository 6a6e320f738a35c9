import type { RunRow } from "../db/reads.js";
import { e, page, postForm, status } from "./html.js";
import { runsTable } from "./runs-page.js";
import type { InputDef, WorkflowInfo } from "./workflows.js";

export const workflowHref = (file: string) => `/workflows/${encodeURIComponent(file.replace(/^.*\//, ""))}`;

/** The repository's workflows (at its default branch), each with its latest run. */
export function workflowsPage(
  repo: string,
  ref: string,
  list: { wf: WorkflowInfo; last?: RunRow }[],
): string {
  const rows = list
    .map(
      ({ wf, last }) =>
        `<tr><td><a href="${e(workflowHref(wf.file))}">${e(wf.name)}</a></td><td><code>${e(wf.file)}</code></td><td>${last ? `<a href="/runs/${last.number}">#${last.number}</a> ${status(last.result)}` : ""}</td><td>${wf.dispatch ? "manual" : ""}${wf.error ? ` <span class="bad">${e(wf.error)}</span>` : ""}</td></tr>`,
    )
    .join("");
  return page(
    `Workflows · ${repo}`,
    `<p><a href="/">${e(repo)}</a> → workflows</p><h1>Workflows</h1><p class="why">as on ${e(ref)}</p>${
      list.length
        ? `<table class="workflows"><thead><tr><th>workflow</th><th>file</th><th>latest run</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
        : "<p>No workflow in .github/workflows.</p>"
    }`,
  );
}

export interface DispatchForm {
  csrf: string;
  ref: string;
  environments: string[];
  /** The values sent before (a refused form shows them again). */
  values?: Map<string, string>;
  errors?: { input?: string; message: string }[];
}

function field(d: InputDef, f: DispatchForm): string {
  const id = `i-${d.name}`;
  const name = `i:${d.name}`;
  const v = f.values?.get(d.name) ?? d.default ?? "";
  const label = `<label for="${e(id)}">${e(d.name)}${d.required ? " *" : ""}${d.description ? ` <span class="desc">${e(d.description)}</span>` : ""}</label>`;
  const bad =
    f.errors
      ?.filter((x) => x.input === d.name)
      .map((x) => `<div class="bad">${e(x.message)}</div>`)
      .join("") ?? "";
  const req = d.required ? " required" : "";
  // A choice is always one of its options (as GitHub's form shows it); an environment may be none.
  const select = (opts: string[], none: boolean) =>
    `<select id="${e(id)}" name="${e(name)}"${req}>${none ? '<option value=""></option>' : ""}${opts.map((o) => `<option${o === v ? " selected" : ""}>${e(o)}</option>`).join("")}</select>`;
  switch (d.type) {
    case "boolean":
      return `<label><input type="checkbox" id="${e(id)}" name="${e(name)}" value="true"${v === "true" ? " checked" : ""}> ${e(d.name)}${d.description ? ` <span class="desc">${e(d.description)}</span>` : ""}</label>${bad}`;
    case "choice":
      return `${label}${select(d.options ?? [], false)}${bad}`;
    case "environment":
      return `${label}${select(f.environments, !d.required)}${bad}`;
    case "number":
      return `${label}<input type="text" inputmode="decimal" id="${e(id)}" name="${e(name)}" value="${e(v)}"${req}>${bad}`;
    default:
      return `${label}<input type="text" id="${e(id)}" name="${e(name)}" value="${e(v)}"${req}>${bad}`;
  }
}

/** One workflow: its manual-run form (for those who may run), and its latest runs. */
export function workflowPage(
  repo: string,
  wf: WorkflowInfo,
  runs: RunRow[],
  form: DispatchForm | undefined,
  notice?: string,
): string {
  const base = wf.file.replace(/^.*\//, "");
  const general = form?.errors?.filter((x) => !x.input) ?? [];
  const dispatch =
    wf.dispatch && form
      ? `<h2>Run workflow</h2>${form.errors?.length ? `<div class="error" role="alert">The run was not started: ${form.errors.length} problem(s).${general.map((g) => `<div>${e(g.message)}</div>`).join("")}</div>` : ""}${postForm(
          `${workflowHref(wf.file)}/dispatch`,
          form.csrf,
          `<label for="ref">Use workflow from</label><input type="text" id="ref" name="ref" value="${e(form.ref)}" required>${wf.dispatch.inputs.map((d) => field(d, form)).join("")}<p><button id="dispatch">Run workflow</button></p>`,
          "dispatch",
        )}`
      : wf.dispatch
        ? '<p class="why">This workflow runs on workflow_dispatch: sign in as someone who may run it to start it here.</p>'
        : "";
  return page(
    `${wf.name} · ${repo}`,
    `<p><a href="/">${e(repo)}</a> → <a href="/workflows">workflows</a> → ${e(base)}</p><h1>${e(wf.name)}</h1><p><code>${e(wf.file)}</code></p>${notice ? `<p class="notice">${notice}</p>` : ""}${wf.error ? `<p class="error">${e(wf.error)}</p>` : ""}${dispatch}<h2>Runs</h2>${runsTable(runs)}<p><a href="/?workflow=${encodeURIComponent(base)}">all runs of ${e(base)}, with filters →</a></p>`,
  );
}
