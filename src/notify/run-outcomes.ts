// Which run events a finished run makes, from the run history: per workflow it ran, "failed"
// when the workflow's jobs failed, "fixed" when they passed and the same workflow's previous
// decided run on the same branch (or tag) had failed. Cancelled and skipped runs make none and
// are passed over when looking back.
import type { Db } from "../db/db.js";
import { runByNumber } from "../db/reads.js";
import type { RunEvent } from "./events.js";

type Outcome = "success" | "failure" | "other";

function outcome(results: (string | null)[]): Outcome {
  if (results.includes("failure")) return "failure";
  if (results.includes("cancelled")) return "other";
  return results.includes("success") ? "success" : "other";
}

export async function runEvents(
  db: Db,
  run: number,
  o: { repository: string; url?: string },
): Promise<RunEvent[]> {
  const r = await runByNumber(db, run);
  if (!r || r.result === null) return [];
  const jobs = await db.all<{ workflow: string | null; result: string | null }>(
    `SELECT jobs.workflow, jobs.result FROM jobs JOIN runs ON runs.id = jobs.run
     WHERE runs.repo = ? AND runs.number = ? ORDER BY jobs.id`,
    [db.repo, run],
  );
  const byWorkflow = new Map<string, (string | null)[]>();
  for (const j of jobs)
    if (j.workflow) byWorkflow.set(j.workflow, [...(byWorkflow.get(j.workflow) ?? []), j.result]);
  const out: RunEvent[] = [];
  for (const [workflow, results] of byWorkflow) {
    const now = outcome(results);
    if (now === "other") continue;
    let fixed = false;
    if (now === "success") {
      // The workflow's previous decided run on this ref: its jobs' results.
      const before = await db.all<{ number: number; result: string | null }>(
        `SELECT runs.number, jobs.result FROM jobs JOIN runs ON runs.id = jobs.run
         WHERE runs.repo = ?1 AND runs.ref = ?2 AND jobs.workflow = ?3 AND runs.ended_at IS NOT NULL
           AND runs.number = (SELECT max(r2.number) FROM runs r2 JOIN jobs j2 ON j2.run = r2.id
             WHERE r2.repo = ?1 AND r2.ref = ?2 AND j2.workflow = ?3 AND r2.number < ?4
               AND r2.ended_at IS NOT NULL AND j2.result IN ('success', 'failure'))`,
        [db.repo, r.ref, workflow, run],
      );
      fixed = outcome(before.map((b) => b.result)) === "failure";
    }
    if (now === "success" && !fixed) continue;
    out.push({
      type: now === "failure" ? "run.failed" : "run.fixed",
      repository: o.repository,
      workflow,
      branch: r.ref.replace(/^refs\/(heads|tags)\//, ""),
      run,
      sha: r.sha,
      ...(r.actor ? { actor: r.actor } : {}),
      ...(o.url ? { url: o.url } : {}),
    });
  }
  return out;
}
