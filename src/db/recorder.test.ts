import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { RunFolder } from "../report/run-folder.js";
import { eventGate } from "../run/event-gate.js";
import type { Emit } from "../run/events.js";
import { Masker } from "../run/mask.js";
import { historyPath, openHistory } from "./open.js";
import { jobsOfRun, runByNumber } from "./reads.js";
import { Recorder } from "./recorder.js";
import { backends, newRun, tempRoots } from "./test-helpers.js";

const root = tempRoots();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function aRun(emit: Emit): void {
  emit({ type: "run-start", runNumber: 1, runId: "run-1", event: "push", workflows: ["ci.yml"] });
  emit({ type: "job-queued", job: "build", name: "build", workflow: "ci.yml" });
  for (const leg of [1, 2]) {
    const job = `build.${leg}`;
    emit({ type: "job-start", job, name: `build (${leg})` });
    emit({ type: "log", job, stream: "info", text: "set up" });
    emit({ type: "step-start", job, step: 0, name: "compile" });
    emit({ type: "log", job, step: 0, stream: "stdout", text: "a\nb" });
    emit({
      type: "annotation",
      job,
      step: 0,
      annotation: { level: "warning", message: "w", file: "x.c", line: 3 },
    });
    emit({ type: "summary", job, step: 0, markdown: "# sum" });
    emit({
      type: "test-results",
      job,
      step: 0,
      report: "pytest",
      cases: [
        { suite: "s", name: "ok", durationMs: 4, outcome: "passed" },
        {
          suite: "s",
          name: "bad",
          file: "t.py",
          line: 7,
          durationMs: 2,
          outcome: "failed",
          message: "s3cr3t leaked",
        },
      ],
    });
    emit({
      type: "step-end",
      job,
      step: 0,
      name: "compile",
      outcome: "failure",
      conclusion: leg === 1 ? "success" : "failure",
      durationMs: 5,
    });
    emit({
      type: "job-end",
      job,
      name: `build (${leg})`,
      result: leg === 1 ? "success" : "failure",
      durationMs: 9,
      reason: leg === 2 ? "step failed" : undefined,
      outputs: { v: "s3cr3t-and-more" },
    });
  }
  emit({ type: "run-end", result: "failure", durationMs: 20 });
}

