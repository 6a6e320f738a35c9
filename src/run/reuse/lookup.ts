// The history's answer to "did a leg with this key succeed before?": the latest such run,
// with what a reuse restores (outputs, artifacts, step summaries).
import type { Db } from "../../db/db.js";
import type { FileCoverage, TestCase, TestOutcome } from "../events.js";

export interface Earlier {
  /** The run's number and folder (relative to the repository). */
  run: number;
  folder: string;
  endedAt: number;
  outputs: Record<string, string>;
  artifacts: { name: string; files: number; size: number; path: string }[];
  summaries: { step: number; markdown: string }[];
  /** The test cases each test-report step read, by step and report. */
  tests: { step: number; report: string; cases: TestCase[] }[];
  /** The line coverage each codecov step read, by step. */
  coverage: { step: number; files: FileCoverage[] }[];
  parts: Record<string, string>;
}

/**
 * The latest successful leg with this reuse key, in a run other than `except`; with `only`,
 * in that run alone (a re-run of failed jobs keeps what its own run did).
 */
export async function findSucceeded(
  db: Db,
  key: string,
  except: number,
  only?: number,
): Promise<Earlier | undefined> {
  const row = await db.get<{
    id: number;
    number: number;
    folder: string;
    ended_at: number;
    outputs: string | null;
    reuse_parts: string | null;
  }>(
    `SELECT jobs.id, runs.number, runs.folder, jobs.ended_at, jobs.outputs, jobs.reuse_parts FROM jobs
     JOIN runs ON runs.id = jobs.run
     WHERE runs.repo = ?1 AND jobs.reuse_key = ?2 AND jobs.result = 'success' AND runs.number <> ?3
       AND (?4 < 0 OR runs.number = ?4)
     ORDER BY runs.number DESC LIMIT 1`,
    [db.repo, key, except, only ?? -1],
  );
  if (!row) return undefined;
  const artifacts = await db.all<{ name: string; files: number; size: number; path: string }>(
    "SELECT name, files, size, path FROM artifacts WHERE job = ?1 ORDER BY id",
    [row.id],
  );
  const summaries = await db.all<{ step: number; markdown: string }>(
    "SELECT step, markdown FROM summaries WHERE job = ?1 ORDER BY id",
    [row.id],
  );
  const cases = await db.all<CaseRow>(
    "SELECT step, report, suite, name, file, line, duration_ms, outcome, message FROM test_cases WHERE job = ?1 ORDER BY id",
    [row.id],
  );
  const covered = await db.all<{ step: number; path: string; lines: number; hit: number }>(
    "SELECT step, path, lines, hit FROM coverage_files WHERE job = ?1 ORDER BY id",
    [row.id],
  );
  return {
    run: Number(row.number),
    folder: row.folder,
    endedAt: Number(row.ended_at),
    outputs: row.outputs ? (JSON.parse(row.outputs) as Record<string, string>) : {},
    artifacts: artifacts.map((a) => ({ ...a, files: Number(a.files), size: Number(a.size) })),
    summaries: summaries.map((s) => ({ ...s, step: Number(s.step) })),
    tests: groupTests(cases),
    coverage: groupCoverage(covered),
    parts: row.reuse_parts ? (JSON.parse(row.reuse_parts) as Record<string, string>) : {},
  };
}

type CaseRow = {
  step: number;
  report: string;
  suite: string;
  name: string;
  file: string | null;
  line: number | null;
  duration_ms: number;
  outcome: string;
  message: string | null;
};

/** Test cases back into the test-results events they were recorded from (step, report). */
function groupTests(rows: CaseRow[]): Earlier["tests"] {
  const out = new Map<string, Earlier["tests"][number]>();
  for (const r of rows) {
    const step = Number(r.step);
    const id = `${step}\0${r.report}`;
    const g = out.get(id) ?? { step, report: r.report, cases: [] };
    out.set(id, g);
    g.cases.push({
      suite: r.suite,
      name: r.name,
      ...(r.file !== null ? { file: r.file } : {}),
      ...(r.line !== null ? { line: Number(r.line) } : {}),
      durationMs: Number(r.duration_ms),
      outcome: r.outcome as TestOutcome,
      ...(r.message !== null ? { message: r.message } : {}),
    });
  }
  return [...out.values()];
}

function groupCoverage(
  rows: { step: number; path: string; lines: number; hit: number }[],
): Earlier["coverage"] {
  const out = new Map<number, FileCoverage[]>();
  for (const r of rows) {
    const step = Number(r.step);
    const files = out.get(step) ?? [];
    files.push({ path: r.path, lines: Number(r.lines), hit: Number(r.hit) });
    out.set(step, files);
  }
  return [...out].map(([step, files]) => ({ step, files }));
}

/** The latest parts recorded for a leg key (any result), to say which part of its key changed. */
export async function lastParts(
  db: Db,
  legKey: string,
  except: number,
): Promise<Record<string, string> | undefined> {
  const row = await db.get<{ reuse_parts: string }>(
    `SELECT jobs.reuse_parts FROM jobs JOIN runs ON runs.id = jobs.run
     WHERE runs.repo = ?1 AND jobs.key = ?2 AND jobs.reuse_parts IS NOT NULL AND runs.number <> ?3
     ORDER BY runs.number DESC LIMIT 1`,
    [db.repo, legKey, except],
  );
  return row ? (JSON.parse(row.reuse_parts) as Record<string, string>) : undefined;
}
