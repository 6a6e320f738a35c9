import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { prunable, pruneRuns } from "./prune.js";
import { jobsOfRun, listRuns } from "./reads.js";
import { backends, freshHistory, newRun } from "./test-helpers.js";
import { endRun, insertRun, startJob, upsertJob } from "./writes.js";

describe.each(backends())("$name", (b) => {
  test("runs ended before the time go — rows, jobs, event lines, folders — but never the newest N, a running one, or a folder outside .slipway/runs", async () => {
    const { db, root } = await freshHistory(b);
    for (const n of [1, 2, 3, 4, 5]) {
      const id = await insertRun(db, newRun(n, n === 2 ? { folder: "../elsewhere" } : {}));
      await db.batch([upsertJob(id, "a", "a"), startJob(id, "a", 1_000_000 + n)]);
      // Run 4 is still running; the others ended at 10, 20, ... s.
      if (n !== 4) await db.batch([endRun(id, "success", n * 10_000)]);
      mkdirSync(join(root, ".slipway", "runs", String(n)), { recursive: true });
      writeFileSync(join(root, ".slipway", "runs", String(n), "events.jsonl"), "{}\n");
      await db.run(
        "INSERT INTO run_event_lines (repo, run, first_seq, last_seq, lines) VALUES (?, ?, 1, 1, ?)",
        [db.repo, n, "{}\n"],
      );
    }
    mkdirSync(join(root, "elsewhere"), { recursive: true });
    // Ended before 35 s, the newest one kept: runs 1, 2 and 3 (4 runs, 5 is the newest).
    expect((await prunable(db, 35_000, 1)).map((r) => r.number)).toEqual([1, 2, 3]);
    // The newest 3 kept (3, 4, 5): 1 and 2.
    expect((await prunable(db, 35_000, 3)).map((r) => r.number)).toEqual([1, 2]);
    const gone = await pruneRuns(db, root, 35_000, 1);
    expect(gone.map((r) => r.number)).toEqual([1, 2, 3]);
    expect((await listRuns(db, { limit: 10 })).map((r) => r.number)).toEqual([5, 4]);
    expect(await jobsOfRun(db, 1)).toEqual([]);
    const lines = await db.all<{ run: number }>(
      "SELECT run FROM run_event_lines WHERE repo = ? ORDER BY run",
      [db.repo],
    );
    expect(lines.map((l) => Number(l.run))).toEqual([4, 5]);
    for (const n of [1, 3]) expect(existsSync(join(root, ".slipway", "runs", String(n)))).toBe(false);
    // Run 2's row named a folder outside the runs' folder: its row went, that folder stayed.
    expect(existsSync(join(root, "elsewhere"))).toBe(true);
    for (const n of [4, 5]) expect(existsSync(join(root, ".slipway", "runs", String(n)))).toBe(true);
    // Run 7 is attempt 2 of run 6: 6 stays while 7 does (a re-run takes its run_id from it).
    const six = await insertRun(db, newRun(6));
    await db.batch([endRun(six, "success", 60_000)]);
    const seven = await insertRun(db, newRun(7));
    await db.batch([endRun(seven, "success", 70_000)]);
    await db.run("UPDATE runs SET attempt = 2, attempt_of = 6 WHERE number = 7");
    expect((await prunable(db, 65_000, 1)).map((r) => r.number)).toEqual([5]);
    // Everything older: the newest always stays (7), and the running one (4), and 6 for 7.
    expect((await pruneRuns(db, root, Date.now(), 0)).map((r) => r.number)).toEqual([5]);
    await db.close();
  });
});
