import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { basename, join, resolve } from "node:path";
import { type Db, errorMessage } from "../db/db.js";
import { DatabaseOptionError, databaseUrl, historyWhere, openHistory } from "../db/open.js";
import { buildEvent, type TriggerEvent } from "../plan/event.js";
import { type GitFacts, loginShaped, readGit, resolveCommit } from "../plan/git.js";
import { formatDiagnostic } from "../workflow/diagnostic.js";
import { discoverWorkflows, type LoadedWorkflow, type LoadOptions, loadWorkflow } from "../workflow/load.js";
import type { Limits } from "../workflow/validate.js";
import { pairs, readDotenv } from "./dotenv.js";
import { activityTypes, knownEvents } from "./events.js";
import { maskProcessOutput } from "./output-mask.js";

/** Options shared by run and plan: which repository, workflows and event. */
export const EVENT_OPTIONS = {
  directory: { type: "string", short: "C" },
  workflows: { type: "string", short: "W" },
  job: { type: "string", short: "j" },
  ref: { type: "string" },
  sha: { type: "string" },
  base: { type: "string" },
  type: { type: "string" },
  "event-file": { type: "string", short: "e" },
  input: { type: "string", multiple: true },
  var: { type: "string", multiple: true },
  "var-file": { type: "string" },
  secret: { type: "string", multiple: true, short: "s" },
  "secret-file": { type: "string" },
  env: { type: "string", multiple: true },
  actor: { type: "string" },
  platform: { type: "string", multiple: true, short: "P" },
  bind: { type: "boolean" },
  offline: { type: "boolean" },
  approve: { type: "string", multiple: true },
  limit: { type: "string", multiple: true },
  "permissions-policy": { type: "string" },
  matrix: { type: "string", multiple: true },
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Exit codes every command shares (each HELP lists the ones it uses): 0 success, 1 the
 * workflows or findings failed, 2 bad usage, 70 a bug in Slipway, 74 an I/O error saving
 * results (EX_IOERR), 128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, internal: 70, io: 74, interrupted: 130 } as const;

/** The exit code of a run stopped by a signal: 128 + its number, as shells report it. */
export function signalExit(sig: NodeJS.Signals): number {
  return 128 + (constants.signals[sig] ?? 2);
}

export class UsageError extends Error {}

/** A file Slipway could not write (disk full, read-only, ...): exit 74 with the path. */
export class IoError extends Error {
  constructor(
    readonly path: string,
    readonly cause: Error,
    message = `cannot write ${path}: ${cause.message}`,
  ) {
    super(message);
  }
}

/** The PostgreSQL URL of `--db` or SLIPWAY_DATABASE_URL; anything else there is a usage error. */
export function historyDatabase(flag: string | undefined): string | undefined {
  try {
    return databaseUrl(flag);
  } catch (e) {
    throw e instanceof DatabaseOptionError ? new UsageError(e.message) : e;
  }
}

/**
 * The run history of `root` for reading (the PostgreSQL database of `--db` or
 * SLIPWAY_DATABASE_URL when given), undefined when nothing was recorded; closed after `read`.
 * A file that is no database, a newer schema, a read-only folder, a server that refuses or is
 * gone: the machine's state, so exit 74 via fail(), with where and why and no stack.
 */
export async function readHistory<T>(
  root: string,
  db: string | undefined,
  read: (db: Db | undefined) => Promise<T>,
): Promise<T> {
  const url = historyDatabase(db);
  const where = historyWhere(root, url);
  let opened: Db | undefined;
  try {
    opened = await openHistory(root, false, url);
  } catch (e) {
    throw new IoError(where, e as Error, `${where}: ${errorMessage(e)}`);
  }
  try {
    return await read(opened);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new IoError(where, e as Error, `${where}: ${errorMessage(e)}`);
  } finally {
    await opened?.close();
  }
}

/** The repository holding `directory` (default: the current folder); outside git, the folder itself. */
export function repoRootOf(directory: string | undefined): string {
  const cwd = resolve(directory ?? ".");
  const g = readGit(cwd);
  return g.ok ? g.facts.root : cwd;
}

/** Bad options or arguments: the message ends with where the command's options are listed. */
class ArgsError extends UsageError {}

/** parseArgs with its errors turned into usage errors (exit 2, no stack). */
export function parse<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new ArgsError((e as Error).message);
  }
}

export interface Setup {
  git: GitFacts;
  event: TriggerEvent;
  workflows: LoadedWorkflow[];
  diagnostics: string[];
  vars: Record<string, string>;
  secrets: Record<string, string>;
  inputs: Record<string, string>;
  env: Record<string, string>;
  platforms: Record<string, "host" | "skip">;
}