describe.each(backends())("$name", (b) => {
  test("a run's stream is recorded: legs, steps, annotations, summaries, and a log index matching the run folder's files", async () => {
    const { root: dir, url } = await b.fresh();
    const folder = join(dir, ".slipway", "runs", "1");
    const rf = new RunFolder(folder);
    const rec = Recorder.start(
      dir,
      newRun(1),
      (m) => {
        throw new Error(m);
      },
      url,
    )!;
    const masker = new Masker();
    masker.add("s3cr3t");
    aRun(
      eventGate("run-1", masker, (e) => {
        rf.on(e);
        rec.on(e);
      }),
    );
    await rf.close();
    await rec.close();
    const db = (await openHistory(dir, true, url))!;
    const run = (await runByNumber(db, 1))!;
    expect(run).toMatchObject({
      result: "failure",
      interrupted: null,
      workflows: [".github/workflows/ci.yml"],
    });
    expect(run.endedAt).toBeGreaterThanOrEqual(run.startedAt);
    const jobs = await jobsOfRun(db, 1);
    expect(jobs.map((j) => [j.key, j.job, j.leg, j.name, j.workflow, j.result])).toEqual([
      ["build", "build", null, "build", "ci.yml", null],
      ["build.1", "build", 1, "build (1)", "ci.yml", "success"],
      ["build.2", "build", 2, "build (2)", "ci.yml", "failure"],
    ]);
    const leg2 = jobs[2]!;
    expect(leg2.reason).toBe("step failed");
    // Past the gate: the database never sees a secret.
    expect(leg2.outputs).toEqual({ v: "***-and-more" });
    expect(leg2.steps).toMatchObject([
      { number: 0, name: "compile", outcome: "failure", conclusion: "failure" },
    ]);
    expect(leg2.steps[0]!.endedAt! - leg2.steps[0]!.startedAt!).toBeGreaterThanOrEqual(0);
    expect(leg2.annotations).toEqual([
      { step: 0, level: "warning", message: "w", title: null, file: "x.c", line: 3, col: null },
    ]);
    expect(leg2.summaries).toEqual([{ step: 0, markdown: "# sum" }]);
    // Every test case, masked like every event.
    expect(leg2.tests).toEqual([
      {
        step: 0,
        report: "pytest",
        suite: "s",
        name: "ok",
        file: null,
        line: null,
        durationMs: 4,
        outcome: "passed",
        message: null,
      },
      {
        step: 0,
        report: "pytest",
        suite: "s",
        name: "bad",
        file: "t.py",
        line: 7,
        durationMs: 2,
        outcome: "failed",
        message: "*** leaked",
      },
    ]);
    // The log index points at the lines the run folder wrote.
    const lines = readFileSync(join(folder, leg2.logs[0]!.file), "utf8").split("\n");
    const text = (s: { firstLine: number; lastLine: number }) => lines.slice(s.firstLine - 1, s.lastLine);
    const byStep = new Map(leg2.logs.map((s) => [s.step, s]));
    expect(text(byStep.get(0)!)).toEqual([
      "##[step] compile",
      "a",
      "b",
      "##[warning] x.c:3: w",
      "##[step-end] compile: failure",
    ]);
    expect(lines[byStep.get(null)!.firstLine - 1]).toBe("set up");
    expect(lines[byStep.get(null)!.lastLine - 1]).toBe("##[job-end] failure: step failed");
    // Five events from the step start to its end (the summary and test results have no log line).
    expect(byStep.get(0)!.lastSeq - byStep.get(0)!.firstSeq).toBe(5);
    await db.close();
  });

  test("events are written in batches: after 50 ms, or at once at 500 events", async () => {
    const { root: dir, url } = await b.fresh();
    const rec = Recorder.start(dir, newRun(1), () => {}, url);
    // Opened in the background: a second connection in this process waits for it (SQLite's
    // busy wait would block the event loop the first one needs to finish migrating).
    await rec.flush();
    const reader = (await openHistory(dir, true, url))!;
    const count = async () => (await reader.get<{ n: number }>("SELECT count(*) AS n FROM jobs"))!.n;
    const emit = eventGate("run-1", new Masker(), (e) => rec.on(e));
    const t0 = Date.now();
    emit({ type: "job-queued", job: "a", name: "a", workflow: "ci.yml" });
    await sleep(10);
    const early = await count();
    // Not written at once (unless a loaded machine let the 50 ms pass meanwhile).
    if (Date.now() - t0 < 40) expect(early).toBe(0);
    // Written by the timer, not by a flush (a loaded machine may take longer than 50 ms).
    for (let i = 0; i < 40 && (await count()) === 0; i++) await sleep(50);
    expect(await count()).toBe(1);
    for (let i = 0; i < 499; i++)
      emit({ type: "job-queued", job: `j${i}`, name: `j${i}`, workflow: "ci.yml" });
    expect(rec.buffered).toBe(499);
    emit({ type: "job-queued", job: "last", name: "last", workflow: "ci.yml" });
    // The 500th event sends the batch at once, without waiting for the 50 ms.
    expect(rec.buffered).toBe(0);
    await rec.flush();
    expect(await count()).toBe(501);
    await rec.close("SIGINT", "cancelled");
    expect(await runByNumber(reader, 1)).toMatchObject({ result: "cancelled", interrupted: "SIGINT" });
    await reader.close();
  });

  test("a database error is warned once and never thrown into the run", async () => {
    const { root: dir, url } = await b.fresh();
    const warnings: string[] = [];
    const rec = Recorder.start(dir, newRun(1), (m) => warnings.push(m), url);
    await rec.flush();
    const other = (await openHistory(dir, true, url))!;
    await other.exec("DROP TABLE steps");
    await other.close();
    const emit = eventGate("run-1", new Masker(), (e) => rec.on(e));
    for (let i = 0; i < 3; i++) {
      emit({ type: "step-start", job: "a", step: i, name: "s" });
      await rec.flush();
    }
    await rec.close();
    expect(warnings).toEqual([expect.stringMatching(/^run history not recorded from here on: .*steps/)]);
    expect(rec.full).toBeUndefined();
  });
  test.skipIf(b.name !== "postgres")(
    "a PostgreSQL connection that breaks mid-run (server restarted, connection killed) is warned once; the run goes on",
    async () => {
      const { root: dir, url } = await b.fresh();
      const warnings: string[] = [];
      const rec = Recorder.start(dir, newRun(1), (m) => warnings.push(m), url);
      const emit = eventGate("run-1", new Masker(), (e) => rec.on(e));
      emit({ type: "job-queued", job: "a", name: "a", workflow: "ci.yml" });
      await rec.flush();
      const admin = (await openHistory(dir, true, url))!;
      await admin.get(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      await admin.close();
      await sleep(50);
      for (let i = 0; i < 3; i++) {
        emit({ type: "step-start", job: "a", step: i, name: "s" });
        await rec.flush();
      }
      await rec.close(undefined, "success");
      expect(warnings).toEqual([expect.stringMatching(/^run history not recorded from here on: /)]);
    },
  );
});

test("a history that cannot be opened is warned about; the recorder is off", async () => {
  const dir = root();
  const warnings: string[] = [];
  await Recorder.start(dir, newRun(1), () => {}).close();
  rmSync(historyPath(dir));
  // A folder where the database file should be.
  mkdirSync(historyPath(dir));
  const rec = Recorder.start(dir, newRun(2), (m) => warnings.push(m));
  rec.on({ type: "run-end", result: "success", durationMs: 1, runId: "run-2", seq: 1, time: 1 });
  await rec.close(undefined, "success");
  expect(warnings).toEqual([expect.stringMatching(/^run history not recorded: /)]);
});

test("a PostgreSQL server that refuses is warned about once; the recorder is off", async () => {
  const warnings: string[] = [];
  const url = "postgres://slipway:s3cret@127.0.0.1:1/none";
  const rec = Recorder.start(root(), newRun(1), (m) => warnings.push(m), url);
  rec.on({ type: "run-end", result: "success", durationMs: 1, runId: "run-1", seq: 1, time: 1 });
  await rec.close(undefined, "success");
  expect(warnings).toEqual([expect.stringMatching(/^run history not recorded: .*ECONNREFUSED/)]);
  expect(warnings.join("")).not.toContain("s3cret");
});
