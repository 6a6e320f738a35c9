import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { openHistory } from "../db/open.js";
import { jobsOfRun, runByNumber } from "../db/reads.js";
import { Recorder } from "../db/recorder.js";
import { backends, newRun } from "../db/test-helpers.js";
import { RunFolder } from "../report/run-folder.js";
import { eventGate } from "../run/event-gate.js";
import type { StampedEvent } from "../run/events.js";
import { Masker } from "../run/mask.js";
import { jobLog } from "./job-log.js";
import { jobPage } from "./job-page.js";
import { recordedSeq } from "./live-seq.js";

// The history database is written a batch behind the run folder's events.jsonl. A live page
// drawn from the database must not follow the stream from the file's end (it would skip a job's
// end the database does not have yet, and show it running for good): the run page follows from
// what the database recorded; the job page, whose log is the file's, takes the job's end from it.

describe.each(backends())("$name", (b) => {
  test("a job's end in the file, not yet in the database: the run page follows from before it, the job page shows it", async () => {
    const { root, url } = await b.fresh();
    const folder = join(root, ".slipway", "runs", "1");
    const rf = new RunFolder(folder);
    const rec = Recorder.start(root, newRun(1), (m) => expect.fail(m), url);
    let toDb = true;
    const seqs: Record<string, number> = {};
    const emit = eventGate("run-1", new Masker(), (e: StampedEvent) => {
      rf.on(e);
      if (toDb) rec.on(e);
      seqs[e.type] = e.seq;
    });
    emit({ type: "run-start", runNumber: 1, runId: "run-1", event: "push", workflows: ["cd.yml"] });
    emit({ type: "job-queued", job: "deploy", name: "deploy", workflow: "cd.yml" });
    emit({ type: "job-start", job: "deploy", name: "deploy" });
    emit({ type: "log", job: "deploy", stream: "stdout", text: "deploying" });
    await rec.flush();
    // The next batch is not written yet.
    toDb = false;
    emit({ type: "job-end", job: "deploy", name: "deploy", result: "success", durationMs: 5, outputs: {} });
    await rf.close();
    await rec.close();
    const db = (await openHistory(root, false, url))!;
    try {
      expect((await runByNumber(db, 1))!.result).toBeNull();
      const [deploy] = await jobsOfRun(db, 1);
      expect(deploy!.result).toBeNull();
      const seq = await recordedSeq(db, 1);
      expect(seq).toBe(seqs.log);
      expect(seq).toBeLessThan(seqs["job-end"]!);
      expect(await recordedSeq(db, 2)).toBe(0);
      const log = jobLog(folder, "deploy");
      expect(log).toMatchObject({ ended: "success", lastSeq: seqs["job-end"] });
      const run = (await runByNumber(db, 1))!;
      const html = jobPage("o/r", run, deploy!, log, true);
      expect(html).toContain('<span id="job-status"><span class="st success">success</span>');
      expect(html).not.toContain("data-live=");
      // While the job goes on, the page follows it.
      const going = jobLog(folder, "deploy");
      delete going.ended;
      expect(jobPage("o/r", run, deploy!, going, true)).toContain(`data-live="${seqs["job-end"]}"`);
    } finally {
      await db.close();
    }
  });
});
