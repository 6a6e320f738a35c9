import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { readGit, resolveCommit } from "../plan/git.js";
import { readPlan, rebindRun } from "../plan/plan-file.js";
import { RunFolder } from "../report/run-folder.js";
import { EXIT, IoError, newRunId, placeholderToken, secretValues, UsageError } from "./common.js";
import { eventFile } from "./event-file.js";
import { type RerunOf, resolveAttempt } from "./run-attempt.js";
import { execute, pickExecutor, saving } from "./run-execute.js";

/** Options that select workflows or decide the plan: a saved plan has decided them. */
const PLANNING = [
  "workflows",
  "job",
  "ref",
  "base",
  "type",
  "event-file",
  "input",
  "var",
  "var-file",
  "env",
  "actor",
  "platform",
  "matrix",
  "limit",
  "permissions-policy",
];

interface Values {
  directory?: string;
  secret?: string[];
  "secret-file"?: string;
  bind?: boolean;
  offline?: boolean;
  verbose?: boolean;
  approve?: string[];
  junit?: string;
  sandbox?: boolean;
  "no-sandbox"?: boolean;
  host?: boolean;
  network?: string;
}

/**
 * `slipway run --plan FILE`: the plan as saved, in the repository of -C (or here), with the
 * secret values given now, as a new run (its own run id and number).
 */
export async function runSavedPlan(
  file: string,
  values: Values & Record<string, unknown>,
  positionals: string[],
  o: { maxJobs: number; json: boolean; log: (t: string) => void; rerunOf?: RerunOf },
): Promise<number> {
  if (positionals.length)
    throw new UsageError(
      `--plan runs the plan as saved: the event '${positionals[0]}' belongs to 'slipway plan'`,
    );
  const given = PLANNING.filter((k) => values[k] !== undefined).map((k) => `--${k}`);
  if (given.length)
    throw new UsageError(
      `--plan runs the plan as saved: ${given.join(", ")} belong${given.length > 1 ? "" : "s"} to 'slipway plan'`,
    );
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${file}: cannot read the plan: ${code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  const read = readPlan(text, file);
  if (!read.ok) throw new UsageError(read.error);
  const saved = read.plan;
  const cwd = resolve(values.directory ?? ".");
  const g = readGit(cwd);
  if (!g.ok && !values.bind) throw new UsageError(g.error);
  const root = g.ok ? g.facts.root : cwd;
  if (!values.bind && !resolveCommit(root, saved.trigger.sha))
    throw new UsageError(
      `${file}: the plan's commit ${saved.trigger.sha.slice(0, 12)} is not in ${root} (run it in the repository it was made in, or with --bind)`,
    );
  if (values.offline) process.env.SLIPWAY_OFFLINE = "1";
  const secrets = secretValues(values);
  const missing = saved.secretNames.filter((n) => !(n in secrets));
  if (missing.length)
    console.error(
      `slipway run: the plan was made with secret${missing.length > 1 ? "s" : ""} ${missing.join(", ")}, not given now (--secret NAME=VALUE or --secret-file): empty in this run`,
    );
  for (const e of saved.errors) console.error(e);
  if (saved.workflows.length === 0) {
    o.log(`${file}: the plan has no workflow to run.`);
    return saved.errors.length ? EXIT.failure : EXIT.ok;
  }
  const attempt = o.rerunOf && (await resolveAttempt(root, values.db as string | undefined, o.rerunOf));
  const choice = pickExecutor(values);
  if (!choice) return EXIT.failure;
  const runId = newRunId();
  let runNumber = RunFolder.peek(root);
  for (;;) {
    const folderDir = join(root, ".slipway", "runs", String(runNumber));
    const dir = saving(folderDir, () => RunFolder.claim(root, runNumber));
    if (!dir) {
      runNumber++;
      continue;
    }
    const event = eventFile(folderDir, runId, saved.trigger.payload, secrets);
    const eventPath = event.path;
    try {
      event.write();
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new IoError(join(folderDir, "event.json"), e as Error);
    }
    const plan = rebindRun(saved, { runId, runNumber, eventPath, ...(attempt ? { attempt } : {}) }, root);
    return await execute(
      { root, headSha: g.ok ? g.facts.sha : "0".repeat(40), trigger: plan.trigger, secrets },
      plan,
      {
        executor: choice.executor,
        executorHeader: choice.header,
        runId,
        runNumber,
        dir,
        token: placeholderToken(),
        json: o.json,
        log: o.log,
        maxJobs: o.maxJobs,
        failed: plan.errors.length > 0,
        attempt,
        values,
      },
    );
  }
}
