import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { RunFolder } from "../report/run-folder.js";
import { eventGate } from "../run/event-gate.js";
import { Masker } from "../run/mask.js";
import { addEventLines, eventLinesAfter, eventLinesWith, runEnded } from "./event-lines.js";
import { historyRepo, openHistory } from "./open.js";
import { Recorder } from "./recorder.js";
import { backends, freshHistory, newRun } from "./test-helpers.js";
import { insertRun } from "./writes.js";

describe.each(backends())("$name", (b) => {
  test("event lines: a batch is added once (sent again, it changes nothing), read after a seq in seq order", async () => {
    const { db } = await freshHistory(b);
    const lines = (from: number, to: number, text = "x") =>
      Array.from({ length: to - from + 1 }, (_, i) => ({
        seq: from + i,
        line: `{"seq":${from + i},"t":"${text}"}`,
      }));
    await db.batch([addEventLines(db.repo, 7, lines(1, 5))]);
    // Sent again (a retry after a lost answer): the first copy stays.
    await db.batch([addEventLines(db.repo, 7, lines(1, 5, "again"))]);
    await db.batch([addEventLines(db.repo, 7, lines(6, 8))]);
    // Another run's lines and another repository's are not this run's.
    await db.batch([addEventLines(db.repo, 8, lines(1, 3)), addEventLines("elsewhere", 7, lines(9, 9))]);
    expect(await eventLinesAfter(db, 7, 0)).toEqual(lines(1, 8));
    // From inside a batch: only the lines after the seq; at most `batches` batches at a time.
    expect(await eventLinesAfter(db, 7, 3, 1)).toEqual(lines(4, 5));
    expect(await eventLinesAfter(db, 7, 5)).toEqual(lines(6, 8));
    expect(await eventLinesAfter(db, 7, 8)).toEqual([]);
    expect(await eventLinesWith(db, 7, '"t":"x"')).toEqual(lines(1, 8).map((l) => l.line));
    expect(await eventLinesWith(db, 7, '"seq":7,')).toEqual([lines(7, 7)[0]!.line]);
    expect(await runEnded(db, 7)).toBeUndefined();
    await insertRun(db, newRun(7));
    expect(await runEnded(db, 7)).toBe(false);
    await db.run("UPDATE runs SET ended_at = 1 WHERE number = 7");
    expect(await runEnded(db, 7)).toBe(true);
    await db.close();
  });

  test("the recorder keeps events.jsonl's lines (masked as they are) in the database on PostgreSQL only", async () => {
    const { root: dir, url } = await b.fresh();
    const folder = join(dir, ".slipway", "runs", "3");
    const rf = new RunFolder(folder);
    const rec = Recorder.start(
      dir,
      newRun(3),
      (m) => {
        throw new Error(m);
      },
      url,
    );
    const masker = new Masker();
    masker.add("s3cr3t");
    const emit = eventGate("run-3", masker, (e) => {
      rf.on(e);
      rec.on(e);
    });
    emit({ type: "run-start", runNumber: 3, runId: "run-3", event: "push", workflows: ["ci.yml"] });
    emit({ type: "job-start", job: "a", name: "a" });
    // More than one batch (500 events), with a secret in some.
    for (let i = 0; i < 1200; i++)
      emit({ type: "log", job: "a", stream: "stdout", text: `line ${i} s3cr3t` });
    emit({ type: "job-end", job: "a", name: "a", result: "success", durationMs: 1, outputs: {} });
    emit({ type: "run-end", result: "success", durationMs: 2 });
    await rf.close();
    await rec.close();
    const file = readFileSync(join(folder, "events.jsonl"), "utf8").trimEnd().split("\n");
    const db = (await openHistory(dir, true, url))!;
    const stored = await eventLinesAfter(db, 3, 0, 1000);
    if (b.name === "sqlite") expect(stored).toEqual([]);
    else {
      expect(stored.map((l) => l.line)).toEqual(file);
      expect(stored.map((l) => l.seq)).toEqual(file.map((_, i) => i + 1));
      expect(stored.some((l) => l.line.includes("s3cr3t"))).toBe(false);
      expect(stored[5]!.line).toContain('"line 3 ***"');
    }
    await db.close();
  });
});

test("SLIPWAY_HISTORY_REPO names a repository the same on every machine (with its folder's name); else this machine's folder", () => {
  const before = process.env.SLIPWAY_HISTORY_REPO;
  try {
    delete process.env.SLIPWAY_HISTORY_REPO;
    expect(historyRepo("/data/repos/origin")).toBe(`${hostname()}:/data/repos/origin`);
    process.env.SLIPWAY_HISTORY_REPO = "ci";
    expect(historyRepo("/data-a/repos/origin")).toBe("ci:origin");
    expect(historyRepo("/elsewhere/repos/origin")).toBe("ci:origin");
  } finally {
    if (before === undefined) delete process.env.SLIPWAY_HISTORY_REPO;
    else process.env.SLIPWAY_HISTORY_REPO = before;
  }
});
