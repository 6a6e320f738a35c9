import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { Db } from "./db.js";
import { migrate, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from "./migrations.js";
import { historyPath, openHistory } from "./open.js";
import { PgDb } from "./pg-db.js";
import { sqlite } from "./sqlite.js";
import { SqliteDb } from "./sqlite-db.js";
import { backends, tempRoots } from "./test-helpers.js";

const root = tempRoots();
const version = (db: import("node:sqlite").DatabaseSync) =>
  (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;

test("a new database gets every migration, in WAL mode with foreign keys on", async () => {
  const dir = root();
  const db = (await openHistory(dir))! as SqliteDb;
  expect(version(db.raw)).toBe(SQLITE_MIGRATIONS.length);
  expect(db.raw.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
  expect(db.raw.prepare("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
  expect((db.raw.prepare("PRAGMA busy_timeout").get() as { timeout: number }).timeout).toBe(5000);
  await db.close();
});

test("the back ends have the same steps: same tables and columns at each version", () => {
  expect(POSTGRES_MIGRATIONS.length).toBe(SQLITE_MIGRATIONS.length);
  const columns = (sql: string) =>
    [...sql.matchAll(/CREATE TABLE (\w+) \(([^;]*)\)/g)].map(([, t, body]) => [
      t,
      body!
        .split("\n")
        .map((l) => /^\s*([a-z_]+) [A-Z]/.exec(l)?.[1])
        .filter(Boolean),
    ]);
  expect(POSTGRES_MIGRATIONS.map(columns)).toEqual(SQLITE_MIGRATIONS.map(columns));
});

test("an old-version database is migrated at open, keeping its runs", async () => {
  const dir = root();
  // Made as version 1 of the schema was, with a run in it.
  const { DatabaseSync } = sqlite();
  const path = historyPath(dir);
  mkdirSync(join(dir, ".slipway"));
  const old = new DatabaseSync(path);
  await migrate(new SqliteDb(old, path), SQLITE_MIGRATIONS.slice(0, 1));
  expect(version(old)).toBe(1);
  old
    .prepare(
      `INSERT INTO runs (number, run_id, workflows, event, ref, sha, actor, result, started_at, ended_at, pid, folder)
       VALUES (7, 'r7', '["ci.yml"]', 'push', 'refs/heads/main', 'abc', 'me', 'success', 1, 2, 1, 'x')`,
    )
    .run();
  old.close();
  const db = (await openHistory(dir))! as SqliteDb;
  expect(version(db.raw)).toBe(SQLITE_MIGRATIONS.length);
  expect(await db.all("SELECT number, result FROM runs")).toEqual([{ number: 7, result: "success" }]);
  // Version 2's tables exist now.
  expect(await db.get("SELECT count(*) AS n FROM log_index")).toEqual({ n: 0 });
  await db.close();
});

test("a failing migration leaves the database as it was (one transaction)", async () => {
  const dir = root();
  const { DatabaseSync } = sqlite();
  const raw = new DatabaseSync(join(dir, "t.db"));
  await expect(
    migrate(new SqliteDb(raw, "t.db"), [
      ...SQLITE_MIGRATIONS,
      "CREATE TABLE extra (x); CREATE TABLE runs (y)",
    ]),
  ).rejects.toThrow();
  expect(version(raw)).toBe(0);
  expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master").get()).toEqual({ n: 0 });
  raw.close();
});

test("a database from a newer Slipway is refused with a clear message", async () => {
  const { DatabaseSync } = sqlite();
  const raw = new DatabaseSync(":memory:");
  raw.exec(`PRAGMA user_version = ${SQLITE_MIGRATIONS.length + 1}`);
  await expect(migrate(new SqliteDb(raw, ":memory:"))).rejects.toThrow(
    `schema version ${SQLITE_MIGRATIONS.length + 1}; this Slipway knows up to ${SQLITE_MIGRATIONS.length}`,
  );
  raw.close();
});

const postgres = backends().filter((b) => b.name === "postgres");

describe.each(postgres)("$name", (b) => {
  const connect = async (url: string): Promise<Db> => PgDb.connect(url, "test");

  test("schema_migrations lists each step; a failing step leaves the database as it was", async () => {
    const { url } = await b.fresh();
    const db = await connect(url!);
    await expect(
      migrate(db, [...POSTGRES_MIGRATIONS, "CREATE TABLE extra (x int); CREATE TABLE runs (y int)"]),
    ).rejects.toThrow(/runs/);
    expect(await db.get("SELECT to_regclass('runs')::text AS t")).toEqual({ t: null });
    await migrate(db);
    expect(
      (await db.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).map(
        (r) => r.version,
      ),
    ).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    await db.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", [
      POSTGRES_MIGRATIONS.length + 1,
    ]);
    await expect(migrate(db)).rejects.toThrow(`this Slipway knows up to ${POSTGRES_MIGRATIONS.length}`);
    await db.close();
  });

  test("processes starting at once migrate once (an advisory lock); none fails", async () => {
    const { url } = await b.fresh();
    const dbs = await Promise.all(Array.from({ length: 4 }, () => connect(url!)));
    await Promise.all(dbs.map((db) => migrate(db)));
    expect(await dbs[0]!.get("SELECT count(*) AS n FROM schema_migrations")).toEqual({
      n: POSTGRES_MIGRATIONS.length,
    });
    await Promise.all(dbs.map((db) => db.close()));
  });
});
