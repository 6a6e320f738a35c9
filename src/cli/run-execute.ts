import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, hostname, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { remoteApprover } from "../agent/remote-approval.js";
import { remoteGroups, reportWaits } from "../agent/remote-groups.js";
import { remoteLegRunner } from "../agent/remote-leg.js";
import { announceRun } from "../agent/remote-run.js";
import { Recorder } from "../db/recorder.js";
import type { Json } from "../expr/index.js";
import type { RunAttempt } from "../plan/contexts.js";
import type { RunPlan, Trigger } from "../plan/run-plan.js";
import { BenchTally } from "../report/bench-tally.js";
import { PlainReporter } from "../report/console.js";
import { CoverageTally } from "../report/coverage-tally.js";
import { JUnitReport } from "../report/junit.js";
import { LiveReporter } from "../report/live.js";
import { RunFolder } from "../report/run-folder.js";
import { TestTally } from "../report/test-tally.js";
import { listApprover } from "../run/approval.js";
import { eventGate } from "../run/event-gate.js";
import type { JobResult, StampedEvent } from "../run/events.js";
import { LazyExecutor } from "../run/executor/lazy.js";
import { chooseExecutor, type ExecutorChoice } from "../run/executor/sandbox-choice.js";
import type { Executor } from "../run/executor/types.js";
import { Masker } from "../run/mask.js";
import type { LegRunner } from "../run/ports.js";
import { loadReuseConfig, type ReuseConfig } from "../run/reuse/config.js";
import { Reuser } from "../run/reuse/reuser.js";
import { runPlan } from "../run/scheduler.js";
import { formatDiagnostic } from "../workflow/diagnostic.js";
import { EXIT, historyDatabase, IoError, signalExit, UsageError } from "./common.js";
import { terminalReviewer } from "./reviewer.js";

// Running a plan, whether made now or read from a file: the run folder, the reporters, the
// run history, Ctrl-C, and the exit code.

/** What a run needs besides its plan. */
export interface RunInput {
  /** The repository. */
  root: string;
  /** The commit of its working tree (for --bind). */
  headSha: string;
  trigger: Trigger;
  /** Secret values by name (masked everywhere). */
  secrets: Record<string, string>;
}

function xdgCache(): string {
  return process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
}

/**
 * The run history (.slipway/slipway.db) records the run unless SLIPWAY_HISTORY=0. It never
 * fails the run: a database error is said once on stderr and the run goes on without it.
 */
function recorder(
  s: RunInput,
  plan: RunPlan,
  r: RunSpec,
  startedAt: number,
  masker: Masker,
): Recorder | undefined {
  if (process.env.SLIPWAY_HISTORY === "0") return undefined;
  return Recorder.start(
    s.root,
    {
      number: r.runNumber,
      runId: r.runId,
      workflows: plan.workflows.map((w) => w.file),
      event: s.trigger.event,
      ref: s.trigger.ref,
      sha: s.trigger.sha,
      actor: s.trigger.actor,
      startedAt,
      pid: process.pid,
      folder: relative(s.root, r.dir),
      payload: masker.mask(JSON.stringify(s.trigger.payload, null, 2)),
      ...(r.attempt ? { attempt: r.attempt.attempt, attemptOf: r.attempt.runNumber } : {}),
    },
    (m) => console.error(`slipway: ${m}`),
    historyDatabase(r.values.db),
    // Read when a job starts (a LazyExecutor is made by then); a reused job ran nowhere.
    {
      get executor() {
        return r.executor.name;
      },
      name: hostname(),
    },
  );
}

/** A file system call whose error (disk full, read-only, ...) is an I/O error at `path`. */
export function saving<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new IoError(path, e as Error);
  }
}

/** The server's agents run the legs when `slipway serve` started this run (it sets these). */
function dispatchFromEnv(
  run: number,
): { legs: LegRunner; url: string; token: string; queued: number } | undefined {
  const url = process.env.SLIPWAY_DISPATCH_URL;
  const token = process.env.SLIPWAY_DISPATCH_TOKEN;
  if (!url || !token) return undefined;
  const untrusted = process.env.SLIPWAY_DISPATCH_UNTRUSTED === "1";
  const queued = Number(process.env.SLIPWAY_DISPATCH_QUEUED) || 0;
  if (queued > 0) void announceRun({ url, token, queued, run });
  return { legs: remoteLegRunner({ url, token, run, untrusted, queued }), url, token, queued };
}

