// The repository's workflows as pages: the list, one workflow's runs, and its manual-run form
// (workflow_dispatch) with the inputs checked as GitHub checks them before a run is queued.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../db/db.js";
import { listRunsPage, type RunRow } from "../db/reads.js";
import { readGit } from "../plan/git.js";
import { HttpError } from "../server/http.js";
import type { RunQueue } from "../server/queue.js";
import type { Access, Viewer } from "./access.js";
import { queuedHref } from "./actions.js";
import { checkInputs, type WorkflowInfo, WorkflowsAt } from "./workflows.js";
import { type DispatchForm, workflowPage, workflowsPage } from "./workflows-page.js";

export interface WorkflowRoutesContext {
  root: string;
  repo: string;
  queue: Pick<RunQueue, "add">;
  access: Access;
  history: <T>(read: (db: Db | undefined) => Promise<T>) => Promise<T>;
  send: (res: ServerResponse, v: Viewer, path: string, status: number, html: string, t0?: number) => void;
  redirect: (res: ServerResponse, to: string) => true;
  log: (t: string) => void;
  /** Environments the server knows beyond the workflows' own. */
  environments?: () => string[];
}

export function workflowRoutes(c: WorkflowRoutesContext) {
  const { repo, access, history, send, redirect, log } = c;
  const workflows = new WorkflowsAt(c.root);

  async function get(res: ServerResponse, v: Viewer, path: string, t0: number): Promise<boolean> {
    if (path === "/workflows") {
      const ref = defaultRef();
      const sha = ref && workflows.commit(ref);
      const list = sha ? workflows.at(sha) : [];
      const withLast = await history(async (db) =>
        Promise.all(
          list.map(async (wf) => ({
            wf,
            last: db ? (await listRunsPage(db, { workflow: wf.file, limit: 1 }))[0] : undefined,
          })),
        ),
      );
      send(res, v, path, 200, workflowsPage(repo, ref ?? "(no commit)", withLast), t0);
      return true;
    }
    const wfm = /^\/workflows\/([^/]+)$/.exec(path);
    if (wfm) {
      const ref = defaultRef();
      const wf = findWorkflow(ref, decode(wfm[1]!));
      const runs = await runsOf(wf);
      send(res, v, path, 200, workflowPage(repo, wf, runs, dispatchForm(v, wf, ref ?? "")), t0);
      return true;
    }
    return false;
  }

  async function post(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const dm = /^\/workflows\/([^/]+)\/dispatch$/.exec(path);
    if (dm) {
      const { identity, fields } = await access.form(req, "run");
      const v = access.viewer(req, res);
      const refName = (fields.get("ref") ?? "").trim() || defaultRef() || "";
      const ref = fullRef(refName);
      const given = new Map<string, string>();
      for (const [k, val] of fields) if (k.startsWith("i:")) given.set(k.slice(2), val);
      let wf = findWorkflow(defaultRef(), decode(dm[1]!));
      const sha = ref && workflows.commit(ref, 0);
      const problems: { input?: string; message: string }[] = [];
      if (!ref || !sha) problems.push({ message: `there is no branch or tag '${refName}' here` });
      else {
        // The inputs are the workflow's as it is at that ref (as GitHub reads them).
        const there = workflows.at(sha).find((w) => w.file === wf.file);
        if (!there?.dispatch)
          problems.push({ message: `${wf.file} does not run on workflow_dispatch at ${refName}` });
        else wf = there;
      }
      if (wf.dispatch && !problems.length) {
        // A checkbox not ticked is not sent: it is false, not its default.
        for (const d of wf.dispatch.inputs)
          if (d.type === "boolean") given.set(d.name, given.has(d.name) ? "true" : "false");
        const checked = checkInputs(wf.dispatch.inputs, given, knownEnvironments(sha as string));
        if (checked.ok) {
          const q = await c.queue.add({
            event: "workflow_dispatch",
            ref: ref as string,
            inputs: checked.inputs,
            payload: { inputs: checked.inputs, ref, workflow: wf.file },
            workflow: wf.file,
            ...(identity && identity.name !== "local" ? { actor: identity.name } : {}),
          });
          log(`${identity?.name} started ${wf.file} on ${ref} as queued run ${q.id}`);
          return redirect(res, queuedHref(q.id));
        }
        problems.push(...checked.errors);
      }
      const form = {
        ...(dispatchForm(v, wf, refName) ?? { csrf: v.csrf, ref: refName, environments: [] }),
        values: given,
        errors: problems,
      };
      send(res, v, path, 422, workflowPage(repo, wf, await runsOf(wf), form));
      return true;
    }
    return false;
  }

  let defaultBranch: { ref: string | undefined; at: number } | undefined;
  /** The default branch (read from git at most every 10 s: it rarely changes). */
  function defaultRef(): string | undefined {
    if (!defaultBranch || Date.now() - defaultBranch.at > 10_000) {
      const g = readGit(c.root);
      defaultBranch = { ref: g.ok ? `refs/heads/${g.facts.defaultBranch}` : undefined, at: Date.now() };
    }
    return defaultBranch.ref;
  }

  /** refs/heads/NAME or refs/tags/NAME for a short name, as the repository has it. */
  function fullRef(name: string): string | undefined {
    if (name.startsWith("refs/")) return workflows.commit(name, 0) ? name : undefined;
    for (const r of [`refs/heads/${name}`, `refs/tags/${name}`]) if (workflows.commit(r, 0)) return r;
    return undefined;
  }

  function findWorkflow(ref: string | undefined, base: string): WorkflowInfo {
    const sha = ref && workflows.commit(ref);
    const wf = sha ? workflows.at(sha).find((w) => w.file.replace(/^.*\//, "") === base) : undefined;
    if (!wf) throw new HttpError(404, `no workflow ${base} on ${ref ?? "the default branch"}`);
    return wf;
  }

  function runsOf(wf: WorkflowInfo): Promise<RunRow[]> {
    return history((db) => (db ? listRunsPage(db, { workflow: wf.file, limit: 25 }) : Promise.resolve([])));
  }

  function knownEnvironments(sha: string): string[] {
    const all = new Set([...workflows.at(sha).flatMap((w) => w.environments), ...(c.environments?.() ?? [])]);
    return [...all].sort();
  }

  function dispatchForm(v: Viewer, wf: WorkflowInfo, ref: string): DispatchForm | undefined {
    if (!wf.dispatch || !v.can("run")) return undefined;
    const sha = workflows.commit(ref);
    return {
      csrf: v.csrf,
      ref: ref.replace(/^refs\/heads\//, ""),
      environments: sha ? knownEnvironments(sha) : [],
    };
  }

  return { get, post };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, "a bad %-escape in the address");
  }
}
