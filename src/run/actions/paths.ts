import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Json } from "../../expr/index.js";
import type { JobState } from "../job-state.js";

/**
 * The run's folder (`<repo>/.slipway/runs/<n>`): the event payload is written there, so
 * github.event_path names it. Artifacts live in it.
 */
export function runDirOf(job: JobState): string {
  const github = job.contexts.github as Record<string, Json>;
  return dirname(String(github.event_path ?? ""));
}

/** The user's repository (the run folder is inside it). */
export function repoRootOf(job: JobState): string {
  return resolve(runDirOf(job), "..", "..", "..");
}

/** `~` and `~/x` as the runner expands them in path inputs. */
export function expandHome(p: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return join(homedir(), p.slice(2));
  return p;
}
