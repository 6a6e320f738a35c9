import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { due, ScheduleState, schedulesAt, validCron } from "./schedules.js";

test("due: ticks missed since the last one run once, at the latest tick not after now", () => {
  const at = (t: string) => new Date(`2026-12-05T${t}Z`);
  expect(due("*/5 * * * *", at("07:00:00"), at("07:04:59"))).toEqual({ due: false, tick: at("07:00:00") });
  expect(due("*/5 * * * *", at("07:00:00"), at("07:05:00"))).toEqual({ due: true, tick: at("07:05:00") });
  // Two hours down: 24 ticks missed, one run, recorded at 09:00.
  expect(due("*/5 * * * *", at("07:00:00"), at("09:02:00"))).toEqual({ due: true, tick: at("09:00:00") });
  // GitHub's crons are UTC; 2026-12-05 is a Saturday.
  expect(due("30 8 * * 6", at("07:00:00"), at("08:30:00")).due).toBe(true);
  expect(due("30 8 * * 1-5", at("07:00:00"), at("08:30:00")).due).toBe(false);
  expect(validCron("*/5 * * * *")).toBe(true);
  expect(validCron("*/5 * * * * *")).toBe(false);
  expect(validCron("61 * * * *")).toBe(false);
});

test("the default branch's schedules, read from git; a new one is recorded, a missed one runs once", () => {
  const root = mkdtempSync(join(tmpdir(), "slipway-sched-"));
  const git = (...a: string[]) => execFileSync("git", a, { cwd: root, encoding: "utf8" });
  git("init", "-q", "-b", "main");
  execFileSync("mkdir", ["-p", join(root, ".github/workflows")]);
  writeFileSync(
    join(root, ".github/workflows/nightly.yml"),
    'on:\n  schedule:\n    - cron: "0 3 * * *"\n    - cron: "*/15 * * * *"\n  push:\njobs: {}\n',
  );
  writeFileSync(
    join(root, ".github/workflows/bad.yml"),
    'on:\n  schedule:\n    - cron: "every day"\njobs: {}\n',
  );
  writeFileSync(join(root, ".github/workflows/push.yml"), "on: push\njobs: {}\n");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "one");
  // Not on the default branch's commit: not read.
  writeFileSync(join(root, ".github/workflows/local.yml"), 'on:\n  schedule:\n    - cron: "* * * * *"\n');
  const { schedules, errors } = schedulesAt(root, "refs/heads/main");
  expect(schedules).toEqual([
    { file: ".github/workflows/nightly.yml", cron: "0 3 * * *" },
    { file: ".github/workflows/nightly.yml", cron: "*/15 * * * *" },
  ]);
  expect(errors).toEqual([
    ".github/workflows/bad.yml: schedule 'every day' is not a cron of five fields; not scheduled",
  ]);

  const state = new ScheduleState(root);
  expect(state.take(schedules, new Date("2026-12-05T07:00:00Z"))).toEqual([]);
  expect(state.take(schedules, new Date("2026-12-05T07:14:00Z"))).toEqual([]);
  // Down from 07:14 to 10:01 (restarted: the state is read from the file).
  const again = new ScheduleState(root);
  expect(again.take(schedules, new Date("2026-12-05T10:01:00Z"))).toEqual([schedules[1]]);
  expect(again.take(schedules, new Date("2026-12-05T10:02:00Z"))).toEqual([]);
  const saved = JSON.parse(readFileSync(join(root, ".slipway/server-schedules.json"), "utf8"));
  expect(saved[".github/workflows/nightly.yml\n*/15 * * * *"]).toBe("2026-12-05T10:00:00.000Z");
  expect(new ScheduleState(root).take(schedules, new Date("2026-12-06T03:00:00Z"))).toEqual(schedules);
});
