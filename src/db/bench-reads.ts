import type { BenchmarkResult } from "../run/events.js";
import type { Db } from "./db.js";

/** The benchmark results of the history: the gate's baseline and `slipway stats --bench`. */

interface Row {
  name: string;
  value: number;
  unit: string;
  range: string | null;
  extra: string | null;
  big: number;
}

const COLUMNS = `b.name, b.value, b.unit, b.value_range AS "range", b.extra, b.bigger_is_better AS big`;

const result = (r: Row): BenchmarkResult => ({
  name: r.name,
  value: Number(r.value),
  unit: r.unit,
  ...(r.range !== null ? { range: r.range } : {}),
  ...(r.extra !== null ? { extra: r.extra } : {}),
  biggerIsBetter: Number(r.big) === 1,
});

export interface Baseline {
  run: number;
  sha: string;
  results: BenchmarkResult[];
}

/**
 * The results of suite `suite` in the last successful run on `ref` (the default branch) that
 * recorded it; undefined when there is none. A run still going (this one) has no result yet.
 */
export async function benchBaseline(db: Db, suite: string, ref: string): Promise<Baseline | undefined> {
  const run = await db.get<{ id: number; number: number; sha: string }>(
    `SELECT r.id, r.number, r.sha FROM runs r
     WHERE r.repo = ? AND r.ref = ? AND r.result = 'success'
       AND EXISTS (SELECT 1 FROM benchmarks b JOIN jobs j ON j.id = b.job WHERE j.run = r.id AND b.suite = ?)
     ORDER BY r.started_at DESC, r.id DESC LIMIT 1`,
    [db.repo, ref, suite],
  );
  if (!run) return undefined;
  const rows = await db.all<Row>(
    `SELECT ${COLUMNS} FROM benchmarks b JOIN jobs j ON j.id = b.job WHERE j.run = ? AND b.suite = ? ORDER BY b.id`,
    [run.id, suite],
  );
  return { run: Number(run.number), sha: run.sha, results: rows.map(result) };
}

export interface BenchSeries {
  suite: string;
  name: string;
  unit: string;
  biggerIsBetter: boolean;
  /** Oldest first, one per run that recorded it. */
  points: { run: number; ref: string; value: number }[];
  /** The newest value against the one before it (0.1: 10% higher); null with one point. */
  change: number | null;
  /** The change is for the worse (slower, or fewer operations per second). */
  worse: boolean;
}

/** Each benchmark's values over the last `last` finished runs that recorded benchmarks. */
export async function benchSeries(db: Db, last: number): Promise<BenchSeries[]> {
  const rows = await db.all<Row & { suite: string; run: number; ref: string }>(
    `SELECT b.suite, r.number AS run, r.ref, ${COLUMNS}
     FROM benchmarks b JOIN jobs j ON j.id = b.job JOIN runs r ON r.id = j.run
     WHERE r.id IN (SELECT r2.id FROM runs r2 WHERE r2.repo = ?1 AND r2.ended_at IS NOT NULL
       AND EXISTS (SELECT 1 FROM benchmarks b2 JOIN jobs j2 ON j2.id = b2.job WHERE j2.run = r2.id)
       ORDER BY r2.started_at DESC LIMIT ?2)
     ORDER BY r.started_at, b.id`,
    [db.repo, last],
  );
  const out = new Map<string, BenchSeries>();
  for (const r of rows) {
    const key = `${r.suite}\0${r.name}\0${r.unit}`;
    let s = out.get(key);
    if (!s) {
      s = {
        suite: r.suite,
        name: r.name,
        unit: r.unit,
        biggerIsBetter: Number(r.big) === 1,
        points: [],
        change: null,
        worse: false,
      };
      out.set(key, s);
    }
    s.points.push({ run: Number(r.run), ref: r.ref, value: Number(r.value) });
  }
  for (const s of out.values()) {
    const [prev, cur] = s.points.slice(-2);
    if (!cur || !prev || prev.value === 0) continue;
    s.change = cur.value / prev.value - 1;
    s.worse = s.biggerIsBetter ? s.change < 0 : s.change > 0;
  }
  return [...out.values()];
}

export type { Row as BenchRowRaw };
/** Each result's row in a run's history (by job id): `slipway history <run>`. */
export { COLUMNS as BENCH_COLUMNS, result as benchRowResult };
