import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { alive } from "./interrupted.js";
import { openHistory } from "./open.js";
import { runByNumber } from "./reads.js";
import { backends, freshHistory, newRun } from "./test-helpers.js";
import { insertRun, startJob, upsertJob } from "./writes.js";

describe.each(backends())("$name", (b) => {
  test("a run left open by a process that is gone is marked interrupted at the next open; a live one is not", async () => {
    const gone = spawnSync("true").pid!;
    expect(alive(gone)).toBe(false);
    expect(alive(process.ppid)).toBe(true);
    const { db, root, url } = await freshHistory(b);
    const dead = await insertRun(db, newRun(1, { pid: gone }));
    await db.batch([upsertJob(dead, "a", "a"), startJob(dead, "a", 1_005_000)]);
    await insertRun(db, newRun(2, { pid: process.ppid }));
    await db.close();
    const again = (await openHistory(root, true, url))!;
    expect(await runByNumber(again, 1)).toMatchObject({
      result: "cancelled",
      interrupted: "lost",
      endedAt: 1_005_000,
    });
    expect(await runByNumber(again, 2)).toMatchObject({ result: null, interrupted: null, endedAt: null });
    await again.close();
  });

  test("a run of another machine (its pid is not this machine's) is left as it is", async () => {
    const gone = spawnSync("true").pid!;
    const { db, root, url } = await freshHistory(b);
    await insertRun(db, newRun(1, { pid: gone }));
    await db.run("UPDATE runs SET host = 'another-machine' WHERE number = 1");
    await db.close();
    const again = (await openHistory(root, true, url))!;
    expect(await runByNumber(again, 1)).toMatchObject({ result: null, interrupted: null, endedAt: null });
    await again.close();
  });
});
