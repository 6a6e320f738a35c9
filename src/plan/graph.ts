export interface JobNode {
  id: string;
  needs: string[];
  pos?: { line: number; col: number };
}

export type GraphResult =
  | { ok: true; stages: string[][]; order: string[] }
  | { ok: false; errors: { message: string; jobId: string; pos?: { line: number; col: number } }[] };

/** Topological layers of the needs graph; unknown needs and cycles are errors. */
export function buildGraph(jobs: JobNode[]): GraphResult {
  const ids = new Set(jobs.map((j) => j.id));
  const errors: { message: string; jobId: string; pos?: { line: number; col: number } }[] = [];
  for (const j of jobs)
    for (const n of j.needs)
      if (!ids.has(n))
        errors.push({ message: `job '${j.id}' needs unknown job '${n}'`, jobId: j.id, pos: j.pos });
  if (errors.length) return { ok: false, errors };
  const stageOf = new Map<string, number>();
  const stages: string[][] = [];
  let placed = 0;
  while (placed < jobs.length) {
    const layer = jobs.filter((j) => !stageOf.has(j.id) && j.needs.every((n) => stageOf.has(n)));
    if (layer.length === 0) break;
    for (const j of layer) stageOf.set(j.id, stages.length);
    stages.push(layer.map((j) => j.id));
    placed += layer.length;
  }
  if (placed < jobs.length) {
    const left = jobs.filter((j) => !stageOf.has(j.id));
    const cycle = findCycle(left);
    const first = left.find((j) => j.id === cycle[0]) ?? left[0]!;
    return {
      ok: false,
      errors: [{ message: `needs cycle: ${cycle.join(" -> ")}`, jobId: first.id, pos: first.pos }],
    };
  }
  return { ok: true, stages, order: stages.flat() };
}

function findCycle(jobs: JobNode[]): string[] {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const path: string[] = [];
  const onPath = new Set<string>();
  const seen = new Set<string>();
  const visit = (id: string): string[] | undefined => {
    if (onPath.has(id)) return [...path.slice(path.indexOf(id)), id];
    if (seen.has(id) || !byId.has(id)) return undefined;
    seen.add(id);
    onPath.add(id);
    path.push(id);
    for (const n of byId.get(id)!.needs) {
      const c = visit(n);
      if (c) return c;
    }
    path.pop();
    onPath.delete(id);
    return undefined;
  };
  for (const j of jobs) {
    const c = visit(j.id);
    if (c) return c;
  }
  return jobs.map((j) => j.id);
}
