import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { selectWorkflows } from "../plan/plan.js";
import { PlainReporter } from "../report/console.js";
import { JUnitReport } from "../report/junit.js";
import { LiveReporter } from "../report/live.js";
import { RunFolder } from "../report/run-folder.js";
import type { JobResult, RunEvent } from "../run/events.js";
import { HostExecutor } from "../run/executor/host.js";
import { Masker } from "../run/mask.js";
import { maskedEmit } from "../run/masked-emit.js";
import { runWorkflows } from "../run/scheduler.js";
import { EVENT_OPTIONS, fail, newRunId, parse, placeholderToken, setup, UsageError } from "./common.js";
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
      --actor NAME         github.actor
  -P, --platform L=host|skip   where a runs-on label runs
      --bind               run in the working tree instead of a clean checkout
      --offline            never fetch a remote action or reusable workflow missing from the
                           action store (default: fetch it from GitHub or $SLIPWAY_GITHUB_URL)
      --approve NAME       run jobs that deploy to environment NAME ('*': all); others are skipped
      --limit NAME=N       a GitHub limit as your server sets it, e.g. max-nested-reusable-workflows-depth=4
                           for GHES (also max-depth, max-file-size, max-job-limit, max-expression-length)
      --permissions-policy LimitedRead|Write   the repository's default GITHUB_TOKEN permissions
      --matrix K=V         run only the matrix legs with K=V (repeatable)
      --jobs N             jobs in parallel (default: cores)
      --json               print the result as JSON
      --junit FILE         also write the jobs as JUnit XML (one test case per job)
  -v, --verbose            show ::debug:: lines`;

function xdgCache(): string {
  return process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
}

export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(() =>
      parseArgs({
        args,
        options: { ...EVENT_OPTIONS, jobs: { type: "string" }, junit: { type: "string" } },
        allowPositionals: true,
      }),
    );
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const s = await setup(values, positionals);
    const json = !!values.json;
    const log = json
      ? (t: string) => process.stderr.write(`${t}\n`)
      : (t: string) => process.stdout.write(`${t}\n`);
    for (const d of s.diagnostics) console.error(d);
    const runId = newRunId();
    const folder = RunFolder.next(s.git.root);
    const runNumber = Number(folder.number);
    const rf = new RunFolder(folder.dir);
    const eventPath = join(folder.dir, "event.json");
    const token = placeholderToken();
    const sel = selectWorkflows(s.workflows, {
      git: s.git,
      event: s.event,
      ids: { runId, runNumber, eventPath },
      inputs: s.inputs,
      vars: s.vars,
      secrets: s.secrets,
      token,
    });
    for (const e of sel.errors) console.error(`${e.file}: ${e.message}`);
    if (values.verbose) for (const k of sel.skipped) log(`${k.wf.file}: not triggered: ${k.reason}`);
    const runs = [];
    for (const w of sel.selected) {
      const limited = values.job ? onlyJob(w.template, values.job) : w.template;
      if (!limited) continue;
      runs.push({
        wf: { ...w.wf, template: limited },
        contexts: w.contexts,
        runnerEnv: w.runnerEnv,
        extraEnv: s.env,
      });
    }
    const nothing = (code: number, message: string): number => {
      if (json)
        console.log(
          JSON.stringify(
            {
              run: runNumber,
              runId,
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
    if (values.job && runs.length === 0)
      return nothing(1, `slipway: no triggered workflow has a job '${values.job}'`);
    if (runs.length === 0) {
      const broken = s.workflows.filter((w) => w.diagnostics.length).length;
      if (broken)
        return nothing(
          1,
          `No workflow ran: ${broken} workflow file${broken > 1 ? "s" : ""} could not be loaded.`,
        );
      if (sel.errors.length) return nothing(1, "No workflow ran.");
      return nothing(
        0,
        `No workflow is triggered by '${s.event.name}' on ${s.event.ref}${sel.skipped.length ? ` (${sel.skipped.length} not matching; --verbose says why)` : ""}.`,
      );
    }
    writeFileSync(eventPath, JSON.stringify(s.event.payload, null, 2));

    const masker = new Masker();
    for (const v of Object.values(s.secrets)) masker.add(v);
    masker.add(token);
    const live = !json && process.stdout.isTTY && !process.env.CI;
    const reporter = live ? new LiveReporter(log) : new PlainReporter(log);
    const jobEnds: RunEvent[] = [];
    const junit = values.junit ? new JUnitReport() : undefined;
    const emit = maskedEmit(masker, (e: RunEvent) => {
      rf.on(e);
      junit?.on(e);
      if (e.type === "job-end") jobEnds.push(e);
      if (!json) reporter.on(e);
    });
    const ac = new AbortController();
    let interrupts = 0;
    const onSig = () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      log("Cancelling… (Ctrl-C again to exit at once)");
      ac.abort();
    };
    process.on("SIGINT", onSig);
    process.on("SIGTERM", onSig);
    const workRoot = join(tmpdir(), `slipway-${runId}`);
    mkdirSync(workRoot, { recursive: true });
    const started = Date.now();
    emit({ type: "run-start", runNumber, runId, event: s.event.name, workflows: runs.map((r) => r.wf.file) });
    let result: JobResult;
    const executor = new HostExecutor();
    const reviewer = json ? undefined : terminalReviewer(reporter, ac.signal);
    try {
      result = await runWorkflows(runs, {
        executor,
        masker,
        emit,
        maxJobs: values.jobs
          ? Math.max(1, Number(values.jobs) || 1)
          : (await import("node:os")).availableParallelism(),
        platforms: s.platforms,
        verbose: !!values.verbose || process.env.ACTIONS_STEP_DEBUG === "true",
        signal: ac.signal,
        approve: values.approve,
        ask: reviewer && ((environment, job) => reviewer.ask(environment, job)),
        matrix: matrixFilter(values.matrix),
        prepare: {
          repoRoot: s.git.root,
          sha: values.bind ? undefined : s.event.sha,
          bind: !!values.bind,
          workRoot,
          toolCache: join(xdgCache(), "slipway", "tool-cache"),
        },
      });
    } finally {
      process.off("SIGINT", onSig);
      process.off("SIGTERM", onSig);
      await executor.close();
      reviewer?.close();
      rmSync(workRoot, { recursive: true, force: true });
    }
    if (ac.signal.aborted && result !== "failure") result = "cancelled";
    if (s.diagnostics.length || sel.errors.length) result = "failure";
    const durationMs = Date.now() - started;
    emit({ type: "run-end", result, durationMs });
    const summary = {
      run: runNumber,
      runId,
      event: s.event.name,
      ref: s.event.ref,
      sha: s.event.sha,
      result,
      durationMs,
      folder: folder.dir,
      jobs: jobEnds.map((e) => ({ ...e, type: undefined })),
    };
    await rf.writeResult(summary);
    if (junit && values.junit) writeFileSync(resolve(values.junit), junit.xml());
    if (json) console.log(JSON.stringify(summary, null, 2));
    else {
      reporter.finish();
      log(reporter.summary(result, durationMs));
      log(`Logs: ${folder.dir}`);
    }
    return result === "success" ? 0 : 1;
  } catch (e) {
    return fail(e);
  }
}

function matrixFilter(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new UsageError(`--matrix expects key=value, got '${p}'`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}
