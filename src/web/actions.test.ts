import { describe, expect, test } from "vitest";
import type { RunRow } from "../db/reads.js";
import type { Queued } from "../server/queue.js";
import type { Viewer } from "./access.js";
import { rerunOf, rerunRequest, runControls } from "./actions.js";

const run = (over: Partial<RunRow>): RunRow => ({
  number: 7,
  runId: "r",
  workflows: [".github/workflows/ci.yml"],
  event: "push",
  ref: "refs/heads/main",
  sha: "a".repeat(40),
  actor: "alice",
  result: "failure",
  startedAt: 1,
  endedAt: 2,
  interrupted: null,
  folder: ".slipway/runs/7",
  payload: null,
  attempt: 1,
  attemptOf: null,
  ...over,
});

const viewer = (role: "admin" | "read"): Viewer => ({
  identity: { name: "x", role },
  csrf: "tok",
  signIn: true,
  can: () => role === "admin",
});

describe("re-running a recorded run", () => {
  test("the queued request when the queue still shows it, without its delivery id", () => {
    const entry: Queued = {
      id: 3,
      state: "done",
      request: { event: "push", ref: "refs/heads/main", payload: {}, delivery: "d-1", sha: "b".repeat(40) },
    };
    expect(rerunRequest(run({}), entry)).toEqual({ ...entry.request, delivery: undefined });
  });

  test("rebuilt from the run's trigger: a fork's pull request stays untrusted", () => {
    const payload = {
      action: "opened",
      number: 5,
      pull_request: {
        number: 5,
        head: { ref: "feature", sha: "c".repeat(40), repo: { full_name: "fork/r" } },
        base: { ref: "main", repo: { full_name: "o/r" } },
      },
      repository: { full_name: "o/r" },
    };
    const r = rerunRequest(run({ event: "pull_request", payload }), undefined);
    expect(r).toMatchObject({
      event: "pull_request",
      untrusted: true,
      ref: "refs/slipway/pull/5/head",
      actor: "alice",
    });
  });

  test("a dispatch keeps its inputs and workflow; a schedule its workflow; other events are not re-run here", () => {
    const d = rerunRequest(
      run({ event: "workflow_dispatch", payload: { inputs: { level: "high", n: 3 } } }),
      undefined,
    );
    expect(d).toMatchObject({ inputs: { level: "high", n: "3" }, workflow: ".github/workflows/ci.yml" });
    expect(
      rerunRequest(run({ event: "schedule", payload: { schedule: "0 * * * *" } }), undefined),
    ).toMatchObject({
      event: "schedule",
      workflow: ".github/workflows/ci.yml",
    });
    expect(rerunRequest(run({ event: "release", payload: {} }), undefined)).toBeUndefined();
  });

  test("re-run all turns job reuse off; re-run failed leaves it on; both are a new attempt of the run", () => {
    const r = { event: "push", ref: "refs/heads/main", payload: {} };
    expect(rerunOf(r, "all", 7)).toEqual({ ...r, reuse: false, attemptOf: 7 });
    expect(rerunOf({ ...r, reuse: false }, "failed", 7)).toEqual({ ...r, keepSucceededOf: 7 });
    expect(rerunOf({ ...r, keepSucceededOf: 3 }, "all", 7)).toEqual({ ...r, reuse: false, attemptOf: 7 });
    expect(rerunOf({ ...r, attemptOf: 3 }, "failed", 7)).toEqual({ ...r, keepSucceededOf: 7 });
  });

  test("buttons: cancel while it goes, re-run once it ended (failed: also re-run failed); none for readers", () => {
    const entry = (state: Queued["state"]): Queued => ({
      id: 1,
      state,
      run: 7,
      request: { event: "push", ref: "refs/heads/main", payload: {} },
    });
    expect(runControls(viewer("admin"), run({ result: null }), entry("running"))).toContain('id="cancel"');
    // Ended as recorded while the queue has not marked its entry done yet: re-run, not cancel.
    expect(runControls(viewer("admin"), run({}), entry("running"))).toContain('id="rerun-all"');
    const ended = runControls(viewer("admin"), run({}), entry("done"));
    expect(ended).toContain('id="rerun-all"');
    expect(ended).toContain('id="rerun-failed"');
    expect(ended).toContain('name="_csrf" value="tok"');
    expect(runControls(viewer("admin"), run({ result: "success" }), entry("done"))).not.toContain(
      "rerun-failed",
    );
    expect(runControls(viewer("read"), run({}), entry("done"))).toBe("");
  });
});
