// POST /api/runs {event: workflow_dispatch, ref, workflow?, inputs}: checked as GitHub checks a
// dispatch before any run exists — the ref is a branch or tag here, the workflow runs on
// workflow_dispatch at that commit, and the inputs are the ones it declares (required given,
// choices among their options, booleans, numbers, environments). The dashboard's form makes the
// same check (src/web/workflows.ts checkInputs).
import { checkInputs, type WorkflowInfo, type WorkflowsAt } from "../web/workflows.js";

export type DispatchCheck =
  | { ok: true; sha: string; workflow?: string; inputs: Record<string, string> }
  | { ok: false; status: 404 | 422; errors: string[] };

const fail = (status: 404 | 422, ...errors: string[]): DispatchCheck => ({ ok: false, status, errors });

/** `ci.yml` or `.github/workflows/ci.yml` (GitHub's workflow id is the file's name). */
const named = (w: WorkflowInfo, id: string) =>
  w.file === id || w.file === `.github/workflows/${id}` || w.file.endsWith(`/${id}`);

export function checkDispatch(o: {
  workflows: WorkflowsAt;
  ref: string;
  /** Brings the served clone up to date when the ref is not in it yet (a --repo clone). */
  fetch?: () => void;
  workflow?: string;
  inputs: Record<string, string>;
  /** Environments the server knows beyond the workflows' own. */
  environments: string[];
}): DispatchCheck {
  let sha = o.workflows.commit(o.ref, 0);
  if (!sha && o.fetch) {
    o.fetch();
    sha = o.workflows.commit(o.ref, 0);
  }
  if (!sha)
    return fail(422, `there is no branch or tag '${o.ref.replace(/^refs\/(heads|tags)\//, "")}' here`);
  const all = o.workflows.at(sha);
  const given = new Map(Object.entries(o.inputs));
  const environments = [...new Set([...all.flatMap((w) => w.environments), ...o.environments])].sort();
  if (o.workflow !== undefined) {
    const wf = all.find((w) => named(w, o.workflow!));
    if (!wf) return fail(404, `no workflow '${o.workflow}' at ${o.ref}`);
    if (!wf.dispatch)
      return fail(
        422,
        `${wf.file} does not run on workflow_dispatch at ${o.ref}${wf.error ? `: ${wf.error}` : ""}`,
      );
    const c = checkInputs(wf.dispatch.inputs, given, environments);
    if (!c.ok) return fail(422, ...c.errors.map((e) => e.message));
    return { ok: true, sha, workflow: wf.file, inputs: c.inputs };
  }
  // No workflow named: every workflow on workflow_dispatch runs, and each must take the inputs.
  const runs = all.filter((w) => w.dispatch);
  if (!runs.length) return fail(422, `no workflow runs on workflow_dispatch at ${o.ref}`);
  if (runs.length === 1) {
    const c = checkInputs(runs[0]!.dispatch!.inputs, given, environments);
    if (!c.ok) return fail(422, ...c.errors.map((e) => e.message));
    return { ok: true, sha, inputs: c.inputs };
  }
  const errors = runs.flatMap((w) => {
    const c = checkInputs(w.dispatch!.inputs, given, environments);
    return c.ok ? [] : c.errors.map((e) => `${w.file}: ${e.message}`);
  });
  if (errors.length) return fail(422, ...errors);
  // Each workflow's defaults are its own: the run fills them in.
  return { ok: true, sha, inputs: o.inputs };
}
