import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, homedir, hostname, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Recorder } from "../db/recorder.js";
import { buildRunPlan, triggerOf } from "../plan/build.js";
import { type Selection, selectWorkflows } from "../plan/plan.js";
import type { RunPlan } from "../plan/run-plan.js";
import { PlainReporter } from "../report/console.js";
import { JUnitReport } from "../report/junit.js";
import { LiveReporter } from "../report/live.js";
import { RunFolder } from "../report/run-folder.js";
import { listApprover } from "../run/approval.js";
import { eventGate } from "../run/event-gate.js";
import type { JobResult, StampedEvent } from "../run/events.js";
import { chooseExecutor, type ExecutorChoice } from "../run/executor/sandbox-choice.js";
import type { Executor } from "../run/executor/types.js";
import { Masker } from "../run/mask.js";
import { runPlan } from "../run/scheduler.js";
import { isMissingCallee } from "../workflow/load.js";
import {
  EVENT_OPTIONS,
  EXIT,
  fail,
  historyDatabase,
  IoError,
  matrixFilter,
  newRunId,
  parse,
  placeholderToken,
  positiveInt,
  type Setup,
  setup,
  signalExit,
  UsageError,
} from "./common.js";
import { terminalReviewer } from "./reviewer.js";
import { onlyJob } from "./select-job.js";

const HELP = `usage: slipway run [event] [options]

Runs the workflows that an event triggers, on this machine. event: push (default),
pull_request, pull_request_target, workflow_dispatch, workflow_call, schedule, release, ...

  -C, --directory DIR      repository (default: .)
  -W, --workflows PATH     workflow file or folder (default: .github/workflows)
  -j, --job ID             run only this job (and the jobs it needs)
      --ref REF            refs/heads/x or refs/tags/v1.2.3 (default: current branch)
      --base REF           pull_request base branch / push 'before' commit
      --type TYPE          activity type (opened, published, ...)
  -e, --event-file FILE    event payload JSON
      --input K=V          workflow_dispatch input (repeatable)
      --var K=V, --var-file FILE        vars context
  -s, --secret K=V, --secret-file FILE  secrets (masked in all output)
      --env K=V            extra workflow env
      --actor LOGIN        github.actor (default: the owner in the remote URL, else $USER)
  -P, --platform L=host|skip   where a runs-on label runs
      --bind               run in the working tree instead of a clean checkout
      --offline            never fetch a remote action or reusable workflow missing from the
                           action store (default: fetch it from GitHub or $SLIPWAY_GITHUB_URL)
      --approve NAME       run jobs that deploy to environment NAME ('*': all); others are skipped
      --limit NAME=N       a GitHub limit as your server sets it, e.g. max-nested-reusable-workflows-depth=4
                           for GHES (also max-depth, max-file-size, max-job-limit, max-expression-length)
      --permissions-policy LimitedRead|Write   the repository's default GITHUB_TOKEN permissions
      --matrix K=V         run only the matrix legs with K=V (repeatable: values of one key are
                           alternatives, different keys must all match)
      --sandbox            run each job in a throw-away layer over this machine (default where
                           it works); --no-sandbox / --host: run on the host as it is
                           (SLIPWAY_SANDBOX=1 / 0 in the environment does the same)
      --network host|none  none: jobs get only their own loopback (needs the sandbox)
      --jobs N             jobs in parallel (default: cores)
      --json               print the result as JSON
      --junit FILE         also write the jobs as JUnit XML (one test case per job)
  -v, --verbose            show ::debug:: lines

The run is recorded in the run history (.slipway/slipway.db, shown by 'slipway history'), or
in the PostgreSQL database of --db postgres://... (or SLIPWAY_DATABASE_URL); SLIPWAY_HISTORY=0
in the environment turns recording off.

Exit codes: 0 the run succeeded (or all its jobs were skipped, or nothing was triggered),
1 it failed or was cancelled, 2 usage error, 74 the run could not be saved (disk full, ...;
the result is still printed), 130 stopped by Ctrl-C (143 by SIGTERM, 129 by SIGHUP); a second
Ctrl-C stops at once.`;

function xdgCache(): string {
  return process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
}

