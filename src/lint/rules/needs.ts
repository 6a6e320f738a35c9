// `needs:` naming jobs that do not exist, and jobs that need each other in a cycle.
import { type LintContext, report } from "../context.js";

export function checkNeeds(ctx: LintContext): void {
  const jobs = ctx.model?.jobs;
  if (!jobs) return;
  for (const job of jobs.values()) {
    for (const n of job.needs) {
      const name = String(n.value);
      const target = jobs.get(name.toLowerCase());
      if (target && target.id !== name) {
        // GitHub matches needs case-sensitively, unlike job ids in expressions.
        report(
          ctx,
          "needs-unknown-job",
          n,
          `job '${job.id}' needs '${name}'; the job is spelt '${target.id}'`,
        );
      } else if (!target) {
        const known = [...jobs.values()].map((j) => j.id).join(", ");
        report(
          ctx,
          "needs-unknown-job",
          n,
          `job '${job.id}' needs '${name}', which does not exist (jobs: ${known})`,
        );
      } else if (name.toLowerCase() === job.id.toLowerCase()) {
        report(ctx, "needs-cycle", n, `job '${job.id}' needs itself`);
      }
    }
  }
  // Depth-first search; each cycle is reported once, at the needs entry that closes it.
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, "open");
    stack.push(id);
    const job = jobs.get(id)!;
    for (const n of job.needs) {
      const next = String(n.value).toLowerCase();
      if (!jobs.has(next) || next === id) continue;
      if (state.get(next) === "open") {
        const cycle = [...stack.slice(stack.indexOf(next)), next].map((j) => jobs.get(j)!.id);
        report(ctx, "needs-cycle", n, `jobs need each other in a cycle: ${cycle.join(" -> ")}`);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(id, "done");
  };
  for (const id of jobs.keys()) if (!state.has(id)) visit(id);
}
