import { describe, expect, test } from "vitest";
import { eventGate } from "./event-gate.js";
import type { RunEvent, StampedEvent } from "./events.js";
import { Masker } from "./mask.js";

function gate(...secrets: string[]) {
  const m = new Masker();
  for (const s of secrets) m.add(s);
  const seen: StampedEvent[] = [];
  return { emit: eventGate("run-1", m, (e) => seen.push(e)), seen, m };
}

describe("eventGate", () => {
  test("masks every string of every event, at any depth", () => {
    const { emit, seen } = gate("s3cr3t");
    emit({ type: "job-start", job: "j", name: "deploy s3cr3t" });
    emit({ type: "step-start", job: "j", step: 0, name: "step s3cr3t" });
    emit({
      type: "annotation",
      job: "j",
      annotation: { level: "error", message: "m s3cr3t", title: "t s3cr3t", file: "s3cr3t.ts", line: 1 },
    });
    emit({
      type: "job-end",
      job: "j",
      name: "n s3cr3t",
      result: "failure",
      durationMs: 1,
      reason: "because s3cr3t",
      outputs: { o: "x s3cr3t" },
    });
    emit({ type: "run-start", runNumber: 1, runId: "r", event: "push", workflows: ["w s3cr3t.yml"] });
    expect(JSON.stringify(seen)).not.toContain("s3cr3t");
    expect(seen[2]).toMatchObject({ annotation: { level: "error", file: "***.ts", title: "t ***" } });
    expect(seen[3]).toMatchObject({ result: "failure", reason: "because ***", outputs: { o: "x ***" } });
  });

  test("a field added later is masked too", () => {
    const { emit, seen } = gate("s3cr3t");
    emit({
      type: "log",
      job: "j",
      stream: "info",
      text: "",
      future: { deep: ["s3cr3t"] },
    } as unknown as RunEvent);
    expect(JSON.stringify(seen)).not.toContain("s3cr3t");
  });

  test("closed words stay, even when a secret equals one; the engine's objects are not changed", () => {
    const { emit, seen } = gate("success", "stdout");
    const outputs = { result: "success" };
    emit({ type: "job-end", job: "j", name: "success", result: "success", durationMs: 0, outputs });
    emit({ type: "log", job: "j", stream: "stdout", text: "stdout says success" });
    expect(seen[0]).toMatchObject({ result: "success", name: "***", outputs: { result: "***" } });
    expect(seen[1]).toMatchObject({ stream: "stdout", text: "*** says ***" });
    expect(outputs.result).toBe("success");
  });

  test("a test case's outcome is a closed word; its name and message are masked", () => {
    const { emit, seen } = gate("passed", "failed");
    emit({
      type: "test-results",
      job: "j",
      step: 1,
      report: "r",
      cases: [{ suite: "s", name: "failed login", durationMs: 1, outcome: "failed", message: "it passed" }],
    });
    expect(seen[0]).toMatchObject({
      cases: [{ suite: "s", name: "*** login", outcome: "failed", message: "it ***" }],
    });
  });

  test("values added later (::add-mask::) are masked from then on", () => {
    const { emit, seen, m } = gate();
    emit({ type: "log", job: "j", stream: "stdout", text: "late-value" });
    m.add("late-value");
    emit({ type: "log", job: "j", stream: "stdout", text: "late-value" });
    expect(seen.map((e) => (e.type === "log" ? e.text : ""))).toEqual(["late-value", "***"]);
  });

  test("stamps every event with its run, a gap-free sequence from 1 and the time", () => {
    const { emit, seen } = gate();
    const before = Date.now();
    emit({ type: "job-start", job: "a", name: "a" });
    emit({ type: "log", job: "a", stream: "stdout", text: "x" });
    emit({ type: "job-start", job: "b", name: "b" });
    expect(seen.map((e) => [e.runId, e.seq])).toEqual([
      ["run-1", 1],
      ["run-1", 2],
      ["run-1", 3],
    ]);
    for (const e of seen) expect(e.time).toBeGreaterThanOrEqual(before);
    expect(seen[1]!.time).toBeGreaterThanOrEqual(seen[0]!.time);
  });
});