export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(() =>
      parseArgs({
        args,
        options: {
          ...EVENT_OPTIONS,
          jobs: { type: "string" },
          junit: { type: "string" },
          sandbox: { type: "boolean" },
          "no-sandbox": { type: "boolean" },
          host: { type: "boolean" },
          network: { type: "string" },
          db: { type: "string" },
        },
        allowPositionals: true,
      }),
    );
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    const maxJobs = positiveInt(values.jobs, "--jobs") ?? availableParallelism();
    const matrix = matrixFilter(values.matrix);
    historyDatabase(values.db);
    const s = await setup(values, positionals);
    const json = !!values.json;
    const log = json
      ? (t: string) => process.stderr.write(`${t}\n`)
      : (t: string) => process.stdout.write(`${t}\n`);
    for (const d of s.diagnostics) console.error(d);
    const runId = newRunId();
    const token = placeholderToken();
    // The run folder is made only once something runs; its number is in the contexts, so
    // a number another run took meanwhile means selecting again with the next one.
    let runNumber = RunFolder.peek(s.git.root);
    // Sandbox or host: decided once, before a run folder is made (a --sandbox that cannot
    // work here is an error, not an empty run).
    let choice: Extract<ExecutorChoice, { ok: true }> | undefined;
    for (;;) {
      const folderDir = join(s.git.root, ".slipway", "runs", String(runNumber));
      const eventPath = join(folderDir, "event.json");
      const sel = selectWorkflows(s.workflows, {
        git: s.git,
        event: s.event,
        ids: { runId, runNumber, eventPath },
        inputs: s.inputs,
        vars: s.vars,
        secrets: s.secrets,
        token,
      });
      const plan = buildRunPlan(sel.selected, {
        runId,
        runNumber,
        trigger: triggerOf(s.event),
        secretNames: Object.keys(s.secrets),
        extraEnv: s.env,
        options: { platforms: s.platforms, ...(matrix ? { matrix } : {}) },
        only: values.job ? (t) => onlyJob(t, values.job!) : undefined,
      });
      if (plan.workflows.length === 0) {
        for (const e of sel.errors) console.error(`${e.file}: ${e.message}`);
        if (values.verbose) for (const k of sel.skipped) log(`${k.wf.file}: not triggered: ${k.reason}`);
        return nothingRan(s, sel, values.job, json, log);
      }
      if (!choice) {
        const c = chooseExecutor({
          sandbox: values["no-sandbox"] || values.host ? false : values.sandbox,
          network: values.network,
          scratch: tmpdir(),
          envSetting: process.env.SLIPWAY_SANDBOX,
        });
        if (!c.ok) {
          if (c.usage) throw new UsageError(c.error);
          console.error(`slipway run: ${c.error}`);
          return EXIT.failure;
        }
        choice = c;
      }
      const dir = saving(folderDir, () => RunFolder.claim(s.git.root, runNumber));
      if (!dir) {
        runNumber++;
        continue;
      }
      for (const e of sel.errors) console.error(`${e.file}: ${e.message}`);
      if (values.verbose) for (const k of sel.skipped) log(`${k.wf.file}: not triggered: ${k.reason}`);
      try {
        writeFileSync(eventPath, JSON.stringify(s.event.payload, null, 2));
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw new IoError(eventPath, e as Error);
      }
      return await execute(s, plan, {
        executor: choice.executor,
        executorHeader: choice.header,
        runId,
        runNumber,
        dir,
        token,
        json,
        log,
        maxJobs,
        // A missing callee fails the job that calls it, if that job runs; other errors fail the run.
        failed:
          s.workflows.some((w) => w.diagnostics.some((d) => !isMissingCallee(d))) || sel.errors.length > 0,
        values,
      });
    }
  } catch (e) {
    return fail(e, "run");
  }
}

/**
 * The run history (.slipway/slipway.db) records the run unless SLIPWAY_HISTORY=0. It never
 * fails the run: a database error is said once on stderr and the run goes on without it.
 */