/** Sandbox or host, as the options and SLIPWAY_SANDBOX say; undefined when it cannot work (said). */
export function pickExecutor(values: {
  sandbox?: boolean;
  "no-sandbox"?: boolean;
  host?: boolean;
  network?: string;
}): Extract<ExecutorChoice, { ok: true }> | undefined {
  const c = chooseExecutor({
    sandbox: values["no-sandbox"] || values.host ? false : values.sandbox,
    network: values.network,
    scratch: tmpdir(),
    envSetting: process.env.SLIPWAY_SANDBOX,
  });
  if (c.ok) return c;
  if (c.usage) throw new UsageError(c.error);
  console.error(`slipway run: ${c.error}`);
  return undefined;
}

export interface RunSpec {
  executor: Executor;
  /** The run header's line saying where jobs run (sandbox or host, and why); undefined: a LazyExecutor says it when made. */
  executorHeader?: string;
  runId: string;
  runNumber: number;
  dir: string;
  token: string;
  json: boolean;
  log: (t: string) => void;
  maxJobs: number;
  /** Load or selection errors were printed: the run fails whatever its jobs do. */
  failed: boolean;
  /** A re-run (--rerun-of): the run it is a new attempt of, and which attempt. */
  attempt?: RunAttempt;
  values: {
    bind?: boolean;
    verbose?: boolean;
    approve?: string[];
    junit?: string;
    db?: string;
    "no-reuse"?: boolean;
    "keep-succeeded-of"?: string;
    "rerun-of"?: string;
  };
}

/**
 * Job reuse, unless --no-reuse, SLIPWAY_REUSE=0, no history (SLIPWAY_HISTORY=0) or --bind (the
 * working tree is no commit: git has no hash of what the jobs see).
 */
function reuser(
  r: RunSpec,
  config: ReuseConfig,
  s: RunInput,
  history: Recorder | undefined,
): Reuser | undefined {
  const v = r.values;
  if (!history || v["no-reuse"] || v.bind || process.env.SLIPWAY_REUSE === "0") return undefined;
  return new Reuser({
    root: s.root,
    runDir: r.dir,
    runNumber: r.runNumber,
    config,
    event: { name: s.trigger.event, payload: s.trigger.payload as Json },
    history: () => history.database(),
    ...(v["keep-succeeded-of"] ? { keepSucceededOf: Number(v["keep-succeeded-of"]) } : {}),
  });
}

