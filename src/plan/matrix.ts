export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

type Obj = Record<string, Json>;

export type MatrixResult =
  | {
      ok: true;
      /** One matrix context per job leg, in GitHub's order. */
      legs: Obj[];
    }
  /** tooLarge: over GitHub's limit of 256 legs (lint says so at the matrix). */
  | { ok: false; error: string; tooLarge?: true };

const MAX_LEGS = 256;
// Guards the cross-product walk itself; excludes could still trim it below MAX_LEGS.
const MAX_PRODUCT = 1_000_000;
const MAX_NAME = 100;

/**
 * GitHub's matrix expansion: the cross product of the vectors in key order, minus every
 * combination an `exclude` entry matches; each `include` entry whose matrix keys match a
 * remaining combination adds its other keys to it (later includes win), and an entry that
 * matches none becomes a combination of its own, after the product.
 */
export function expandMatrix(matrix: Json | undefined): MatrixResult {
  if (matrix === undefined || matrix === null) return { ok: true, legs: [{}] };
  if (!isObj(matrix)) return { ok: false, error: "matrix must be a mapping" };
  const vectors: [string, Json[]][] = [];
  let includeList: Json[] = [];
  let excludeList: Json[] = [];
  for (const [k, v] of Object.entries(matrix)) {
    if (k === "include" || k === "exclude") {
      if (v !== null && !Array.isArray(v))
        return { ok: false, error: `matrix ${k} must be a list of mappings` };
      if (k === "include") includeList = v ?? [];
      else excludeList = v ?? [];
    } else if (!Array.isArray(v)) return { ok: false, error: `matrix vector '${k}' must be a list` };
    else vectors.push([k, v]);
  }
  const isVector = (k: string) => vectors.some(([name]) => sameKey(name, k));

  const excludes: Leaf[][] = [];
  for (const ex of excludeList) {
    if (!isObj(ex)) return { ok: false, error: "matrix exclude entries must be mappings" };
    if (Object.keys(ex).length === 0) return { ok: false, error: "matrix exclude filter must not be empty" };
    const unknown = Object.keys(ex).find((k) => !isVector(k));
    if (unknown !== undefined)
      return { ok: false, error: `matrix exclude key '${unknown}' does not match any key within the matrix` };
    excludes.push(leaves(ex));
  }
  const includes: { filter: Obj; match: Leaf[]; extra: Obj; used: boolean }[] = [];
  for (const inc of includeList) {
    if (!isObj(inc)) return { ok: false, error: "matrix include entries must be mappings" };
    if (Object.keys(inc).length === 0)
      return { ok: false, error: "matrix include mapping does not contain any values" };
    const filter: Obj = {};
    const extra: Obj = {};
    for (const [k, v] of Object.entries(inc)) (isVector(k) ? filter : extra)[k] = v;
    includes.push({ filter, match: leaves(filter), extra, used: false });
  }

  const size = vectors.length ? vectors.reduce((n, [, v]) => n * v.length, 1) : 0;
  if (size > MAX_PRODUCT)
    return {
      ok: false,
      error: `the matrix has ${size} combinations; GitHub allows at most ${MAX_LEGS} jobs`,
      tooLarge: true,
    };
  const legs: Obj[] = [];
  for (let i = 0; i < size; i++) {
    // Index arithmetic gives the product in key order, the last vector varying fastest.
    const combo: Obj = {};
    let block = size;
    for (const [k, values] of vectors) {
      block /= values.length;
      combo[k] = values[Math.floor(i / block) % values.length]!;
    }
    if (excludes.some((ex) => matches(combo, ex))) continue;
    let leg = combo;
    for (const inc of includes)
      if (matches(combo, inc.match)) {
        inc.used = true;
        leg = { ...leg, ...inc.extra };
      }
    legs.push(leg);
    if (legs.length > MAX_LEGS) break;
  }
  for (const inc of includes)
    if (!inc.used) {
      const leg = { ...inc.filter, ...inc.extra };
      legs.push(leg);
    }
  if (legs.length === 0) return { ok: false, error: `matrix expands to no jobs${whyEmpty(vectors)}` };
  if (legs.length > MAX_LEGS)
    return {
      ok: false,
      error: `matrix expands to more than ${MAX_LEGS} jobs, GitHub's limit`,
      tooLarge: true,
    };
  return { ok: true, legs };
}

function whyEmpty(vectors: [string, Json[]][]): string {
  if (vectors.length === 0) return " (no vectors and no include entries)";
  const empty = vectors.find(([, v]) => v.length === 0);
  if (empty) return ` (vector '${empty[0]}' does not contain any values)`;
  return " (exclude removes every combination)";
}

/** A scalar somewhere inside a filter, and the path of keys/indices that leads to it. */
interface Leaf {
  path: (string | number)[];
  value: null | boolean | number | string;
}

// GitHub compares include/exclude filters leaf by leaf, so nested mappings match partially.
function leaves(v: Json, path: (string | number)[] = [], out: Leaf[] = []): Leaf[] {
  if (Array.isArray(v)) for (const [i, item] of v.entries()) leaves(item, [...path, i], out);
  else if (isObj(v)) for (const [k, item] of Object.entries(v)) leaves(item, [...path, k], out);
  else out.push({ path, value: v });
  return out;
}

function matches(combo: Obj, filter: Leaf[]): boolean {
  return filter.every((leaf) => looseEquals(lookup(combo, leaf.path), leaf.value));
}

function lookup(v: Json | undefined, path: (string | number)[]): Json | undefined {
  for (const p of path) {
    if (typeof p === "number") v = Array.isArray(v) ? v[p] : undefined;
    else if (isObj(v)) {
      const key: string | undefined = Object.keys(v).find((k) => sameKey(k, p));
      v = key === undefined ? undefined : v[key];
    } else v = undefined;
  }
  return v;
}

/** The expression language's `==`: case-insensitive strings, other mixed types as numbers. */
export function looseEquals(a: Json | undefined, b: Json | undefined): boolean {
  const x = a ?? null;
  const y = b ?? null;
  if (typeof x === "object" && x !== null) return x === y;
  if (typeof y === "object" && y !== null) return false;
  if (typeof x === "string" && typeof y === "string") return x.toUpperCase() === y.toUpperCase();
  if (typeof x === typeof y) return x === y;
  return toNumber(x) === toNumber(y);
}

function toNumber(v: null | boolean | number | string): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  const s = v.trim();
  return s === "" ? 0 : Number(s);
}

function sameKey(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}

function isObj(v: Json | undefined): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// GitHub names a leg by every non-empty scalar inside its values, nested ones included.
function segments(v: Json, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const item of v) segments(item, out);
  else if (isObj(v)) for (const item of Object.values(v)) segments(item, out);
  else if (v !== null && v !== "") out.push(String(v));
  return out;
}

/** The "(a, b)" GitHub appends to a matrix job's name, from the given values; "" for none. */
export function legSuffix(leg: Obj): string {
  const parts = segments(leg);
  return parts.length ? `(${parts.join(", ")})` : "";
}

/** A leg's display name: the job name plus suffix, cut to GitHub's 100 characters. */
export function legName(jobName: string, suffix: string): string {
  const name = suffix ? `${jobName} ${suffix}` : jobName;
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 3)}...` : name;
}
