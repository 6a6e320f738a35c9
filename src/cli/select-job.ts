import type { WorkflowTemplate } from "@actions/workflow-parser/model/workflow-template";

/** The template cut down to one job and everything it needs; undefined if absent. */
export function onlyJob(t: WorkflowTemplate, id: string): WorkflowTemplate | undefined {
  if (!t.jobs.some((j) => j.id.value === id)) return undefined;
  const keep = new Set<string>();
  const visit = (j: string) => {
    if (keep.has(j)) return;
    keep.add(j);
    for (const n of t.jobs.find((x) => x.id.value === j)?.needs ?? []) visit(n.value);
  };
  visit(id);
  return { ...t, jobs: t.jobs.filter((j) => keep.has(j.id.value)) };
}
