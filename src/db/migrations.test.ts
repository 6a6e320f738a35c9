import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { MIGRATIONS, migrate } from "./migrations.js";
import { historyPath, openHistory } from "./open.js";
import { sqlite } from "./sqlite.js";
import { tempRoots } from "./test-helpers.js";

const root = tempRoots();
const version = (db: import("node:sqlite").DatabaseSync) =>
  (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;

test("a new database gets every migration, in WAL mode with foreign keys on", () => {
  const dir = root();
  const db = openHistory(dir)!;
  expect(version(db)).toBe(MIGRATIONS.length);
  expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
  expect(db.prepare("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
  expect((db.prepare("PRAGMA busy_timeout").get() as { timeout: number }).timeout).toBe(5000);
  db.close();
});

test("an old-version database is migrated at open, keeping its runs", () => {
  const dir = root();
  // Made as version 1 of the schema was, with a run in it.
  const { DatabaseSync } = sqlite();
  const path = historyPath(dir);
  mkdirSync(join(dir, ".slipway"));
  const old = new DatabaseSync(path);
  migrate(old, MIGRATIONS.slice(0, 1));
  expect(version(old)).toBe(1);
  old
    .prepare(
      `INSERT INTO runs (number, run_id, workflows, event, ref, sha, actor, result, started_at, ended_at, pid, folder)
       VALUES (7, 'r7', '["ci.yml"]', 'push', 'refs/heads/main', 'abc', 'me', 'success', 1, 2, 1, 'x')`,
    )
    .run();
  old.close();
  const db = openHistory(dir)!;
  expect(version(db)).toBe(MIGRATIONS.length);
  expect(db.prepare("SELECT number, result FROM runs").all()).toEqual([{ number: 7, result: "success" }]);
  // Version 2's tables exist now.
  expect(db.prepare("SELECT count(*) AS n FROM log_index").get()).toEqual({ n: 0 });
  db.close();
});

test("a failing migration leaves the database as it was (one transaction)", () => {
  const dir = root();
  const { DatabaseSync } = sqlite();
  const db = new DatabaseSync(join(dir, "t.db"));
  expect(() => migrate(db, [...MIGRATIONS, "CREATE TABLE extra (x); CREATE TABLE runs (y)"])).toThrow();
  expect(version(db)).toBe(0);
  expect(db.prepare("SELECT count(*) AS n FROM sqlite_master").get()).toEqual({ n: 0 });
  db.close();
});

test("a database from a newer Slipway is refused with a clear message", () => {
  const { DatabaseSync } = sqlite();
  const db = new DatabaseSync(":memory:");
  db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
  expect(() => migrate(db)).toThrow(
    `schema version ${MIGRATIONS.length + 1}; this Slipway knows up to ${MIGRATIONS.length}`,
  );
  db.close();
});
