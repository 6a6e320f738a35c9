import { rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { firstRunNumber, takeRunNumber } from "../db/run-numbers.js";
import { buildRunPlan, triggerOf } from "../plan/build.js";
import { type Selection, selectWorkflows } from "../plan/plan.js";
import { RunFolder } from "../report/run-folder.js";
import type { ExecutorChoice } from "../run/executor/sandbox-choice.js";
import { formatDiagnostic } from "../workflow/diagnostic.js";
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
  UsageError,
} from "./common.js";
import { eventFile } from "./event-file.js";
import { rerunOfOption, resolveAttempt } from "./run-attempt.js";
import { execute, pickExecutor, saving } from "./run-execute.js";
import { runSavedPlan } from "./run-saved.js";
import { onlyJob } from "./select-job.js";

const HELP = `usage: slipway run [event] [options]

Runs the workflows that an event triggers, on this machine. event: push (default),
pull_request, pull_request_target, workflow_dispatch, workflow_call, schedule, release, ...

  -C, --directory DIR      repository (default: .)
  -W, --workflows PATH     workflow file or folder (default: .github/workflows)
  -j, --job ID             run only this job (and the jobs it needs)
      --ref REF            refs/heads/x or refs/tags/v1.2.3 (default: current branch)
      --sha SHA            run this commit as the ref's (a re-run or rollback of an earlier commit)
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
      --no-reuse           run every job, even one that succeeded before with the same inputs
                           (SLIPWAY_REUSE=0 does the same; see 'Job reuse' below)
      --rerun-of N         this run is a new attempt of run N, as a re-run is on GitHub: it keeps
                           N's github.run_id and run_number (its first attempt's) and its
                           github.run_attempt is one more (also GITHUB_RUN_*); it still gets its
                           own run number and folder here, so every attempt's logs are kept
      --keep-succeeded-of N  re-run run N's failed jobs: a job that succeeded in run N with
                           the same inputs is kept, even one that deploys or publishes
                           (implies --rerun-of N)
      --jobs N             jobs in parallel (default: cores)
      --json               print the result as JSON
      --junit FILE         also write the jobs as JUnit XML (one test case per job)
  -v, --verbose            show ::debug:: lines
      --plan FILE          run a plan saved by 'slipway plan --json > FILE' as it is, without
                           selecting workflows again: the repository is -C (default: .), secret
                           values come from --secret/--secret-file, the run gets its own run id
                           and number; options that select or plan (event, -W, -j, --ref, --input,
                           --var, --env, -P, --matrix, ...) belong to 'slipway plan'

The run is recorded in the run history (.slipway/slipway.db, shown by 'slipway history'), or
in the PostgreSQL database of --db postgres://... (or SLIPWAY_DATABASE_URL); SLIPWAY_HISTORY=0
in the environment turns recording off.

Job reuse: a job whose key (its job as planned, the commit's files it sees, its needs' outputs,
the event, keyed hashes of the secrets and variables it reads, the platform) matches a job that
succeeded before in the history is not run: it is shown 'reused (run N, <age> ago)', and its
outputs, artifacts and step summaries are restored. Never reused: jobs with an environment,
jobs that publish, jobs marked reuse: false in .github/slipway.yml, and under --bind. Declare
a job's inputs there to narrow what it sees (default: the commit's whole tree):
  jobs:
    ci.yml/docs: { inputs: ["docs/**"] }
    ci.yml/release: { reuse: false }

Exit codes: 0 the run succeeded (or all its jobs were skipped, or nothing was triggered),
1 it failed or was cancelled, 2 usage error, 74 the run could not be saved (disk full, ...;
the result is still printed), 130 stopped by Ctrl-C (143 by SIGTERM, 129 by SIGHUP); a second
Ctrl-C stops at once.`;

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
          plan: { type: "string" },
          db: { type: "string" },
          "no-reuse": { type: "boolean" },
          "keep-succeeded-of": { type: "string" },
          "rerun-of": { type: "string" },
        },
        allowPositionals: true,
      }),
    );
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    const maxJobs = positiveInt(values.jobs, "--jobs") ?? availableParallelism();
    historyDatabase(values.db);
    const json = !!values.json;
    const log = json
      ? (t: string) => process.stderr.write(`${t}\n`)
      : (t: string) => process.stdout.write(`${t}\n`);
    const rerunOf = rerunOfOption(values);
    if (values.plan !== undefined)
      return await runSavedPlan(values.plan, values, positionals, { maxJobs, json, log, rerunOf });
    const matrix = matrixFilter(values.matrix);
    const s = await setup(values, positionals);
    for (const d of s.diagnostics) console.error(d);
    const attempt = rerunOf && (await resolveAttempt(s.git.root, values.db, rerunOf));
    const runId = newRunId();
    const token = placeholderToken();
    // The run folder is made only once something runs; its number is in the contexts, so
    // a number another run took meanwhile means selecting again with the next one.
    // Machines sharing the repository's history take their numbers in it (db/run-numbers.ts).
    const numbers = {
      root: s.git.root,
      url: historyDatabase(values.db),
      warn: (m: string) => console.error(`slipway: ${m}`),
    };
    let runNumber = await firstRunNumber(numbers, RunFolder.peek(s.git.root));
    // Sandbox or host: decided once, before a run folder is made (a --sandbox that cannot
    // work here is an error, not an empty run).
    let choice: Extract<ExecutorChoice, { ok: true }> | undefined;
    for (;;) {
      const folderDir = join(s.git.root, ".slipway", "runs", String(runNumber));
      const event = eventFile(folderDir, runId, s.event.payload, s.secrets);
      const eventPath = event.path;
      const sel = selectWorkflows(s.workflows, {
        git: s.git,
        event: s.event,
        ids: { runId, runNumber, eventPath, ...(attempt ? { attempt } : {}) },
        inputs: s.inputs,
        vars: s.vars,
        secrets: s.secrets,
        token,
      });
      // A missing callee fails the job that calls it, if that job runs; other errors fail the run.
      const errors = [
        ...new Set(
          s.workflows.flatMap((w) => w.diagnostics.filter((d) => !isMissingCallee(d)).map(formatDiagnostic)),
        ),
        ...sel.errors.map((e) => `${e.file}: ${e.message}`),
      ];
      const plan = buildRunPlan(sel.selected, {
        errors,
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
        const c = pickExecutor(values);
        if (!c) return EXIT.failure;
        choice = c;
      }
      const dir = saving(folderDir, () => RunFolder.claim(s.git.root, runNumber));
      if (!dir || !(await takeRunNumber(numbers, runNumber))) {
        if (dir) rmSync(dir, { recursive: true, force: true });
        runNumber++;
        continue;
      }
      for (const e of sel.errors) console.error(`${e.file}: ${e.message}`);
      if (values.verbose) for (const k of sel.skipped) log(`${k.wf.file}: not triggered: ${k.reason}`);
      try {
        event.write();
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw new IoError(join(folderDir, "event.json"), e as Error);
      }
      const input = { root: s.git.root, headSha: s.git.sha, trigger: plan.trigger, secrets: s.secrets };
      return await execute(input, plan, {
        executor: choice.executor,
        executorHeader: choice.header,
        runId,
        runNumber,
        dir,
        token,
        json,
        log,
        maxJobs,
        failed: plan.errors.length > 0,
        attempt,
        values,
      });
    }
  } catch (e) {
    return fail(e, "run");
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