function recorder(
  s: Setup,
  plan: RunPlan,
  r: RunSpec,
  startedAt: number,
  masker: Masker,
): Recorder | undefined {
  if (process.env.SLIPWAY_HISTORY === "0") return undefined;
  return Recorder.start(
    s.git.root,
    {
      number: r.runNumber,
      runId: r.runId,
      workflows: plan.workflows.map((w) => w.file),
      event: s.event.name,
      ref: s.event.ref,
      sha: s.event.sha,
      actor: s.event.actor,
      startedAt,
      pid: process.pid,
      folder: relative(s.git.root, r.dir),
      payload: masker.mask(JSON.stringify(s.event.payload, null, 2)),
    },
    (m) => console.error(`slipway: ${m}`),
    historyDatabase(r.values.db),
    { executor: r.executor.name, name: hostname() },
  );
}

/** A file system call whose error (disk full, read-only, ...) is an I/O error at `path`. */
function saving<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new IoError(path, e as Error);
  }
}

/** Nothing to run: said once, no run folder made. */
function nothingRan(
  s: Setup,
  sel: Selection,
  job: string | undefined,
  json: boolean,
  log: (t: string) => void,
): number {
  const say = (code: number, message: string): number => {
    if (json)
      console.log(
        JSON.stringify(
          {
            event: s.event.name,
            ref: s.event.ref,
            sha: s.event.sha,
            result: code ? "failure" : "success",
            message,
            jobs: [],
          },
          null,
          2,
        ),
      );
    else if (code) console.error(message);
    else log(message);
    return code;
  };
  if (job) {
    const ids = new Set(s.workflows.flatMap((w) => w.template?.jobs.map((j) => j.id.value) ?? []));
    if (!ids.has(job) && s.workflows.every((w) => w.template))
      throw new UsageError(`--job: no workflow has a job '${job}' (jobs: ${[...ids].sort().join(", ")})`);
    return say(EXIT.failure, `slipway: no triggered workflow has a job '${job}'`);
  }
  const broken = s.workflows.filter((w) => w.diagnostics.length).length;
  if (broken)
    return say(
      EXIT.failure,
      `No workflow ran: ${broken} workflow file${broken > 1 ? "s" : ""} could not be loaded.`,
    );
  if (sel.errors.length) return say(EXIT.failure, "No workflow ran.");
  return say(
    EXIT.ok,
    `No workflow is triggered by '${s.event.name}' on ${s.event.ref}${sel.skipped.length ? ` (${sel.skipped.length} not matching; --verbose says why)` : ""}.`,
  );
}

interface RunSpec {
  executor: Executor;
  /** The run header's line saying where jobs run (sandbox or host, and why). */
  executorHeader: string;
  runId: string;
  runNumber: number;
  dir: string;
  token: string;
  json: boolean;
  log: (t: string) => void;
  maxJobs: number;
  /** Load or selection errors were printed: the run fails whatever its jobs do. */
  failed: boolean;
  values: { bind?: boolean; verbose?: boolean; approve?: string[]; junit?: string; db?: string };
}

