export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type MatrixResult = { ok: true; legs: Record<string, Json>[] } | { ok: false; error: string };

const MAX_LEGS = 256;

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, Json>)[k], (b as Record<string, Json>)[k]));
}

/**
 * GitHub's matrix expansion: the cartesian product of the vectors in key order, minus
 * every combination an `exclude` entry matches (on the keys it names), then each
 * `include` entry is added to every combination whose original values it does not
 * change, or becomes a combination of its own when it fits none.
 */
export function expandMatrix(matrix: Json | undefined): MatrixResult {
  if (matrix === undefined || matrix === null) return { ok: true, legs: [{}] };
  if (typeof matrix !== "object" || Array.isArray(matrix)) return { ok: false, error: "matrix must be a mapping" };
  const dims: [string, Json[]][] = [];
  let include: Json[] = [];
  let exclude: Json[] = [];
  for (const [k, v] of Object.entries(matrix)) {
    if (k === "include" || k === "exclude") {
      if (v !== null && !Array.isArray(v)) return { ok: false, error: `matrix ${k} must be a list of mappings` };
      if (k === "include") include = v ?? [];
      else exclude = v ?? [];
      continue;
    }
    if (!Array.isArray(v)) return { ok: false, error: `matrix vector '${k}' must be a list` };
    if (v.length === 0) return { ok: false, error: `matrix vector '${k}' does not contain any values; the matrix expands to no jobs` };
    dims.push([k, v]);
  }
  let combos: Record<string, Json>[] = dims.length ? [{}] : [];
  for (const [k, values] of dims) {
    const next: Record<string, Json>[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [k]: v });
    combos = next;
    if (combos.length > MAX_LEGS * 16) return { ok: false, error: `the matrix has more than ${MAX_LEGS} combinations` };
  }
  for (const ex of exclude) {
    if (!ex || typeof ex !== "object" || Array.isArray(ex)) return { ok: false, error: "matrix exclude entries must be mappings" };
    const keys = Object.keys(ex);
    combos = combos.filter((c) => !keys.every((k) => deepEqual(c[k], ex[k])));
  }
  const originals = new Set(dims.map(([k]) => k));
  const base = combos.length;
  const extra: Record<string, Json>[] = [];
  for (const inc of include) {
    if (!inc || typeof inc !== "object" || Array.isArray(inc)) return { ok: false, error: "matrix include entries must be mappings" };
    let added = false;
    for (let i = 0; i < base; i++) {
      const c = combos[i]!;
      const fits = Object.keys(inc).every((k) => !originals.has(k) || deepEqual(c[k], inc[k]));
      if (fits) {
        combos[i] = { ...c, ...inc };
        added = true;
      }
    }
    if (!added) extra.push({ ...inc });
  }
  const legs = [...combos, ...extra];
  if (legs.length === 0) return { ok: false, error: "the matrix expands to no jobs" };
  if (legs.length > MAX_LEGS) return { ok: false, error: `the matrix expands to ${legs.length} jobs; GitHub allows at most ${MAX_LEGS}` };
  return { ok: true, legs };
}

function show(v: Json): string {
  if (v === null) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** The "(a, b)" GitHub appends to a matrix job's name. */
export function legSuffix(leg: Record<string, Json>): string {
  return `(${Object.values(leg).map(show).join(", ")})`;
}
