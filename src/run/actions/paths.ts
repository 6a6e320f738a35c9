import { homedir } from "node:os";
import { join } from "node:path";
import type { Json } from "../../expr/index.js";
import type { JobState } from "../job-state.js";

/**
 * The run's folder (`<repo>/.slipway/runs/<n>`): artifacts live in it. Not found from
 * github.event_path: a payload holding a secret's value is given to steps from the run's
 * temporary folder instead.
 */
export function runDirOf(job: JobState): string {
  return join(job.repoRoot, ".slipway", "runs", String(runNumberOf(job)));
}

/** The run's own number here: a re-run's github.run_number is its first attempt's. */
export function runNumberOf(job: JobState): number {
  return job.runNumber ?? Number((job.contexts.github as Record<string, Json>).run_number ?? 0);
}

/** The user's repository. */
export function repoRootOf(job: JobState): string {
  return job.repoRoot;
}

/** `~` and `~/x` as the runner expands them in path inputs. */
export function expandHome(p: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return join(homedir(), p.slice(2));
  return p;
}
