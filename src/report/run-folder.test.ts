import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { RunFolder } from "./run-folder.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const openFiles = () => readdirSync("/proc/self/fd").length;

describe.skipIf(process.platform !== "linux")("run folder logs", () => {
  test("each log is written through one handle, in order, and closed when its job ends", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-rf-"));
    dirs.push(dir);
    const rf = new RunFolder(dir);
    const before = openFiles();
    let most = 0;
    for (let j = 0; j < 300; j++) {
      const job = `job${j}`;
      rf.on({ type: "job-start", job, name: job });
      for (let i = 0; i < 20; i++) {
        rf.on({ type: "log", job, step: 0, stream: "stdout", text: `line ${i}` });
        if (i % 5 === 0) await new Promise((r) => setImmediate(r));
      }
      rf.on({ type: "job-end", job, name: job, result: "success", durationMs: 1, outputs: {} });
      await new Promise((r) => setImmediate(r));
      most = Math.max(most, openFiles() - before);
    }
    await rf.close();
    // 300 logs, but far fewer open at once (a run may have more jobs than fds). Closing is
    // asynchronous (the thread pool), so on a loaded machine some lag: half is the bound.
    expect(most).toBeLessThan(150);
    expect(openFiles()).toBe(before);
    const log = readFileSync(join(dir, "logs", "job123.log"), "utf8");
    expect(log).toBe(
      `${Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n")}\n##[job-end] success\n`,
    );
    expect(readFileSync(join(dir, "events.jsonl"), "utf8").split("\n").length).toBe(300 * 22 + 1);
  });
});
