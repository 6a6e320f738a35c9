import { expect, test } from "vitest";
import { readPlan, rebindRun } from "./plan-file.js";
import type { RunPlan } from "./run-plan.js";

const plan: RunPlan = {
  version: 1,
  runId: "0",
  runNumber: 0,
  trigger: { event: "push", ref: "refs/heads/main", sha: "a".repeat(40), actor: "me", payload: {} },
  secretNames: [],
  options: { platforms: {} },
  errors: [],
  workflows: [
    {
      file: "ci.yml",
      name: "CI",
      keyPrefix: "",
      namePrefix: "",
      depth: 1,
      contexts: { github: { run_id: "0", run_number: "0", event_path: "", workspace: "/old" } },
      secretNames: [],
      runnerEnv: { GITHUB_RUN_ID: "0", GITHUB_RUN_NUMBER: "0", GITHUB_EVENT_PATH: "", CI: "true" },
      extraEnv: {},
      stages: [],
      errors: [],
      jobs: [],
    },
  ],
};

test("a plan or plan --json's output is read; both shapes", () => {
  expect(readPlan(JSON.stringify(plan), "p.json")).toEqual({ ok: true, plan });
  expect(readPlan(JSON.stringify({ event: "push", workflows: [], plan }), "p.json")).toEqual({
    ok: true,
    plan,
  });
});

test("a bad plan names the file and the place", () => {
  const bad = (p: unknown) => readPlan(JSON.stringify(p), "p.json");
  expect(bad({ ...plan, version: 2 })).toEqual({
    ok: false,
    error: "p.json: plan version 2 is not supported (this Slipway reads version 1)",
  });
  expect(bad({ workflows: [] })).toMatchObject({ error: expect.stringContaining("it has no version") });
  const job = {
    id: "j",
    key: "j",
    if: "success()",
    kind: "job",
    needs: [],
    steps: [],
    legs: { deferred: "" },
  };
  expect(
    bad({ ...plan, workflows: [{ ...plan.workflows[0], jobs: [{ ...job, body: { type: "mapping" } }] }] }),
  ).toEqual({
    ok: false,
    error: "p.json: workflows[0].jobs[0].body: a mapping needs pairs",
  });
  expect(bad({ ...plan, workflows: [{ ...plan.workflows[0], jobs: [{ ...job, kind: "x" }] }] })).toEqual({
    ok: false,
    error: 'p.json: workflows[0].jobs[0].kind must be "job" or "reusable"',
  });
  const jobs = (...js: object[]) => ({ ...plan, workflows: [{ ...plan.workflows[0], jobs: js }] });
  const body = { type: "mapping", pairs: [] };
  expect(bad(jobs({ ...job, body, needs: ["nope"] }))).toEqual({
    ok: false,
    error: "p.json: workflows[0].jobs: job 'j' needs unknown job 'nope'",
  });
  expect(
    bad(jobs({ ...job, body, needs: ["k"] }, { ...job, id: "k", key: "k", body, needs: ["j"] })),
  ).toMatchObject({
    error: expect.stringMatching(/^p\.json: workflows\[0\]\.jobs: .*cycle/),
  });
  const legs = { isMatrix: false, failFast: true, continueOnError: false, maxParallel: 1, notes: [] };
  const l = { key: "j", matrix: {}, strategy: {}, labels: [] };
  expect(
    bad(jobs({ ...job, body, legs: { ...legs, legs: [{ ...l, decision: { run: "yes" } }] } })),
  ).toMatchObject({
    error: expect.stringContaining("p.json: workflows[0].jobs[0].legs.legs[0].decision must be"),
  });
  expect(
    bad(
      jobs({
        ...job,
        body,
        legs: { ...legs, legs: [{ ...l, decision: { run: true }, concurrency: { group: 1 } }] },
      }),
    ),
  ).toEqual({
    ok: false,
    error: "p.json: workflows[0].jobs[0].legs.legs[0].concurrency.group must be a string",
  });
  expect(readPlan('{"version": 1,\n "x": ]', "p.json")).toMatchObject({
    error: expect.stringMatching(/^p\.json:2:7: not a JSON plan/),
  });
});

test("a saved plan run again takes the run's ids and repository everywhere the plan holds them", () => {
  const r = rebindRun(plan, { runId: "42", runNumber: 7, eventPath: "/r/.slipway/runs/7/event.json" }, "/r");
  expect(r.runId).toBe("42");
  expect(r.runNumber).toBe(7);
  expect(r.workflows[0]!.contexts.github).toEqual({
    run_id: "42",
    run_number: "7",
    run_attempt: "1",
    event_path: "/r/.slipway/runs/7/event.json",
    workspace: "/r",
  });
  expect(r.workflows[0]!.runnerEnv).toEqual({
    GITHUB_RUN_ID: "42",
    GITHUB_RUN_NUMBER: "7",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_EVENT_PATH: "/r/.slipway/runs/7/event.json",
    CI: "true",
  });
  expect(plan.runId).toBe("0");
  // A new attempt of run 3 (--rerun-of): its github ids are run 3's first attempt's, its own number stays.
  const again = rebindRun(
    plan,
    { runId: "43", runNumber: 8, eventPath: "/e", attempt: { runId: "40", runNumber: 3, attempt: 2 } },
    "/r",
  );
  expect(again.runNumber).toBe(8);
  expect(again.workflows[0]!.contexts.github).toMatchObject({
    run_id: "40",
    run_number: "3",
    run_attempt: "2",
  });
  expect(again.workflows[0]!.runnerEnv).toMatchObject({
    GITHUB_RUN_ID: "40",
    GITHUB_RUN_NUMBER: "3",
    GITHUB_RUN_ATTEMPT: "2",
  });
});
