// The history's answer to "did a leg with this key succeed before?": the latest such run,
// with what a reuse restores (outputs, artifacts, step summaries).
import type { Db } from "../../db/db.js";

export interface Earlier {
  /** The run's number and folder (relative to the repository). */
  run: number;
  folder: string;
  endedAt: number;
  outputs: Record<string, string>;
  artifacts: { name: string; files: number; size: number; path: string }[];
  summaries: { step: number; markdown: string }[];
  parts: Record<string, string>;
}

/** The latest successful leg with this reuse key, in a run other than `except`. */
export async function findSucceeded(db: Db, key: string, except: number): Promise<Earlier | undefined> {
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
     ORDER BY runs.number DESC LIMIT 1`,
    [db.repo, key, except],
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
  return {
    run: Number(row.number),
    folder: row.folder,
    endedAt: Number(row.ended_at),
    outputs: row.outputs ? (JSON.parse(row.outputs) as Record<string, string>) : {},
    artifacts: artifacts.map((a) => ({ ...a, files: Number(a.files), size: Number(a.size) })),
    summaries: summaries.map((s) => ({ ...s, step: Number(s.step) })),
    parts: row.reuse_parts ? (JSON.parse(row.reuse_parts) as Record<string, string>) : {},
  };
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
