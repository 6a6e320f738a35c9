import { spawnSync } from "node:child_process";
import { expect, test } from "vitest";
import { alive } from "./interrupted.js";
import { openHistory } from "./open.js";
import { runByNumber } from "./reads.js";
import { newRun, tempRoots } from "./test-helpers.js";
import { transaction } from "./transaction.js";
import { insertRun, jobRow, startJob } from "./writes.js";

const root = tempRoots();

test("a run left open by a process that is gone is marked interrupted at the next open; a live one is not", () => {
  const dir = root();
  const gone = spawnSync("true").pid!;
  expect(alive(gone)).toBe(false);
  expect(alive(process.ppid)).toBe(true);
  const db = openHistory(dir)!;
  transaction(db, () => {
    const dead = insertRun(db, newRun(1, { pid: gone }));
    startJob(db, jobRow(db, dead, "a", "a"), 1_005_000);
    insertRun(db, newRun(2, { pid: process.ppid }));
  });
  db.close();
  const again = openHistory(dir)!;
  expect(runByNumber(again, 1)).toMatchObject({
    result: "cancelled",
    interrupted: "lost",
    endedAt: 1_005_000,
  });
  expect(runByNumber(again, 2)).toMatchObject({ result: null, interrupted: null, endedAt: null });
  again.close();
});
