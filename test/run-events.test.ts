import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

// The saved stream is what a database or a server will take in: every event names its run,
// its place (seq from 1 without gaps, so a consumer resumes after the last it stored) and time.
test("events.jsonl: every event carries the run id, a gap-free seq and a time", () => {
  const repo = tempRepo(undefined, {
    ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo one; echo two
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: echo three
`,
  });
  const r = slipway(["run", "--json"], repo);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { runId: string; folder: string; jobs: Record<string, unknown>[] };
  const events = readFileSync(join(out.folder, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; runId: string; seq: number; time: number });
  expect(events.length).toBeGreaterThan(8);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(new Set(events.map((e) => e.runId))).toEqual(new Set([out.runId]));
  for (let i = 1; i < events.length; i++) expect(events[i]!.time).toBeGreaterThanOrEqual(events[i - 1]!.time);
  expect(events[0]!.type).toBe("run-start");
  expect(events.at(-1)!.type).toBe("run-end");
  // The JSON summary's jobs are results, not stream entries.
  for (const j of out.jobs) expect(Object.keys(j)).not.toContain("seq");
});
