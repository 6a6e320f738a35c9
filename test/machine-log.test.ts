import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

// The scheduler is a state machine; the run folder keeps its input events, in order, so a
// later driver (a database, a resume after a crash) can replay them.
test("machine.jsonl: the state machine's input events of the run, masked", () => {
  const repo = tempRepo(undefined, {
    ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo one
  deploy:
    needs: a
    runs-on: ubuntu-latest
    # A name that is also a secret's value: masked wherever it appears.
    environment: prod-hunter2
    steps:
      - run: echo two
`,
  });
  const r = slipway(["run", "--json", "--secret", "KEY=hunter2"], repo);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { folder: string };
  const text = readFileSync(join(out.folder, "machine.jsonl"), "utf8");
  expect(text).not.toContain("hunter2");
  const events = text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; job?: string; leg?: string; time: number });
  expect(events.map((e) => `${e.type} ${e.job ?? e.leg ?? ""}`.trim())).toEqual([
    "start",
    "expanded a",
    "leg-finished a",
    "expanded deploy",
    "approval-decided deploy",
  ]);
  expect(text).toContain("prod-***");
  for (const e of events) expect(typeof e.time).toBe("number");
});
