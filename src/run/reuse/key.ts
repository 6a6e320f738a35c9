// A leg's reuse key: a keyed hash of everything that can change its result, in named parts
// (kept in the history so `plan --why-run` can say which part changed). Every part is an
// HMAC with the repository's own random key, so a secret's or variable's value is never
// stored, and a short value cannot be guessed back from its hash.
import { createHmac } from "node:crypto";
import type { Json } from "../../expr/index.js";
import type { JobAssignment } from "../assignment.js";
import type { JobReuseSettings } from "./config.js";
import type { ToolPrints } from "./tools.js";
import type { RepoTree } from "./tree.js";

export interface KeyInputs {
  assignment: JobAssignment;
  /** The repository's HMAC key (.slipway/reuse-key). */
  secret: Buffer;
  tree: RepoTree;
  settings?: JobReuseSettings;
  /** The event's name and payload (github.event). */
  event: { name: string; payload: Json };
  /** Where it runs: os and arch of this machine, and Slipway's version. */
  platform: { os: string; arch: string; slipway: string };
  /** What the job's setup steps would choose from (undefined: not part of the key). */
  tools?: ToolPrints;
}

export interface ReuseKey {
  key: string;
  parts: Record<string, string>;
}

/** The parts, in the order `plan --why-run` names them. */
export const PART_NAMES = [
  "job",
  "content",
  "needs",
  "event",
  "secrets",
  "vars",
  "platform",
  "tools",
] as const;

/** Run-specific values: they differ every run and say nothing about what the job does. */
const VOLATILE_GITHUB = new Set([
  "run_id",
  "run_number",
  "run_attempt",
  "token",
  "event_path",
  "workspace",
  "sha",
  "workflow_sha",
  "event",
]);
const VOLATILE_ENV =
  /^(GITHUB_(RUN_ID|RUN_NUMBER|RUN_ATTEMPT|SHA|WORKFLOW_SHA|EVENT_PATH|WORKSPACE|TOKEN)|RUNNER_.*)$/;

/** A value already in canonical form (the job's body, serialised once for all the parts that hold it). */
class Canonical {
  constructor(readonly text: string) {}
}

/** JSON with sorted keys; token positions (`range`, numeric `file`) left out: moving a job is no change. */
export function canonical(v: unknown): string {
  if (v instanceof Canonical) return v.text;
  if (v === null || typeof v !== "object") return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter(
      (k) =>
        o[k] !== undefined &&
        !(k === "range" && Array.isArray(o[k])) &&
        !(k === "file" && typeof o[k] === "number"),
    )
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
}

const hmac = (secret: Buffer, text: string) => createHmac("sha256", secret).update(text).digest("hex");

/** The names a text reads from a context (`secrets.X`, `secrets['X']`); all of them when it reads the whole context. */
export function namesRead(text: string, context: string, all: readonly string[]): string[] {
  const found = new Set<string>();
  const re = new RegExp(
    `\\b${context}(?:\\.([A-Za-z_][A-Za-z0-9_-]*)|\\[\\s*\\\\?['"]([^'"\\\\]+)\\\\?['"]\\s*\\])?`,
    "gi",
  );
  for (const m of text.matchAll(re)) {
    const name = m[1] ?? m[2];
    if (name === undefined) return [...all].sort();
    // Context names are case-insensitive: the name as the context spells it.
    found.add(all.find((a) => a.toLowerCase() === name.toLowerCase()) ?? name);
  }
  return [...found].sort();
}

const obj = (v: Json | undefined): Record<string, Json> =>
  v && typeof v === "object" && !Array.isArray(v) ? v : {};

/** The key of a leg about to run. */
export function reuseKey(i: KeyInputs): ReuseKey {
  const a = i.assignment;
  const body = new Canonical(canonical(a.body));
  const defaults = new Canonical(canonical(a.workflowDefaults ?? null));
  const text = canonical([body, defaults]);
  const github = obj(a.contexts.github);
  const { needs, vars, github: _g, ...rest } = a.contexts;
  // A job that reads the run's own number or id does something new every run: its key says so.
  // A re-run keeps them (a new attempt of the same run), so such a job it re-runs keeps its key;
  // one that reads the attempt may do something new in each attempt.
  const readsRun = /\b(github\.run_(number|id|attempt)|GITHUB_RUN_(NUMBER|ID|ATTEMPT))\b/.test(text);
  const readsAttempt = /\b(github\.run_attempt|GITHUB_RUN_ATTEMPT)\b/.test(text);
  const job = {
    ...(readsRun
      ? {
          run: [
            github.run_id ?? null,
            github.run_number ?? null,
            ...(readsAttempt ? [github.run_attempt ?? null] : []),
          ],
        }
      : {}),
    key: a.key,
    workflow: a.workflow.file,
    name: a.name,
    body,
    steps: a.steps,
    defaults,
    github: Object.fromEntries(Object.entries(github).filter(([k]) => !VOLATILE_GITHUB.has(k))),
    contexts: rest,
    secretNames: a.secretNames,
    workflowEnv: a.workflowEnv,
    runnerEnv: Object.fromEntries(Object.entries(a.runnerEnv).filter(([k]) => !VOLATILE_ENV.test(k))),
    continueOnError: a.continueOnError,
  };
  const sha = a.prepare.sha ?? "";
  // A job that reads the commit id gets a new key with every commit, whatever it declares.
  const readsSha = /\b(github\.(workflow_)?sha|GITHUB_(WORKFLOW_)?SHA)\b/.test(text);
  const inputs = i.settings?.inputs;
  const content = {
    ...(inputs ? { inputs, files: i.tree.files(sha, inputs) } : { tree: i.tree.treeOf(sha) }),
    ...(readsSha ? { sha } : {}),
  };
  // GITHUB_TOKEN is new every run and grants the same: not part of the key.
  const secretValues = obj(a.secrets);
  const secretNames = namesRead(text, "secrets", Object.keys(secretValues)).filter(
    (n) => n !== "GITHUB_TOKEN",
  );
  const varValues = obj(vars);
  const varNames = namesRead(text, "vars", Object.keys(varValues));
  const keyed = (names: string[], values: Record<string, Json>) =>
    Object.fromEntries(names.map((n) => [n, n in values ? hmac(i.secret, canonical(values[n])) : null]));
  const event = {
    name: i.event.name,
    ...(/\bgithub\.event\b|GITHUB_EVENT_PATH|\bgithub\[\s*['"]event['"]/.test(text)
      ? { payload: i.event.payload }
      : {}),
  };
  const parts: Record<string, string> = {};
  const values: Record<(typeof PART_NAMES)[number], unknown> = {
    job,
    content,
    needs: needs ?? {},
    event,
    secrets: keyed(secretNames, secretValues),
    vars: keyed(varNames, varValues),
    platform: { ...i.platform, runsOn: a.runsOn },
    tools: i.tools?.of(body.text, a.prepare.toolCache) ?? {},
  };
  for (const name of PART_NAMES) parts[name] = hmac(i.secret, canonical(values[name]));
  return { key: hmac(i.secret, canonical(parts)), parts };
}
