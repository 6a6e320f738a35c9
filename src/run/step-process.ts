import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { parseCommand } from "./commands.js";
import { blockedEnvName, parseEnvFile, parsePathFile } from "./env-file.js";
import type { AnnotationLevel } from "./events.js";
import { type LineCut, MAX_LINE } from "./executor/lines.js";
import type { JobState } from "./job-state.js";
import { timeoutWords } from "./timeout-words.js";

export interface ProcessStepSpec {
  argv: string[];
  cwd: string;
  /** Env of the step (job env + step env), before the runner's own variables. */
  env: Record<string, string>;
  stepIndex: number;
  /** Key under which save-state / GITHUB_STATE values are kept (the action step id). */
  stateKey?: string;
  timeoutMs?: number;
}

export interface ProcessStepResult {
  ok: boolean;
  exitCode: number;
  outputs: Record<string, string>;
  error?: string;
  timedOut: boolean;
  cancelled: boolean;
}

const FILE_VARS = [
  "GITHUB_ENV",
  "GITHUB_OUTPUT",
  "GITHUB_PATH",
  "GITHUB_STEP_SUMMARY",
  "GITHUB_STATE",
] as const;

function stateOf(job: JobState, key: string | undefined): Record<string, string> {
  const k = key ?? "";
  job.state[k] ??= {};
  return job.state[k];
}

/** The PATH a step sees: GITHUB_PATH entries first, newest first. */
export function stepPath(job: JobState, base: string | undefined): string {
  return [...job.path, base ?? process.env.PATH ?? ""].filter(Boolean).join(delimiter);
}

/**
 * Runs one process of a step and applies what it says: workflow commands on stdout and
 * the env files. Shared by `run:` steps and action steps.
 */