function must<T>(r: { ok: true; values: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new UsageError(r.error);
  return r.values;
}

/** A folder that is not a git repository can still run with --bind, at a made-up commit. */
function bareFacts(root: string): GitFacts {
  return {
    root,
    sha: "0".repeat(40),
    ref: "refs/heads/main",
    repository: `local/${basename(root)}`,
    actor: loginShaped(process.env.USER) ?? "slipway",
    defaultBranch: "main",
    commitMessage: "",
  };
}

export async function setup(values: Record<string, unknown>, positionals: string[]): Promise<Setup> {
  const v = values as Record<string, string & string[] & boolean>;
  const cwd = resolve(v.directory ?? ".");
  const g = readGit(cwd);
  if (!g.ok && !v.bind) throw new UsageError(g.error);
  const git = g.ok ? g.facts : bareFacts(cwd);
  const eventName = positionals[0] ?? "push";
  if (positionals.length > 1)
    throw new UsageError(`expected one event, got ${positionals.map((p) => `'${p}'`).join(" ")}`);
  checkEvent(eventName, v.type);
  if (v.ref !== undefined && !validRef(v.ref))
    throw new UsageError(`--ref expects a branch, a tag or refs/..., got '${v.ref}'`);
  if (v.sha !== undefined && !(g.ok && /^[0-9a-f]{40}$/.test(v.sha) && resolveCommit(git.root, v.sha)))
    throw new UsageError(`--sha expects the full hash of a commit in ${git.root}, got '${v.sha}'`);
  // As the pull request's base is looked up: the name, else the remote's branch of that name.
  const knownBase = (b: string) =>
    resolveCommit(git.root, b) ??
    resolveCommit(git.root, `refs/remotes/origin/${b.replace(/^refs\/(heads|remotes\/origin)\//, "")}`);
  if (v.base !== undefined && !(g.ok && knownBase(v.base)))
    throw new UsageError(
      g.ok
        ? `--base ${v.base}: no such branch, tag or commit in ${git.root}`
        : "--base needs a git repository",
    );
  // Taken as given (act's tests use 'nektos/act'), but a login has no spaces.
  if (v.actor !== undefined && !/^[^\s\p{C}]+$/u.test(v.actor))
    throw new UsageError(`--actor expects a GitHub login (e.g. octocat), got '${v.actor}'`);
  if (v["event-file"] !== undefined) checkPayload(v["event-file"]);
  const inputs = must(pairs(v.input, "--input"));
  const ev = buildEvent(git, {
    name: eventName,
    ref: v.ref,
    sha: v.sha,
    base: v.base,
    action: v.type,
    payloadFile: v["event-file"],
    inputs,
    actor: v.actor,
  });
  if (!ev.ok) throw new UsageError(ev.error);
  const vars = { ...(v["var-file"] ? must(readDotenv(v["var-file"])) : {}), ...named(v.var, "--var") };
  const secrets = secretValues(v);
  const env = must(pairs(v.env, "--env"));
  const platforms: Record<string, "host" | "skip"> = {};
  for (const [k, x] of Object.entries(must(pairs(v.platform, "--platform")))) {
    if (x !== "host" && x !== "skip")
      throw new UsageError(`--platform expects LABEL=host or LABEL=skip, got '${k}=${x}'`);
    platforms[k] = x;
  }
  const files = discoverWorkflows(git.root, v.workflows);
  if (files.length === 0)
    throw new UsageError(
      `no workflows found in ${v.workflows ? resolve(git.root, v.workflows) : `${git.root}/.github/workflows`}`,
    );
  // The environment carries it to every place that resolves actions, in this process and below.
  if (v.offline) process.env.SLIPWAY_OFFLINE = "1";
  const load: LoadOptions = {
    limits: limitsOf(v.limit),
    fetchMissing: true,
    onFetched: (text) => console.error(`slipway: ${text}`),
  };
  const policy = v["permissions-policy"];
  if (policy !== undefined) {
    if (policy !== "LimitedRead" && policy !== "Write")
      throw new UsageError(`--permissions-policy expects LimitedRead or Write, got '${policy}'`);
    load.permissionsPolicy = policy;
  }
  const workflows = await Promise.all(files.map((f) => loadWorkflow(f, git.root, load)));
  // A called workflow's errors come back from each caller and from its own load: said once.
  const diagnostics = [...new Set(workflows.flatMap((w) => w.diagnostics.map(formatDiagnostic)))];
  return { git, event: ev.event, workflows, diagnostics, vars, secrets, inputs, env, platforms };
}

export function newRunId(): string {
  return String(Date.now()) + String(randomBytes(2).readUInt16BE() % 1000).padStart(3, "0");
}

export function placeholderToken(): string {
  return `ghs_slipway${randomBytes(18).toString("hex")}`;
}

/** An event GitHub knows, and an activity type it has: otherwise nothing would ever trigger. */
function checkEvent(name: string, type: string | undefined): void {
  const events = knownEvents();
  if (!events.includes(name))
    throw new UsageError(`unknown event '${name}'; GitHub's events are:\n  ${wrap(events)}`);
  const types = activityTypes(name);
  if (type !== undefined && !types?.includes(type))
    throw new UsageError(
      types
        ? `--type: '${name}' has no activity type '${type}'; its types are:\n  ${wrap(types)}`
        : `--type: '${name}' has no activity types`,
    );
}

function wrap(words: string[]): string {
  const lines: string[] = [];
  for (const w of words) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + w.length < 86) lines[last] += `, ${w}`;
    else lines.push(w);
  }
  return lines.join(",\n  ");
}

