import { basename } from "node:path";
import type { Json } from "../expr/index.js";
import type { LoadedWorkflow } from "../workflow/load.js";
import type { TriggerEvent } from "./event.js";
import type { GitFacts } from "./git.js";

export interface RunIds {
  runId: string;
  runNumber: number;
  eventPath: string;
  /**
   * A re-run: the run it is a new attempt of, as GitHub sees it (its first attempt's run id
   * and number) and this attempt. Undefined: attempt 1, the run's own id and number.
   */
  attempt?: RunAttempt;
}

export interface RunAttempt {
  runId: string;
  runNumber: number;
  attempt: number;
}

/** The `github` context of a workflow run, as GitHub fills it. */
export function githubContext(
  git: GitFacts,
  ev: TriggerEvent,
  wf: LoadedWorkflow,
  ids: RunIds,
  token: string,
): Record<string, Json> {
  const [owner] = git.repository.split("/");
  const refType = ev.ref.startsWith("refs/tags/") ? "tag" : "branch";
  // refs/pull/N/merge → N/merge, as GitHub names a pull request's merge ref.
  const refName = ev.ref.replace(/^refs\/(heads|tags|pull)\//, "");
  const workflowRef = `${git.repository}/${wf.file}@${ev.ref}`;
  return {
    action: "",
    action_path: "",
    action_ref: "",
    action_repository: "",
    actor: ev.actor,
    actor_id: "0",
    api_url: "https://api.github.com",
    base_ref: ev.baseRef ?? "",
    event: ev.payload,
    event_name: ev.name,
    event_path: ids.eventPath,
    graphql_url: "https://api.github.com/graphql",
    head_ref: ev.headRef ?? "",
    job: "",
    ref: ev.ref,
    ref_name: refName,
    ref_protected: false,
    ref_type: refType,
    repository: git.repository,
    repository_id: "0",
    repository_owner: owner ?? "",
    repository_owner_id: "0",
    repositoryUrl: `git://github.com/${git.repository}.git`,
    retention_days: "90",
    run_id: ids.attempt?.runId ?? ids.runId,
    run_number: String(ids.attempt?.runNumber ?? ids.runNumber),
    run_attempt: String(ids.attempt?.attempt ?? 1),
    secret_source: "Actions",
    server_url: "https://github.com",
    sha: ev.sha,
    token,
    triggering_actor: ev.actor,
    workflow: wf.name,
    workflow_ref: workflowRef,
    workflow_sha: ev.sha,
    workspace: git.root,
  };
}

/** GitHub's default environment variables that do not depend on the job. */
export function runnerEnv(github: Record<string, Json>, wf: LoadedWorkflow): Record<string, string> {
  const s = (k: string) => String(github[k] ?? "");
  return {
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_ACTOR: s("actor"),
    GITHUB_ACTOR_ID: s("actor_id"),
    GITHUB_API_URL: s("api_url"),
    GITHUB_BASE_REF: s("base_ref"),
    GITHUB_EVENT_NAME: s("event_name"),
    GITHUB_EVENT_PATH: s("event_path"),
    GITHUB_GRAPHQL_URL: s("graphql_url"),
    GITHUB_HEAD_REF: s("head_ref"),
    GITHUB_REF: s("ref"),
    GITHUB_REF_NAME: s("ref_name"),
    GITHUB_REF_PROTECTED: "false",
    GITHUB_REF_TYPE: s("ref_type"),
    GITHUB_REPOSITORY: s("repository"),
    GITHUB_REPOSITORY_ID: s("repository_id"),
    GITHUB_REPOSITORY_OWNER: s("repository_owner"),
    GITHUB_REPOSITORY_OWNER_ID: s("repository_owner_id"),
    GITHUB_RETENTION_DAYS: s("retention_days"),
    GITHUB_RUN_ATTEMPT: s("run_attempt"),
    GITHUB_RUN_ID: s("run_id"),
    GITHUB_RUN_NUMBER: s("run_number"),
    GITHUB_SERVER_URL: s("server_url"),
    GITHUB_SHA: s("sha"),
    GITHUB_TRIGGERING_ACTOR: s("triggering_actor"),
    GITHUB_WORKFLOW: s("workflow"),
    GITHUB_WORKFLOW_REF: s("workflow_ref"),
    GITHUB_WORKFLOW_SHA: s("workflow_sha"),
    RUNNER_OS: process.platform === "darwin" ? "macOS" : "Linux",
    RUNNER_ARCH: process.arch === "arm64" ? "ARM64" : "X64",
    RUNNER_ENVIRONMENT: "self-hosted",
    SLIPWAY: "true",
    SLIPWAY_WORKFLOW_FILE: basename(wf.file),
  };
}