async function execute(s: Setup, plan: RunPlan, r: RunSpec): Promise<number> {
  const { json, log, values } = r;
  const rf = saving(r.dir, () => new RunFolder(r.dir));
  const masker = new Masker();
  for (const v of Object.values(s.secrets)) masker.add(v);
  masker.add(r.token);
  const live = !json && process.stdout.isTTY && !process.env.CI;
  const reporter = live ? new LiveReporter(log) : new PlainReporter(log);
  const jobEnds: StampedEvent[] = [];
  const junit = values.junit ? new JUnitReport() : undefined;
  const started = Date.now();
  const history = recorder(s, plan, r, started, masker);
  const emit = eventGate(r.runId, masker, (e) => {
    rf.on(e);
    history?.on(e);
    junit?.on(e);
    if (e.type === "job-end") jobEnds.push(e);
    if (!json) reporter.on(e);
  });
  const summary = (result: JobResult, interrupted: NodeJS.Signals | undefined) => ({
    run: r.runNumber,
    runId: r.runId,
    event: s.event.name,
    ref: s.event.ref,
    sha: s.event.sha,
    result,
    durationMs: Date.now() - started,
    ...(interrupted ? { interrupted } : {}),
    folder: r.dir,
    jobs: jobEnds.map(({ type, runId, seq, time, ...job }) => job),
  });
  const workRoot = join(tmpdir(), `slipway-${r.runId}`);
  const executor = r.executor;
  const ac = new AbortController();
  // Ctrl-C cancels: running steps are stopped, the run ends and is saved. A second one
  // stops at once, still removing the temporary folders and saving what is known.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      executor.abandon?.();
      rmSync(workRoot, { recursive: true, force: true });
      const sum = summary("cancelled", interrupted);
      void history?.close(interrupted, "cancelled");
      const notSaved = rf.abandon(sum);
      if (json) console.log(JSON.stringify(notSaved ? { ...sum, notSaved: [notSaved] } : sum, null, 2));
      else log(`Stopped at once. Logs: ${r.dir}`);
      if (notSaved) console.error(`slipway: could not save the run: ${notSaved}`);
      process.exit(signalExit(interrupted));
    }
    interrupted = sig;
    log("Cancelling… (Ctrl-C again to stop at once)");
    ac.abort();
  };
  // SIGHUP: the terminal went away; the run is cancelled and saved, not left half-done.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const sig of signals) process.on(sig, onSignal);
  let result: JobResult;
  const reviewer = json ? undefined : terminalReviewer(reporter, ac.signal);
  try {
    saving(workRoot, () => mkdirSync(workRoot, { recursive: true }));
    emit({
      type: "run-start",
      runNumber: r.runNumber,
      runId: r.runId,
      event: s.event.name,
      workflows: plan.workflows.map((w) => w.file),
    });
    log(r.executorHeader);
    // --bind runs in the working tree, whatever commit the event names (a pull request's merge,
    // a --ref elsewhere): say so rather than let GITHUB_SHA and the files disagree silently.
    if (values.bind && s.event.sha !== s.git.sha)
      log(
        `note: --bind runs in the working tree at ${s.git.sha.slice(0, 7)}, not in the event's commit ${s.event.sha.slice(0, 7)}`,
      );
    result = await runPlan(plan, {
      executor,
      masker,
      emit,
      maxJobs: r.maxJobs,
      secrets: s.secrets,
      token: r.token,
      verbose: !!values.verbose || process.env.ACTIONS_STEP_DEBUG === "true",
      signal: ac.signal,
      approver: listApprover(
        values.approve ?? [],
        reviewer && ((environment, job) => reviewer.ask(environment, job)),
      ),
      prepare: {
        repoRoot: s.git.root,
        sha: values.bind ? undefined : s.event.sha,
        bind: !!values.bind,
        workRoot,
        toolCache: join(xdgCache(), "slipway", "tool-cache"),
      },
    });
  } finally {
    await executor.close?.();
    reviewer?.close();
    rmSync(workRoot, { recursive: true, force: true });
  }
  if (ac.signal.aborted && result !== "failure") result = "cancelled";
  if (r.failed) result = "failure";
  const durationMs = Date.now() - started;
  emit({ type: "run-end", result, durationMs });
  const sum = summary(result, interrupted);
  // A full disk loses the saved run, not its result: printed all the same, with the path.
  const notSaved = await rf.writeResult(sum);
  await history?.close(interrupted);
  if (history?.full) notSaved.push(history.full);
  // Until here a Ctrl-C still ends with a saved result (a second one: the summary so far).
  for (const sig of signals) process.off(sig, onSignal);
  if (junit && values.junit) {
    const path = resolve(values.junit);
    try {
      writeFileSync(path, junit.xml());
    } catch (e) {
      notSaved.push(`${path}: ${(e as Error).message}`);
    }
  }
  if (json) console.log(JSON.stringify(notSaved.length ? { ...sum, notSaved } : sum, null, 2));
  else {
    reporter.finish();
    log(reporter.summary(result, durationMs));
    log(notSaved.length ? `Logs (incomplete): ${r.dir}` : `Logs: ${r.dir}`);
  }
  for (const n of notSaved) console.error(`slipway: could not save the run: ${n}`);
  if (interrupted) return signalExit(interrupted);
  if (notSaved.length) return EXIT.io;
  // A run whose jobs were all skipped failed nothing: GitHub shows it as skipped, not failed.
  return result === "success" || result === "skipped" ? EXIT.ok : EXIT.failure;
}
