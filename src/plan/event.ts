import { readFileSync } from "node:fs";
import type { Json } from "../expr/index.js";
import { changedPaths, type GitFacts, resolveCommit } from "./git.js";
import { pullRequestOf } from "./pull-request.js";

export interface EventOptions {
  name: string;
  /** --ref: refs/heads/x, refs/tags/v1, or a short name. */
  ref?: string;
  /** --base: base branch of a pull request, or the commit a push compares against. */
  base?: string;
  /** activity type (--type), e.g. opened, published. */
  action?: string;
  payloadFile?: string;
  inputs: Record<string, string>;
  actor?: string;
  /** --sha: run this commit under `ref` (a re-run or a rollback of an earlier commit of a branch). */
  sha?: string;
}

/** What triggered a run (push, pull_request, ...): not to be confused with run/events.ts's stream. */
export interface TriggerEvent {
  name: string;
  ref: string;
  sha: string;
  baseRef?: string;
  headRef?: string;
  action?: string;
  payload: Record<string, Json>;
  changedPaths?: string[];
  actor: string;
}

const DEFAULT_ACTION: Record<string, string> = {
  pull_request: "opened",
  pull_request_target: "opened",
  release: "published",
  issues: "opened",
  issue_comment: "created",
};

function fullRef(ref: string, root: string): string {
  if (ref.startsWith("refs/")) return ref;
  if (resolveCommit(root, `refs/tags/${ref}`) && !resolveCommit(root, `refs/heads/${ref}`))
    return `refs/tags/${ref}`;
  return `refs/heads/${ref}`;
}

export type EventResult = { ok: true; event: TriggerEvent } | { ok: false; error: string };

export function buildEvent(git: GitFacts, o: EventOptions): EventResult {
  let fromFile: Record<string, Json> = {};
  if (o.payloadFile) {
    try {
      fromFile = JSON.parse(readFileSync(o.payloadFile, "utf8")) as Record<string, Json>;
    } catch (e) {
      return { ok: false, error: `${o.payloadFile}: cannot read event payload: ${(e as Error).message}` };
    }
  }
  let ref = fullRef(o.ref ?? git.ref ?? `refs/heads/${git.defaultBranch}`, git.root);
  // A tag or branch that exists locally is run at its commit; otherwise at HEAD.
  let sha = (o.sha && resolveCommit(git.root, o.sha)) || (resolveCommit(git.root, ref) ?? git.sha);
  const [owner, name] = git.repository.split("/") as [string, string];
  const repository: Record<string, Json> = {
    full_name: git.repository,
    name,
    owner: { login: owner },
    default_branch: git.defaultBranch,
    // Whether the repository is private is not known offline; GitHub's payloads say false
    // for public repositories (an --event-file can say otherwise).
    private: false,
    visibility: "public",
  };
  const actor = o.actor ?? git.actor;
  const sender = { login: actor };
  const action = o.action ?? (typeof fromFile.action === "string" ? fromFile.action : DEFAULT_ACTION[o.name]);
  const shortRef = ref.replace(/^refs\/(heads|tags)\//, "");
  let payload: Record<string, Json> = { repository, sender };
  let baseRef: string | undefined;
  let headRef: string | undefined;
  let changed: string[] | undefined;
  switch (o.name) {
    case "push": {
      const before =
        (o.base && resolveCommit(git.root, o.base)) || resolveCommit(git.root, `${sha}~1`) || "0".repeat(40);
      changed = ref.startsWith("refs/tags/")
        ? undefined
        : changedPaths(git.root, before.startsWith("0000") ? undefined : before, sha);
      payload = {
        ...payload,
        ref,
        before,
        after: sha,
        created: false,
        deleted: false,
        forced: false,
        pusher: { name: actor },
        head_commit: { id: sha, message: git.commitMessage, author: { name: actor } },
      };
      break;
    }
    case "pull_request":
    case "pull_request_target": {
      const number = prNumber(fromFile);
      const target = o.name === "pull_request_target";
      const r = pullRequestOf(git, { base: o.base, headRef: shortRef, headSha: sha, number, target });
      if (!r.ok) return r;
      const pr = r.pr;
      baseRef = pr.baseRef;
      headRef = pr.headRef;
      changed = pr.changedPaths;
      // pull_request runs on the merge (refs/pull/N/merge); pull_request_target on the base branch.
      ref = target ? `refs/heads/${pr.baseRef}` : `refs/pull/${number}/merge`;
      sha = target ? pr.baseSha : (pr.mergeSha ?? pr.headSha);
      const [owner] = git.repository.split("/");
      payload = {
        ...payload,
        action: action ?? "opened",
        number,
        pull_request: {
          number,
          state: "open",
          title: git.commitMessage.split("\n")[0] ?? "",
          body: "",
          draft: false,
          merged: false,
          merge_commit_sha: pr.mergeSha ?? null,
          head: { label: `${owner}:${headRef}`, ref: headRef, sha: pr.headSha, repo: repository },
          base: { label: `${owner}:${baseRef}`, ref: baseRef, sha: pr.baseSha, repo: repository },
          user: sender,
        },
      };
      break;
    }
    case "workflow_dispatch":
      payload = { ...payload, ref, inputs: { ...o.inputs } };
      break;
    case "release":
      payload = {
        ...payload,
        action: action ?? "published",
        release: {
          tag_name: shortRef,
          name: shortRef,
          draft: false,
          prerelease: false,
          target_commitish: sha,
        },
      };
      break;
    default:
      if (action) payload.action = action;
  }
  payload = { ...payload, ...fromFile };
  if (o.name === "workflow_dispatch" && Object.keys(o.inputs).length) {
    payload.inputs = { ...((fromFile.inputs as Record<string, Json>) ?? {}), ...o.inputs };
  }
  return {
    ok: true,
    event: { name: o.name, ref, sha, baseRef, headRef, action, payload, changedPaths: changed, actor },
  };
}

/** The pull request number from --event-file (`number` or `pull_request.number`), else 1. */
function prNumber(fromFile: Record<string, Json>): number {
  const pr = fromFile.pull_request;
  const n = fromFile.number ?? (pr && typeof pr === "object" && !Array.isArray(pr) ? pr.number : undefined);
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 1;
}