export async function runProcessStep(job: JobState, spec: ProcessStepSpec): Promise<ProcessStepResult> {
  const files = job.freeFileSets.pop() ?? newFileSet(job);
  const env: Record<string, string> = { ...spec.env, ...files };
  env.PATH = stepPath(job, spec.env.PATH);

  const outputs: Record<string, string> = {};
  let stopToken: string | undefined;
  let echo = false;
  const emitLine = (stream: "stdout" | "stderr" | "debug" | "info", text: string) =>
    job.emit({ type: "log", job: job.key, step: spec.stepIndex, stream, text });

  // As GitHub's runner: an error annotation, the value dropped, the step goes on.
  const refuseEnv = (message: string) => annotate(job, spec.stepIndex, "error", message, {});

  const onLine = (stream: "stdout" | "stderr", line: string, cut?: LineCut) => {
    if (cut) return emitLine(stream, cutLine(job, line, cut));
    const cmd = stream === "stdout" ? parseCommand(line) : undefined;
    if (!cmd) return emitLine(stream, line);
    if (stopToken) {
      if (cmd.name === stopToken) stopToken = undefined;
      else emitLine(stream, line);
      return;
    }
    const unsecure = env.ACTIONS_ALLOW_UNSECURE_COMMANDS === "true";
    switch (cmd.name) {
      case "add-mask":
        job.masker.add(cmd.message);
        return;
      case "group":
        return job.emit({
          type: "group",
          job: job.key,
          step: spec.stepIndex,
          title: cmd.message,
        });
      case "endgroup":
        return job.emit({ type: "group", job: job.key, step: spec.stepIndex, end: true });
      case "stop-commands":
        stopToken = cmd.message;
        return;
      case "echo":
        echo = cmd.message === "on";
        return;
      case "debug":
        if (job.verbose) emitLine("debug", cmd.message);
        return;
      case "error":
      case "warning":
      case "notice":
        return annotate(job, spec.stepIndex, cmd.name, cmd.message, cmd.props);
      case "set-output":
        outputs[cmd.props.name ?? ""] = cmd.message;
        if (echo) emitLine("info", line);
        return;
      case "save-state":
        stateOf(job, spec.stateKey)[cmd.props.name ?? ""] = cmd.message;
        return;
      case "set-env":
      case "add-path":
        if (!unsecure) {
          annotate(
            job,
            spec.stepIndex,
            "error",
            `The \`${cmd.name}\` command is disabled. Use the GITHUB_${cmd.name === "set-env" ? "ENV" : "PATH"} file instead, or set ACTIONS_ALLOW_UNSECURE_COMMANDS=true.`,
            {},
          );
          return;
        }
        if (cmd.name === "add-path") job.path.unshift(cmd.message);
        else {
          const name = cmd.props.name ?? "";
          const blocked = blockedEnvName(name);
          if (blocked) refuseEnv(`Can't update ${blocked} environment variable using ::set-env:: command.`);
          else job.env[name] = cmd.message;
        }
        return;
      default:
        return emitLine(stream, line);
    }
  };

  const ac = new AbortController();
  const onAbort = () => ac.abort();
  job.signal.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer =
    spec.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          ac.abort();
        }, spec.timeoutMs)
      : undefined;
  const res = await job.executor.spawn({
    argv: spec.argv,
    cwd: spec.cwd,
    env,
    onLine,
    signal: ac.signal,
    space: job.space,
  });
  if (timer) clearTimeout(timer);
  job.signal.removeEventListener("abort", onAbort);

  let error = res.startError;
  const apply = (name: (typeof FILE_VARS)[number], fn: (text: string) => string | undefined) => {
    let text = "";
    try {
      text = readFileSync(files[name]!, "utf8");
      if (text) truncateSync(files[name]!, 0);
    } catch {
      // The step removed it; the next step that gets this set needs it back.
      try {
        writeFileSync(files[name]!, "");
      } catch {}
      return;
    }
    if (text) error ??= fn(text);
  };
  apply("GITHUB_ENV", (t) => {
    const r = parseEnvFile(t);
    if (!r.ok) return `GITHUB_ENV: ${r.error}`;
    for (const [k, v] of r.values) {
      const blocked = blockedEnvName(k);
      if (blocked) refuseEnv(`Can't store ${blocked} output parameter using '$GITHUB_ENV' command.`);
      else job.env[k] = v;
    }
  });
  apply("GITHUB_OUTPUT", (t) => {
    const r = parseEnvFile(t);
    if (!r.ok) return `GITHUB_OUTPUT: ${r.error}`;
    for (const [k, v] of r.values) outputs[k] = v;
  });
  apply("GITHUB_STATE", (t) => {
    const r = parseEnvFile(t);
    if (!r.ok) return `GITHUB_STATE: ${r.error}`;
    const st = stateOf(job, spec.stateKey);
    for (const [k, v] of r.values) st[k] = v;
  });
  apply("GITHUB_PATH", (t) => {
    for (const p of parsePathFile(t)) job.path.unshift(p);
  });
  apply("GITHUB_STEP_SUMMARY", (t) => {
    job.summaries.push(t);
    job.emit({ type: "summary", job: job.key, step: spec.stepIndex, markdown: t });
  });
  job.freeFileSets.push(files);
  if (timedOut) error = `step timed out after ${timeoutWords((spec.timeoutMs ?? 0) / 60_000)}`;
  if (error) annotate(job, spec.stepIndex, "error", error, {});
  const cancelled = res.aborted && !timedOut;
  return {
    ok: !error && res.exitCode === 0 && !res.aborted,
    exitCode: res.exitCode,
    outputs,
    error,
    timedOut,
    cancelled,
  };
}

/**
 * A line the executor cut (too long): masked with the text after the cut in view, so a
 * secret that straddles the cut shows as *** rather than as its first characters.
 */
export function cutLine(job: Pick<JobState, "masker">, line: string, cut: LineCut): string {
  const whole = job.masker.mask(line + cut.next);
  let kept = job.masker.mask(line);
  if (!whole.startsWith(kept)) {
    let i = 0;
    while (i < kept.length && kept.charCodeAt(i) === whole.charCodeAt(i)) i++;
    kept = `${kept.slice(0, i)}***`;
  }
  return `${kept} [slipway: line longer than ${MAX_LINE / 1024 / 1024} MiB cut here; ${cut.dropped} more characters not shown]`;
}

/**
 * One file per command, existing before the step starts (@actions/core refuses a missing
 * one). Steps of a job reuse emptied sets: creating files is the slow part of a step.
 */
function newFileSet(job: JobState): Record<string, string> {
  const dir = join(job.space.control, "_runner_file_commands");
  mkdirSync(dir, { recursive: true });
  const files = Object.fromEntries(
    FILE_VARS.map((v) => [v, join(dir, `${v.slice(7).toLowerCase()}_${randomUUID()}`)]),
  );
  for (const f of Object.values(files)) writeFileSync(f, "");
  return files;
}

export function annotate(
  job: JobState,
  step: number | undefined,
  level: AnnotationLevel,
  message: string,
  props: Record<string, string>,
): void {
  const num = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : undefined);
  job.emit({
    type: "annotation",
    job: job.key,
    step,
    annotation: {
      level,
      message,
      title: props.title || undefined,
      file: props.file,
      line: num(props.line),
      col: num(props.col),
    },
  });
}
