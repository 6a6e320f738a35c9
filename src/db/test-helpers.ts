import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { Db } from "./db.js";
import { openHistory } from "./open.js";
import { PgDb } from "./pg-db.js";
import type { NewRun } from "./writes.js";

/** A temporary repository root for each call, removed after the file's tests. */
export function tempRoots(): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), "slipway-db-"));
    dirs.push(d);
    return d;
  };
}

/** A PostgreSQL server to test against: SLIPWAY_TEST_DATABASE_URL (.ci/run starts one). */
export const TEST_DATABASE_URL = process.env.SLIPWAY_TEST_DATABASE_URL || undefined;

/**
 * The back ends the history tests run against: SQLite always, PostgreSQL when a server is
 * given. `fresh()` is an empty history of its own: a new repository folder and, on
 * PostgreSQL, a new database (slipway_test_<random>), dropped after the file's tests.
 */
export interface Backend {
  name: "sqlite" | "postgres";
  /** A new repository root and, on PostgreSQL, the URL of a new empty database. */
  fresh(): Promise<{ root: string; url?: string }>;
}

export function backends(): Backend[] {
  const root = tempRoots();
  const sqlite: Backend = { name: "sqlite", fresh: async () => ({ root: root() }) };
  if (!TEST_DATABASE_URL) return [sqlite];
  const made: string[] = [];
  afterAll(async () => {
    if (made.length === 0) return;
    const admin = await PgDb.connect(TEST_DATABASE_URL, "");
    for (const name of made) await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  });
  const postgres: Backend = {
    name: "postgres",
    fresh: async () => ({ root: root(), url: await freshDatabase(made) }),
  };
  return [sqlite, postgres];
}

/** A new empty database on the test server; its name is added to `made`. */
export async function freshDatabase(made: string[]): Promise<string> {
  const name = `slipway_test_${randomBytes(6).toString("hex")}`;
  const admin = await PgDb.connect(TEST_DATABASE_URL!, "");
  try {
    await admin.exec(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  made.push(name);
  const u = new URL(TEST_DATABASE_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

/** An open history on a fresh back end. */
export async function freshHistory(b: Backend): Promise<{ db: Db; root: string; url?: string }> {
  const f = await b.fresh();
  return { ...f, db: (await openHistory(f.root, true, f.url))! };
}

export function newRun(number: number, over: Partial<NewRun> = {}): NewRun {
  return {
    number,
    runId: `run-${number}`,
    workflows: [".github/workflows/ci.yml"],
    event: "push",
    ref: "refs/heads/main",
    sha: "a".repeat(40),
    actor: "octocat",
    startedAt: 1_000_000 + number * 1000,
    pid: process.pid,
    folder: `.slipway/runs/${number}`,
    ...over,
  };
}