export async function execute(s: RunInput, plan: RunPlan, r: RunSpec): Promise<number> {
  const { json, log, values } = r;
  // A bad .github/slipway.yml is a usage error before anything runs.
  const loaded = loadReuseConfig(s.root);
  if (!loaded.ok) {
    rmSync(r.dir, { recursive: true, force: true });
    throw new UsageError(formatDiagnostic(loaded.error));
  }
  const rf = saving(r.dir, () => new RunFolder(r.dir));
  const masker = new Masker();
  for (const v of Object.values(s.secrets)) masker.add(v);
  masker.add(r.token);
  // The plan the run obeys, kept with it: `slipway run --plan .slipway/runs/<n>/plan.json`
  // runs it again. Secret values are not in it; literal values equal to one are masked.
  saving(join(r.dir, "plan.json"), () =>
    writeFileSync(join(r.dir, "plan.json"), `${masker.mask(JSON.stringify(plan))}\n`),
  );
  const live = !json && process.stdout.isTTY && !process.env.CI;
  const reporter = live ? new LiveReporter(log) : new PlainReporter(log);
  const jobEnds: StampedEvent[] = [];
  const junit = values.junit ? new JUnitReport() : undefined;
  const tests = new TestTally();
  const benches = new BenchTally();
  const coverage = new CoverageTally();
  const started = Date.now();
  const history = recorder(s, plan, r, started, masker);
  const reuse = reuser(r, loaded.config, s, history);
  const emit = eventGate(r.runId, masker, (e) => {
    rf.on(e);
    history?.on(e);
    junit?.on(e);
    tests.on(e);
    benches.on(e);
    coverage.on(e);
    if (e.type === "job-end") jobEnds.push(e);
    if (!json) reporter.on(e);
  });
  const summary = (result: JobResult, interrupted: NodeJS.Signals | undefined) => ({
    run: r.runNumber,
    runId: r.runId,
    ...(r.attempt ? { attempt: r.attempt.attempt, attemptOf: r.attempt.runNumber } : {}),
    event: s.trigger.event,
    ref: s.trigger.ref,
    sha: s.trigger.sha,
    result,
    durationMs: Date.now() - started,
    ...(interrupted ? { interrupted } : {}),
    folder: r.dir,
    jobs: jobEnds.map(({ type, runId, seq, time, ...job }) => ({
      ...job,
      ...("job" in job ? tests.of(job.job) : {}),
      ...("job" in job ? benches.of(job.job) : {}),
      ...("job" in job ? coverage.of(job.job) : {}),
    })),
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
  // A run `slipway serve` started runs its legs on the server's agents, and ends when the
  // server does (its stdin, a pipe from the server, closes): cancelled, saved, said why.
  const dispatch = dispatchFromEnv(r.runNumber);
  if (dispatch) {
    process.stdin.on("close", () => {
      if (ac.signal.aborted) return;
      log("the server that started this run stopped: cancelling");
      ac.abort();
    });
    process.stdin.resume();
  }
  let result: JobResult;
  const reviewer = json ? undefined : terminalReviewer(reporter, ac.signal);
  try {
    saving(workRoot, () => mkdirSync(workRoot, { recursive: true }));
    emit({
      type: "run-start",
      runNumber: r.runNumber,
      runId: r.runId,
      event: s.trigger.event,
      workflows: plan.workflows.map((w) => w.file),
    });
    if (r.attempt && !json) log(`Attempt ${r.attempt.attempt} of run #${r.attempt.runNumber}`);
    if (r.executorHeader) log(r.executorHeader);
    else if (executor instanceof LazyExecutor) executor.onMade = log;
    // --bind runs in the working tree, whatever commit the event names (a pull request's merge,
    // a --ref elsewhere): say so rather than let GITHUB_SHA and the files disagree silently.
    if (values.bind && s.trigger.sha !== s.headSha)
      log(
        `note: --bind runs in the working tree at ${s.headSha.slice(0, 7)}, not in the event's commit ${s.trigger.sha.slice(0, 7)}`,
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
      reuse,
      legRunner: dispatch?.legs,
      // A server's runs share concurrency groups across runs: the server says when this one starts.
      gate:
        dispatch && dispatch.queued > 0 ? remoteGroups(dispatch, (reason) => ac.abort(reason)) : undefined,
      onWaiting: dispatch && dispatch.queued > 0 ? (waits) => void reportWaits(dispatch, waits) : undefined,
      // The machine's events hold what the planner answered (names, reasons): masked too.
      record: (e) => rf.machine(masker.mask(JSON.stringify(e))),
      // A server's run asks the server (a person decides through its API); the CLI asks here.
      approver: dispatch
        ? remoteApprover(
            {
              url: dispatch.url,
              token: dispatch.token,
              run: r.runNumber,
              queued: Number(process.env.SLIPWAY_DISPATCH_QUEUED) || undefined,
              trigger: {
                event: s.trigger.event,
                ref: s.trigger.ref,
                sha: s.trigger.sha,
                actor: s.trigger.actor,
              },
            },
            values.approve ?? [],
          )
        : listApprover(
            values.approve ?? [],
            reviewer && ((environment, job) => reviewer.ask(environment, job)),
          ),
      prepare: {
        repoRoot: s.root,
        runNumber: r.runNumber,
        sha: values.bind ? undefined : s.trigger.sha,
        bind: !!values.bind,
        workRoot,
        toolCache: join(xdgCache(), "slipway", "tool-cache"),
        historyUrl: historyDatabase(values.db),
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
  if (dispatch) process.stdin.destroy();
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
