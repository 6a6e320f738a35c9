import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { NewRun } from "./writes.js";

/** A temporary repository root for each call, removed after the file's tests. */
export function tempRoots(): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), "slipway-db-"));
    dirs.push(d);
    return d;
  };
}

export function newRun(number: number, over: Partial<NewRun> = {}): NewRun {
  return {
    number,
    runId: `run-${number}`,
    workflows: [".github/workflows/ci.yml"],
    event: "push",
    ref: "refs/heads/main",
    sha: "a".repeat(40),
    actor: "octocat",
    startedAt: 1_000_000 + number * 1000,
    pid: process.pid,
    folder: `.slipway/runs/${number}`,
    ...over,
  };
}