/** `--event-file`: a JSON object, as GitHub's payloads are (an array or a string would be spread into nonsense). */
function checkPayload(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(
      `--event-file ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message}`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--event-file ${path}: not JSON: ${(e as Error).message}`);
  }
  if (!payload || typeof payload !== "object" || Array.isArray(payload))
    throw new UsageError(
      `--event-file ${path}: expected a JSON object (an event payload), got ${Array.isArray(payload) ? "an array" : JSON.stringify(payload)}`,
    );
}

/** git's rules for a ref name (check-ref-format), enough to refuse what no ref can be. */
function validRef(ref: string): boolean {
  return (
    ref !== "" &&
    !/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|^\/|\/$|\.lock$|\.$|(^|\/)\./.test(ref) &&
    ref !== "@"
  );
}

/** `--var`/`--secret NAME=VALUE`: names as GitHub allows them (letters, digits, '_'; no leading digit). */
/** --secret-file then --secret: values masked in this process's output from now on. */
export function secretValues(v: { secret?: string[]; "secret-file"?: string }): Record<string, string> {
  const secrets = {
    ...(v["secret-file"] ? must(readDotenv(v["secret-file"])) : {}),
    ...named(v.secret, "--secret"),
  };
  maskProcessOutput(Object.values(secrets));
  return secrets;
}

function named(list: string[] | undefined, flag: string): Record<string, string> {
  const values = must(pairs(list, flag));
  for (const k of Object.keys(values))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new UsageError(
        `${flag}: '${k}' is not a valid name (letters, digits and '_', not starting with a digit)`,
      );
  return values;
}

/** `--jobs N` and the like: a whole number from 1. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value))
    throw new UsageError(`${flag} expects a whole number from 1, got '${value}'`);
  return Number(value);
}

/** Renders errors the same way for every command: 2 for usage, 74 for I/O; others are bugs. */
export function fail(e: unknown, name?: string): number {
  const who = name ? `slipway ${name}` : "slipway";
  if (e instanceof UsageError) {
    console.error(`${who}: ${e.message}`);
    if (e instanceof ArgsError) console.error(`Run '${who} --help' for its options.`);
    return EXIT.usage;
  }
  if (e instanceof IoError) {
    console.error(`${who}: ${e.message}`);
    return EXIT.io;
  }
  // The file system refusing a write or read anywhere (disk full, read-only, permissions)
  // is the machine's state, not a bug: say which file, exit 74.
  const io = e as NodeJS.ErrnoException;
  if (io?.code && IO_CODES.has(io.code)) {
    console.error(`${who}: ${io.path ? `${io.path}: ` : ""}${io.message}`);
    return EXIT.io;
  }
  throw e;
}

const IO_CODES = new Set(["ENOSPC", "EDQUOT", "EROFS", "EIO", "EACCES", "EPERM", "EMFILE", "ENFILE"]);

/**
 * A saved run of the repository at `directory` (or above it): `which` is a run number or
 * "latest"/undefined. Usage errors say which runs exist.
 */
export function savedRun(
  directory: string | undefined,
  which: string | undefined,
): { dir: string; number: number } {
  const base = join(repoRootOf(directory), ".slipway", "runs");
  const runs = existsSync(base)
    ? readdirSync(base)
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .sort((a, b) => a - b)
    : [];
  if (runs.length === 0)
    throw new UsageError("no saved runs here yet (slipway run saves them under .slipway/runs)");
  const n = which && which !== "latest" ? Number(which) : runs[runs.length - 1]!;
  if (!runs.includes(n)) throw new UsageError(`no run ${which} (runs: ${runs.join(", ")})`);
  return { dir: join(base, String(n)), number: n };
}

/** `--limit name=N`: GitHub's workflow limits by the names its parser uses (GHES differs). */
const LIMIT_NAMES: Record<string, keyof Limits> = {
  "max-file-size": "maxFileSize",
  "max-depth": "maxDepth",
  "max-nodes": "maxNodes",
  "max-job-limit": "maxJobs",
  "max-nested-reusable-workflows-depth": "maxNestedReusableDepth",
  "max-expression-length": "maxExpressionLength",
};

function limitsOf(given: string[] | undefined): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const [k, x] of Object.entries(must(pairs(given, "--limit")))) {
    const name = LIMIT_NAMES[k];
    if (!name) throw new UsageError(`--limit: unknown limit '${k}' (${Object.keys(LIMIT_NAMES).join(", ")})`);
    out[name] = positiveInt(x, `--limit ${k}`)!;
  }
  return out;
}

/** `--matrix k=a --matrix k=b --matrix j=c`: k is a or b, and j is c. */
export function matrixFilter(pairs: string[] | undefined): Record<string, string[]> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new UsageError(`--matrix expects key=value, got '${p}'`);
    const k = p.slice(0, eq);
    out[k] = [...(out[k] ?? []), p.slice(eq + 1)];
  }
  return out;
}
