import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { jobNames } from "./job-names.js";

describe("jobNames", () => {
  test("a run without result.json (interrupted) is read from events.jsonl, past megabytes of log lines", () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-names-"));
    const log = (text: string) => JSON.stringify({ type: "log", job: "test.1", stream: "stdout", text });
    const lines = [
      JSON.stringify({ type: "job-queued", job: "test", name: "test", workflow: "ci" }),
      // Multi-byte characters across the reader's 1 MiB chunks.
      ...Array.from({ length: 3000 }, (_, i) => log(`é…✓ line ${i} ${"x".repeat(700)}`)),
      JSON.stringify({ type: "job-start", job: "test.1", name: "Node.js 24" }),
      JSON.stringify({ type: "job-start", job: "call.inner", name: "call / Inner x" }),
    ];
    writeFileSync(join(dir, "events.jsonl"), `${lines.join("\n")}\n`);
    expect([...jobNames(dir)]).toEqual([
      ["test", "test"],
      ["test.1", "Node.js 24"],
      ["call.inner", "call / Inner x"],
    ]);
  });

  test("result.json is read when the run finished", () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-names-"));
    writeFileSync(join(dir, "result.json"), JSON.stringify({ jobs: [{ job: "b", name: "Build it" }] }));
    expect([...jobNames(dir)]).toEqual([["b", "Build it"]]);
  });
});
