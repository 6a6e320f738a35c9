// GitHub's "context availability" table: which contexts and special functions each workflow field
// may use. Keyed by the field's path with job ids, step indexes and map keys replaced by "*".

export interface Availability {
  contexts: ReadonlySet<string>;
  /** Status functions (always, success, failure, cancelled). */
  status: boolean;
  hashFiles: boolean;
}

const base = ["github", "inputs", "vars"];
const job = [...base, "needs", "strategy", "matrix"];
const stepCtx = [...job, "job", "runner", "env", "secrets", "steps"];

function av(contexts: string[], status = false, hashFiles = false): Availability {
  return { contexts: new Set(contexts), status, hashFiles };
}

const RUN_NAME = av(base);
const WF_ENV = av([...base, "secrets"]);
const CALL_OUTPUT = av([...base, "jobs"]);
const JOB_IF = av([...base, "needs"], true);
const JOB_STRATEGY = av([...base, "needs"]);
const JOB = av(job);
const JOB_SECRET = av([...job, "secrets"]);
const JOB_CREDENTIALS = av([...job, "secrets", "env"]);
const JOB_DEFAULTS = av([...job, "env"]);
const CONTAINER_ENV = av([...job, "job", "runner", "env", "secrets"]);
const ENV_URL = av([...job, "job", "runner", "env", "steps"]);
const JOB_OUTPUTS = av(stepCtx);
const STEP = av(stepCtx, false, true);
const STEP_IF = av(
  stepCtx.filter((c) => c !== "secrets"),
  true,
  true,
);
// Composite actions run inside a step: no secrets, and no needs of their own.
const ACTION = av(
  stepCtx.filter((c) => c !== "secrets" && c !== "needs"),
  false,
  true,
);
const ACTION_IF = av(
  stepCtx.filter((c) => c !== "secrets" && c !== "needs"),
  true,
  true,
);

/** Availability for a workflow field, or undefined where GitHub allows no expression (or we do not know). */
export function workflowAvailability(path: readonly string[]): Availability | undefined {
  const [top, a, b, c, d] = path;
  if (top === "run-name") return RUN_NAME;
  if (top === "concurrency") return RUN_NAME;
  if (top === "env") return WF_ENV;
  if (top === "on") {
    if (a === "workflow_call" && b === "inputs" && d === "default") return RUN_NAME;
    if (a === "workflow_call" && b === "outputs" && d === "value") return CALL_OUTPUT;
    return undefined;
  }
  if (top !== "jobs" || a === undefined) return undefined;
  switch (b) {
    case "if":
      return JOB_IF;
    case "strategy":
      return JOB_STRATEGY;
    case "env":
    case "secrets":
      return JOB_SECRET;
    case "defaults":
      return JOB_DEFAULTS;
    case "outputs":
      return JOB_OUTPUTS;
    case "environment":
      return c === "url" ? ENV_URL : JOB;
    case "container":
      if (c === "env") return CONTAINER_ENV;
      return c === "credentials" ? JOB_CREDENTIALS : JOB;
    case "services":
      if (d === "env") return CONTAINER_ENV;
      return d === "credentials" ? JOB_CREDENTIALS : JOB;
    case "steps":
      return d === "if" ? STEP_IF : STEP;
    case "concurrency":
    case "continue-on-error":
    case "name":
    case "runs-on":
    case "timeout-minutes":
    case "with":
      return JOB;
    default:
      return undefined;
  }
}

export function actionAvailability(path: readonly string[]): Availability {
  const [top, a, , c] = path;
  if (top === "runs" && a === "steps" && c === "if") return ACTION_IF;
  return ACTION;
}

/** Known property names of contexts with a fixed shape (lower-case; GitHub compares case-insensitively). */
export const CONTEXT_PROPS: Record<string, ReadonlySet<string>> = {
  github: new Set(
    [
      "action",
      "action_path",
      "action_ref",
      "action_repository",
      "action_status",
      "actor",
      "actor_id",
      "api_url",
      "base_ref",
      "env",
      "event",
      "event_name",
      "event_path",
      "graphql_url",
      "head_ref",
      "job",
      "job_workflow_sha",
      "output",
      "path",
      "ref",
      "ref_name",
      "ref_protected",
      "ref_type",
      "repository",
      "repository_id",
      "repository_owner",
      "repository_owner_id",
      "repositoryurl",
      "retention_days",
      "run_attempt",
      "run_id",
      "run_number",
      "secret_source",
      "server_url",
      "sha",
      "state",
      "step_summary",
      "token",
      "triggering_actor",
      "workflow",
      "workflow_ref",
      "workflow_sha",
      "workspace",
    ].map((s) => s.toLowerCase()),
  ),
  runner: new Set(["name", "os", "arch", "temp", "tool_cache", "debug", "environment", "workspace"]),
  job: new Set([
    "container",
    "services",
    "status",
    "check_run_id",
    "workflow_ref",
    "workflow_sha",
    "workflow_repository",
    "workflow_file_path",
  ]),
  strategy: new Set(["fail-fast", "job-index", "job-total", "max-parallel"]),
};

/** github.* properties whose value is a string or number: indexing into them is a type error. */
export const GITHUB_SCALARS = new Set(
  [...CONTEXT_PROPS.github!].filter((p) => p !== "event" && p !== "env" && p !== "output"),
);
