// The served repository's workflows at a commit (read from git, as the server runs a commit's
// workflows), their workflow_dispatch inputs, and the check of a dispatch's inputs as GitHub
// makes it before any run exists: unknown inputs, required ones, choice options, booleans,
// numbers, environments.
import { spawnSync } from "node:child_process";
import { parse } from "yaml";

export type InputType = "string" | "choice" | "boolean" | "number" | "environment";

export interface InputDef {
  name: string;
  type: InputType;
  description?: string;
  required: boolean;
  default?: string;
  options?: string[];
}

export interface WorkflowInfo {
  /** .github/workflows/ci.yml */
  file: string;
  /** Its `name:`, or the file's name. */
  name: string;
  /** Present when it runs on workflow_dispatch. */
  dispatch?: { inputs: InputDef[] };
  /** Names of the environments its jobs deploy to. */
  environments: string[];
  /** Why the file cannot be read (its YAML, or its inputs). */
  error?: string;
}

/** GitHub's limit on a workflow_dispatch's inputs (10 until December 2025, then 25). */
export const MAX_INPUTS = 25;

const git = (root: string, ...a: string[]) =>
  spawnSync("git", a, { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

/** Reads a commit's workflows once (a commit's files do not change). */
export class WorkflowsAt {
  private readonly cache = new Map<string, WorkflowInfo[]>();
  constructor(private readonly root: string) {}

  private readonly refs = new Map<string, { sha: string | undefined; at: number }>();

  /**
   * The commit a ref names here, or undefined. Remembered for a few seconds: a page asks for
   * it more than once, and a git process costs more than the rest of the page.
   */
  commit(ref: string, maxAgeMs = 3000): string | undefined {
    if (!/^[\w./-]+$/.test(ref) || ref.startsWith("-")) return undefined;
    const known = this.refs.get(ref);
    if (known && Date.now() - known.at < maxAgeMs) return known.sha;
    const r = git(this.root, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`);
    const sha = r.status === 0 ? r.stdout.trim() : undefined;
    if (this.refs.size > 1000) this.refs.clear();
    this.refs.set(ref, { sha, at: Date.now() });
    return sha;
  }

  at(sha: string): WorkflowInfo[] {
    let got = this.cache.get(sha);
    if (!got) {
      got = readWorkflows(this.root, sha);
      if (this.cache.size > 100) this.cache.clear();
      this.cache.set(sha, got);
    }
    return got;
  }
}

function readWorkflows(root: string, sha: string): WorkflowInfo[] {
  const list = git(root, "ls-tree", "--name-only", `${sha}:.github/workflows`);
  if (list.status !== 0) return [];
  return list.stdout
    .split("\n")
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((name) => {
      const file = `.github/workflows/${name}`;
      return workflowInfo(file, git(root, "show", `${sha}:${file}`).stdout);
    });
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** What the dashboard needs of one workflow file's text. */
export function workflowInfo(file: string, text: string): WorkflowInfo {
  const base = file.replace(/^.*\//, "");
  let doc: Record<string, unknown> | undefined;
  try {
    doc = obj(parse(text));
  } catch (e) {
    return {
      file,
      name: base,
      environments: [],
      error: `not valid YAML: ${(e as Error).message.split("\n")[0]}`,
    };
  }
  const name = typeof doc?.name === "string" && doc.name.trim() ? doc.name : base;
  const environments = new Set<string>();
  for (const job of Object.values(obj(doc?.jobs) ?? {})) {
    const env = obj(job)?.environment;
    const n = typeof env === "string" ? env : obj(env)?.name;
    if (typeof n === "string" && n && !n.includes("${{")) environments.add(n);
  }
  const info: WorkflowInfo = { file, name, environments: [...environments].sort() };
  const on = doc?.on;
  const dispatch =
    on === "workflow_dispatch" || (Array.isArray(on) && on.includes("workflow_dispatch"))
      ? {}
      : obj(on) && "workflow_dispatch" in (on as object)
        ? (obj((on as Record<string, unknown>).workflow_dispatch) ?? {})
        : undefined;
  if (!dispatch) return info;
  const inputs: InputDef[] = [];
  for (const [k, v] of Object.entries(obj(dispatch.inputs) ?? {})) {
    const d = obj(v) ?? {};
    const type = d.type === undefined ? "string" : d.type;
    if (
      type !== "string" &&
      type !== "choice" &&
      type !== "boolean" &&
      type !== "number" &&
      type !== "environment"
    )
      return {
        ...info,
        error: `input '${k}': type '${String(type)}' is not string, choice, boolean, number or environment`,
      };
    const options = Array.isArray(d.options) ? d.options.map(String) : undefined;
    if (type === "choice" && !options?.length)
      return { ...info, error: `input '${k}': a choice needs options` };
    inputs.push({
      name: k,
      type,
      required: d.required === true,
      ...(typeof d.description === "string" ? { description: d.description } : {}),
      ...(d.default !== undefined && d.default !== null ? { default: String(d.default) } : {}),
      ...(type === "choice" ? { options } : {}),
    });
  }
  if (inputs.length > MAX_INPUTS)
    return {
      ...info,
      error: `a workflow_dispatch may have at most ${MAX_INPUTS} inputs; this one has ${inputs.length}`,
    };
  return { ...info, dispatch: { inputs } };
}

export type Checked =
  | { ok: true; inputs: Record<string, string> }
  | { ok: false; errors: { input?: string; message: string }[] };

/**
 * A dispatch's inputs as GitHub checks them, all problems at once: no input the workflow does
 * not declare; a required one given (not empty); a choice among its options; a boolean true or
 * false; a number that parses; an environment the repository knows. An input not given takes
 * its default. The values are strings, as github.event.inputs holds them.
 */
export function checkInputs(defs: InputDef[], given: Map<string, string>, environments: string[]): Checked {
  const errors: { input?: string; message: string }[] = [];
  const known = new Set(defs.map((d) => d.name));
  const unknown = [...given.keys()].filter((k) => !known.has(k));
  if (unknown.length)
    errors.push({
      message: `unexpected input${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `'${k}'`).join(", ")} (the workflow declares ${defs.map((d) => d.name).join(", ") || "none"})`,
    });
  const out: Record<string, string> = {};
  for (const d of defs) {
    const raw = given.get(d.name) ?? d.default;
    const bad = (message: string) => errors.push({ input: d.name, message: `${d.name}: ${message}` });
    if (raw === undefined || raw === "") {
      if (d.required && d.type !== "boolean") bad("is required");
      else out[d.name] = d.type === "boolean" ? "false" : "";
      continue;
    }
    if (raw.length > 65_535) {
      bad("is longer than 65,535 characters");
      continue;
    }
    if (d.type === "choice" && !d.options?.includes(raw))
      bad(`'${raw}' is not one of ${d.options?.join(", ")}`);
    else if (d.type === "boolean" && raw !== "true" && raw !== "false") bad(`'${raw}' is not true or false`);
    else if (d.type === "number" && (raw.trim() === "" || !Number.isFinite(Number(raw))))
      bad(`'${raw}' is not a number`);
    else if (d.type === "environment" && !environments.includes(raw))
      bad(`'${raw}' is not an environment of this repository (${environments.join(", ") || "none"})`);
    else out[d.name] = raw;
  }
  return errors.length ? { ok: false, errors } : { ok: true, inputs: out };
}
