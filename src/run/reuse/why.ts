// `slipway plan --why-run`: per leg, whether the next run would reuse it, and if not, which
// part of its key changed since the leg was last recorded. A job that needs a job that would
// run cannot be judged before: its needs' outputs are known only once they ran.
import { arch, platform } from "node:os";
import { basename } from "node:path";
import type { Db } from "../../db/db.js";
import type { Json } from "../../expr/index.js";
import { isDeferred, type RunPlan, workflowEnv } from "../../plan/api.js";
import { assignmentFor } from "../assignment.js";
import { runContexts } from "../ports.js";
import type { ReuseConfig } from "./config.js";
import { PART_NAMES, reuseKey } from "./key.js";
import { findSucceeded, lastParts } from "./lookup.js";
import { jobPublishes } from "./publishing.js";
import { age, neverReused, repositoryKey, SLIPWAY_VERSION } from "./reuser.js";
import { ToolPrints } from "./tools.js";
import { RepoTree } from "./tree.js";

export interface WhyLine {
  job: string;
  reused: boolean;
  /** `reused (run N, <age> ago)`, or why it would run. */
  why: string;
  /** The parts of the key that changed since the leg's last recorded run. */
  changed?: string[];
}

export interface WhyOptions {
  root: string;
  sha: string;
  secrets: Record<string, string>;
  config: ReuseConfig;
  event: { name: string; payload: Json };
  /** The history; undefined: none yet (nothing would be reused). */
  db: Db | undefined;
}

type Known = { reused: true; outputs: Record<string, string> } | { reused: false };

export async function whyRun(plan: RunPlan, o: WhyOptions): Promise<WhyLine[]> {
  const out: WhyLine[] = [];
  const secret = repositoryKey(o.root);
  const tree = new RepoTree(o.root);
  const tools = new ToolPrints();
  const prepare = { repoRoot: o.root, sha: o.sha, bind: false, workRoot: "", toolCache: "" };
  for (const node of plan.workflows) {
    const contexts = runContexts(node, { ...o.secrets, GITHUB_TOKEN: "" }, "");
    const env = workflowEnv(node, contexts);
    const known = new Map<string, Known>();
    // In needs order: a job is judged once the jobs it needs are.
    const left = [...node.jobs];
    while (left.length) {
      const i = left.findIndex((j) => j.needs.every((n) => known.has(n)));
      const job = left.splice(i < 0 ? 0 : i, 1)[0]!;
      const say = (line: Omit<WhyLine, "job">, key = job.key) => out.push({ job: key, ...line });
      const runs = () => known.set(job.id, { reused: false });
      const waits = job.needs.filter((n) => !known.get(n)?.reused);
      if (job.kind === "reusable" || isDeferred(job.legs) || !env.ok) {
        say({ reused: false, why: "would run: its legs are known only at run time" });
        runs();
        continue;
      }
      if (waits.length) {
        say({ reused: false, why: `would run: it needs ${waits.join(", ")}, which would run` });
        runs();
        continue;
      }
      const needs: Record<string, Json> = {};
      for (const n of job.needs) {
        const k = known.get(n) as Extract<Known, { reused: true }>;
        needs[n] = { result: "success", outputs: k.outputs };
      }
      const outputs: Record<string, string> = {};
      let all = true;
      for (const leg of job.legs.legs) {
        if (!leg.decision.run) {
          say({ reused: false, why: `not run: ${leg.decision.reason}` }, leg.key);
          all = false;
          continue;
        }
        const d = { job, leg, legs: job.legs, workflow: node, contexts, needs, workflowEnv: env.value };
        const a = assignmentFor(d, { prepare, verbose: false });
        const never = neverReused(a, leg.environment?.name, jobPublishes(job.body), o.config);
        if (never) {
          say({ reused: false, why: `would run: never reused (${never})` }, leg.key);
          all = false;
          continue;
        }
        const key = reuseKey({
          assignment: a,
          secret,
          tree,
          settings: o.config.get(`${basename(node.file)}/${job.id}`),
          event: o.event,
          platform: { os: platform(), arch: arch(), slipway: SLIPWAY_VERSION },
          tools,
        });
        const earlier = o.db && (await findSucceeded(o.db, key.key, -1));
        if (earlier) {
          say(
            { reused: true, why: `reused (run ${earlier.run}, ${age(Date.now() - earlier.endedAt)} ago)` },
            leg.key,
          );
          Object.assign(outputs, earlier.outputs);
          continue;
        }
        all = false;
        const last = o.db && (await lastParts(o.db, leg.key, -1));
        if (!last) {
          say({ reused: false, why: "would run: no earlier run of it is recorded" }, leg.key);
          continue;
        }
        const changed = PART_NAMES.filter((p) => last[p] !== key.parts[p]);
        say(
          changed.length
            ? { reused: false, why: `would run: changed since its last run: ${changed.join(", ")}`, changed }
            : { reused: false, why: "would run: its last run with these inputs did not succeed" },
          leg.key,
        );
      }
      known.set(job.id, all ? { reused: true, outputs } : { reused: false });
    }
  }
  return out;
}
