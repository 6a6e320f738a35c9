import { describe, expect, test } from "vitest";
import { notApproved } from "../../plan/api.js";
import { initialState, step } from "./core.js";
import { nodes, plainLeg, Sim } from "./fake.js";
import { FAIL_FAST } from "./legs.js";
import { replay } from "./resume.js";
import type { Decision, LegPlan, MachineConfig, NeedResult, Status } from "./types.js";

const one = (graph: Record<string, string[]>, maxJobs = 10): MachineConfig => ({
  maxJobs,
  workflows: [{ workflow: "ci", nodes: nodes(graph) }],
});

const legs = (ls: LegPlan[], o: Partial<Extract<Decision, { type: "legs" }>> = {}): Decision => ({
  type: "legs",
  legs: ls,
  failFast: true,
  maxParallel: ls.length,
  continueOnError: false,
  isMatrix: false,
  ...o,
});

const matrix = (job: string, n: number, o: Partial<Extract<Decision, { type: "legs" }>> = {}): Decision =>
  legs(
    Array.from({ length: n }, (_, i) => ({ key: `${job}.${i + 1}`, name: `${job} (${i + 1})` })),
    { isMatrix: true, ...o },
  );

/** A planner: these jobs get these decisions, the others one plain leg. */
const plan =
  (decisions: Record<string, Decision | ((needs: Record<string, NeedResult>, status: Status) => Decision)>) =>
  (job: string, needs: Record<string, NeedResult>, status: Status): Decision => {
    const d = decisions[job];
    return typeof d === "function" ? d(needs, status) : (d ?? plainLeg(job, needs, status));
  };

describe("needs graph", () => {
  test("a chain runs one job after another", () => {
    const sim = new Sim(one({ a: [], b: ["a"], c: ["b"] })).start();
    expect(sim.running).toEqual(["a"]);
    sim.finish("a");
    expect(sim.running).toEqual(["b"]);
    sim.finish("b").finish("c");
    expect(sim.order("start-leg")).toEqual(["a", "b", "c"]);
    expect(sim.result).toBe("success");
  });

  test("independent jobs start together; all are queued first", () => {
    const sim = new Sim(one({ a: [], b: [], c: [] })).start();
    expect(sim.running).toEqual(["a", "b", "c"]);
    expect(sim.events.slice(0, 3).map((e) => e.type)).toEqual(["job-queued", "job-queued", "job-queued"]);
    sim.drain();
    expect(sim.result).toBe("success");
  });

  test("a diamond's last job waits for both sides and sees their results and outputs", () => {
    const sim = new Sim(one({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] })).start();
    sim.finish("a");
    expect(sim.running).toEqual(["b", "c"]);
    sim.finish("b", "success", { x: "1" });
    expect(sim.running).toEqual(["c"]);
    sim.finish("c", "success", { y: "2" });
    expect(sim.expanded.at(-1)).toEqual({
      job: "d",
      needs: { b: { result: "success", outputs: { x: "1" } }, c: { result: "success", outputs: { y: "2" } } },
      status: { success: true, failure: false, cancelled: false },
    });
    sim.finish("d");
    expect(sim.result).toBe("success");
  });

  test("failure() holds through a skipped job; success() does not", () => {
    const sim = new Sim(one({ a: [], b: ["a"], c: ["b"] })).start();
    sim.finish("a", "failure");
    expect(sim.ends().b).toMatchObject({ result: "skipped", reason: "if: success() was false" });
    expect(sim.expanded.find((e) => e.job === "c")!.status).toEqual({
      success: false,
      failure: true,
      cancelled: false,
    });
    expect(sim.result).toBe("failure");
  });

  test("a wide fan-in (5 stages of 400, 640,000 needs edges) takes time linear in its edges", () => {
    const graph: Record<string, string[]> = {};
    for (let s = 0; s < 5; s++)
      for (let j = 0; j < 400; j++)
        graph[`s${s}j${j}`] = s ? Array.from({ length: 400 }, (_, k) => `s${s - 1}j${k}`) : [];
    const t = performance.now();
    const sim = new Sim(one(graph, 4)).start().drain();
    expect(sim.result).toBe("success");
    expect(sim.order("start-leg")).toHaveLength(2000);
    // About 0.3 s on 2 busy cores; a walk over every job's ancestors would take minutes.
    expect(performance.now() - t).toBeLessThan(5000);
  });

  test("a need unknown to the workflow, or a key used twice, is an error, not a hang", () => {
    expect(() => new Sim(one({ a: ["zz"] })).start()).toThrow(/job 'a' needs 'zz'/);
    const twice = {
      maxJobs: 1,
      workflows: [{ workflow: "w", nodes: [...nodes({ a: [] }), ...nodes({ a: [] })] }],
    };
    expect(() => new Sim(twice).start()).toThrow(/two jobs have the key 'a'/);
    const legTwice = { expand: plan({ b: legs([{ key: "a", name: "b" }]) }) };
    expect(() => new Sim(one({ a: [], b: [] }), legTwice).start()).toThrow(/two legs have the key 'a'/);
  });
});

describe("matrix legs", () => {
  test("fail-fast stops the running legs and ends the waiting ones", () => {
    const sim = new Sim(one({ m: [] }), { expand: plan({ m: matrix("m", 4, { maxParallel: 2 }) }) }).start();
    expect(sim.running).toEqual(["m.1", "m.2"]);
    sim.finish("m.1", "failure");
    expect(sim.stopped).toEqual({ "m.2": FAIL_FAST });
    expect(sim.ends()["m.3"]).toMatchObject({ result: "cancelled", reason: FAIL_FAST });
    expect(sim.ends()["m.4"]).toMatchObject({ result: "cancelled", reason: FAIL_FAST });
    sim.finish("m.2", "cancelled");
    expect(sim.order("start-leg")).toEqual(["m.1", "m.2"]);
    expect(sim.ends().m).toMatchObject({ result: "failure", reason: "m (1) failed" });
    expect(sim.result).toBe("failure");
  });

  test("without fail-fast, or with continue-on-error, the other legs go on", () => {
    for (const o of [{ failFast: false }, { continueOnError: true }]) {
      const sim = new Sim(one({ m: [] }), { expand: plan({ m: matrix("m", 3, o) }) }).start();
      sim.finish("m.1", "failure").drain();
      expect(sim.order("start-leg")).toEqual(["m.1", "m.2", "m.3"]);
      expect(sim.stopped).toEqual({});
      expect(sim.ends().m!.result).toBe("failure");
      expect(sim.result).toBe(o.continueOnError ? "success" : "failure");
    }
  });

  test("max-parallel bounds a job's running legs", () => {
    const sim = new Sim(one({ m: [] }), { expand: plan({ m: matrix("m", 5, { maxParallel: 2 }) }) }).start();
    expect(sim.running).toEqual(["m.1", "m.2"]);
    sim.drain();
    expect(sim.peak).toBe(2);
    expect(sim.order("start-leg")).toEqual(["m.1", "m.2", "m.3", "m.4", "m.5"]);
    expect(sim.ends().m).toMatchObject({ result: "success", reason: undefined });
  });

  test("the run's slots bound all legs, first come first served", () => {
    const sim = new Sim(one({ a: [], m: [], b: [] }, 2), { expand: plan({ m: matrix("m", 3) }) }).start();
    expect(sim.running).toEqual(["a", "m.1"]);
    sim.finish("a");
    expect(sim.running).toEqual(["m.1", "m.2"]);
    sim.drain();
    expect(sim.peak).toBe(2);
    expect(sim.order("start-leg")).toEqual(["a", "m.1", "m.2", "m.3", "b"]);
  });

  test("a deferred matrix gets its legs from its needs' outputs", () => {
    const sim = new Sim(one({ a: [], m: ["a"] }), {
      expand: plan({
        m: (needs) => matrix("m", JSON.parse(needs.a!.outputs.list!).length),
      }),
    }).start();
    sim.finish("a", "success", { list: "[1,2,3]" });
    expect(sim.running).toEqual(["m.1", "m.2", "m.3"]);
    sim.finish("m.1", "success", { v: "one" }).finish("m.2", "success", { v: "" }).finish("m.3");
    expect(sim.ends().m!.outputs).toEqual({ v: "one" });
  });

  test("legs the planner ends (--matrix, placement) end without running", () => {
    const sim = new Sim(one({ m: [] }), {
      expand: plan({
        m: legs(
          [
            { key: "m.1", name: "m (1)" },
            { key: "m.2", name: "m (2)", skip: "not selected by --matrix os=a" },
            { key: "m.3", name: "m (3)", fail: "runs-on: bad" },
          ],
          { isMatrix: true, failFast: false },
        ),
      }),
    }).start();
    expect(sim.running).toEqual(["m.1"]);
    expect(sim.ends()["m.2"]).toMatchObject({ result: "skipped", reason: "not selected by --matrix os=a" });
    sim.finish("m.1");
    expect(sim.ends().m).toMatchObject({ result: "failure", reason: "m (3) failed" });
  });

  test("a matrix with no legs succeeds", () => {
    const sim = new Sim(one({ m: [] }), { expand: plan({ m: matrix("m", 0) }) }).start();
    expect(sim.result).toBe("success");
  });
});

describe("continue-on-error", () => {
  test("a failed job with continue-on-error counts as success for its dependents and the run", () => {
    const sim = new Sim(one({ a: [], b: ["a"] }), {
      expand: plan({ a: legs([{ key: "a", name: "a" }], { continueOnError: true }) }),
    }).start();
    sim.finish("a", "failure");
    expect(sim.expanded.at(-1)).toMatchObject({
      job: "b",
      needs: { a: { result: "failure" } },
      status: { success: true, failure: false },
    });
    sim.finish("b");
    expect(sim.result).toBe("success");
  });
});

describe("concurrency groups", () => {
  const grouped = (cancel: boolean) =>
    plan({
      a: legs([{ key: "a", name: "a", concurrency: { group: "g", cancel } }]),
      b: legs([{ key: "b", name: "b", concurrency: { group: "g", cancel } }]),
    });

  test("a job waits for the one holding its group", () => {
    const sim = new Sim(one({ a: [], b: [] }), { expand: grouped(false) }).start();
    expect(sim.running).toEqual(["a"]);
    sim.finish("a");
    expect(sim.running).toEqual(["b"]);
    sim.finish("b");
    expect(sim.state.groups).toEqual({});
    expect(sim.result).toBe("success");
  });

  test("with cancel-in-progress the newcomer cancels the holder, then runs", () => {
    const sim = new Sim(one({ a: [], b: [] }), { expand: grouped(true) }).start();
    expect(sim.stopped).toEqual({ a: "cancelled by a newer job in concurrency group 'g'" });
    sim.finish("a", "cancelled");
    expect(sim.running).toEqual(["b"]);
    sim.finish("b");
    expect(sim.result).toBe("cancelled");
  });

  test("a waiting job holds its slot, as before", () => {
    const sim = new Sim(one({ a: [], b: [], c: [] }, 2), { expand: grouped(false) }).start();
    expect(sim.running).toEqual(["a"]);
    sim.finish("a");
    expect(sim.running).toEqual(["b", "c"]);
  });

  const twoRuns = (cancel: boolean): MachineConfig => ({
    maxJobs: 10,
    workflows: [
      { workflow: "one", concurrency: { group: "g", cancel }, nodes: nodes({ a: [], b: ["a"] }, "one.") },
      { workflow: "two", concurrency: { group: "g", cancel }, nodes: nodes({ a: [] }, "two.") },
    ],
  });

  test("a workflow waits for the run holding its group; its jobs are queued when it enters", () => {
    const sim = new Sim(twoRuns(false)).start();
    expect(sim.running).toEqual(["one.a"]);
    expect(sim.events.filter((e) => e.type === "job-queued").map((e) => e.job)).toEqual(["one.a", "one.b"]);
    sim.finish("one.a").finish("one.b");
    expect(sim.running).toEqual(["two.a"]);
    sim.finish("two.a");
    expect(sim.result).toBe("success");
  });

  test("with cancel-in-progress a newer workflow run cancels the older one", () => {
    const reason = "cancelled by a newer run in concurrency group 'g'";
    const sim = new Sim(twoRuns(true)).start();
    // Both arrive at the start: the older one is cancelled before its first job runs.
    expect(sim.ends()["one.a"]).toMatchObject({ result: "cancelled", reason });
    expect(sim.expanded.find((e) => e.job === "one.b")).toMatchObject({ status: { cancelled: true } });
    expect(sim.running).toEqual(["two.a"]);
    sim.finish("two.a");
    expect(sim.result).toBe("cancelled");
  });

  test("workflow and job groups share one table; a job can cancel a workflow run", () => {
    const sim = new Sim(
      {
        maxJobs: 10,
        workflows: [
          { workflow: "one", nodes: nodes({ a: [], b: ["a"] }, "one.") },
          { workflow: "two", concurrency: { group: "g", cancel: false }, nodes: nodes({ a: [] }, "two.") },
        ],
      },
      {
        expand: plan({
          "one.a": legs([{ key: "one.a", name: "a", concurrency: { group: "g", cancel: false } }]),
          "one.b": legs([{ key: "one.b", name: "b", concurrency: { group: "g", cancel: true } }]),
        }),
      },
    ).start();
    expect(sim.running).toEqual(["two.a"]);
    sim.finish("two.a");
    expect(sim.running).toEqual(["one.a"]);
    sim.finish("one.a");
    expect(sim.running).toEqual(["one.b"]);
    sim.finish("one.b");
    expect(sim.result).toBe("success");
    const again = new Sim(
      {
        maxJobs: 10,
        workflows: [
          { workflow: "one", nodes: nodes({ a: [], b: ["a"] }, "one.") },
          { workflow: "two", concurrency: { group: "g", cancel: false }, nodes: nodes({ a: [] }, "two.") },
        ],
      },
      {
        expand: plan({
          "one.b": legs([{ key: "one.b", name: "b", concurrency: { group: "g", cancel: true } }]),
        }),
      },
    ).start();
    again.finish("one.a");
    expect(again.stopped).toEqual({ "two.a": "cancelled by a newer run in concurrency group 'g'" });
    again.finish("two.a", "cancelled");
    expect(again.running).toEqual(["one.b"]);
  });

  test("of several waiters with cancel-in-progress, the newest wins", () => {
    const c = { group: "g", cancel: true };
    const sim = new Sim(one({ a: [], b: [], c: [] }), {
      expand: plan({
        a: legs([{ key: "a", name: "a", concurrency: c }]),
        b: legs([{ key: "b", name: "b", concurrency: c }]),
        c: legs([{ key: "c", name: "c", concurrency: c }]),
      }),
    }).start();
    sim.finish("a", "cancelled");
    expect(sim.ends().b).toMatchObject({
      result: "cancelled",
      reason: "cancelled by a newer job in concurrency group 'g'",
    });
    expect(sim.running).toEqual(["c"]);
  });
});

describe("approvals", () => {
  const deploy = plan({
    d: legs([{ key: "d", name: "deploy", environment: { name: "prod", url: "https://x" } }]),
  });

  test("asked when the job is reached; approved, it runs", () => {
    const sim = new Sim(one({ a: [], d: ["a"] }, 1), { expand: deploy }).start();
    expect(sim.asked).toEqual([]);
    sim.finish("a");
    expect(sim.asked).toEqual(["d"]);
    expect(sim.running).toEqual([]);
    sim.decide("d", true, "--approve");
    expect(sim.events.slice(-3)).toEqual([
      { type: "approval-requested", job: "d", environment: "prod" },
      { type: "approval-decided", job: "d", environment: "prod", approved: true, by: "--approve" },
      {
        type: "log",
        job: "d",
        stream: "info",
        text: "environment 'prod' approved by --approve; url: https://x",
      },
    ]);
    expect(sim.running).toEqual(["d"]);
    sim.finish("d");
    expect(sim.result).toBe("success");
  });

  test("a waiting approval takes no slot", () => {
    const sim = new Sim(one({ d: [], b: [] }, 1), { expand: deploy }).start();
    expect(sim.running).toEqual(["b"]);
  });

  test("not approved, the job is skipped with the reason, and a run of only that is skipped", () => {
    const sim = new Sim(one({ d: [] }), { expand: deploy }).start().decide("d", false);
    expect(sim.ends().d).toMatchObject({ result: "skipped", reason: notApproved("prod") });
    expect(sim.result).toBe("skipped");
  });
});

describe("cancellation", () => {
  test("running legs are stopped, waiting ones end, later jobs expand with cancelled()", () => {
    const sim = new Sim(one({ a: [], m: [], z: ["a"] }, 2), {
      expand: plan({ m: matrix("m", 3), z: legs([{ key: "z", name: "z" }]) }),
    }).start();
    expect(sim.running).toEqual(["a", "m.1"]);
    sim.send({ type: "cancel" });
    expect(sim.stopped).toEqual({ a: "the run was cancelled", "m.1": "the run was cancelled" });
    expect(sim.ends()["m.2"]).toMatchObject({ result: "cancelled", reason: "the run was cancelled" });
    sim.finish("a", "cancelled");
    // if: always(): it expands, with cancelled() true; its legs end cancelled, as before.
    expect(sim.expanded.at(-1)).toMatchObject({ job: "z", status: { cancelled: true } });
    expect(sim.ends().z).toMatchObject({ result: "cancelled", reason: "the run was cancelled" });
    sim.finish("m.1", "cancelled");
    expect(sim.ends().m).toMatchObject({ result: "cancelled", reason: "the run was cancelled" });
    expect(sim.result).toBe("cancelled");
  });

  test("a decision that comes after the cancel is ignored", () => {
    const sim = new Sim(one({ d: [] }), {
      expand: plan({ d: legs([{ key: "d", name: "d", environment: { name: "prod" } }]) }),
    }).start();
    sim.send({ type: "cancel", reason: "interrupted" });
    expect(sim.stopped).toEqual({ d: "interrupted" }); // the question is withdrawn
    sim.decide("d", true);
    expect(sim.ends().d).toMatchObject({ result: "cancelled", reason: "interrupted" });
    expect(sim.running).toEqual([]);
    expect(sim.result).toBe("cancelled");
  });
});

describe("called workflows", () => {
  const call = (key: string, graph: Record<string, string[]>) => ({
    key,
    name: key,
    workflow: "called",
    nodes: nodes(graph, `${key}.`),
  });

  test("a call's jobs run like any others, then it is collected", () => {
    const sim = new Sim(one({ c: [], after: ["c"] }), {
      expand: plan({ c: { type: "call", calls: [call("c", { x: [], y: ["x"] })], isMatrix: false } }),
      collect: (_leg, results) => ({ result: "success", outputs: { got: results.y!.outputs.v! } }),
    }).start();
    expect(sim.running).toEqual(["c.x"]);
    sim.finish("c.x").finish("c.y", "success", { v: "7" });
    expect(sim.collected[0]!.results).toEqual({
      x: { result: "success", outputs: {}, continueOnError: false },
      y: { result: "success", outputs: { v: "7" }, continueOnError: false },
    });
    expect(sim.ends().c).toMatchObject({ result: "success", outputs: { got: "7" } });
    expect(sim.expanded.at(-1)).toMatchObject({ job: "after", needs: { c: { outputs: { got: "7" } } } });
    sim.finish("after");
    expect(sim.result).toBe("success");
  });

  test("nested calls and call matrices", () => {
    const sim = new Sim(one({ c: [] }), {
      expand: plan({
        c: {
          type: "call",
          calls: [
            call("c.1", { x: [] }),
            call("c.2", { inner: [] }),
            { ...call("c.3", {}), skip: "not selected" },
          ],
          isMatrix: true,
        },
        "c.2.inner": { type: "call", calls: [call("c.2.inner", { deep: [] })], isMatrix: false },
      }),
    }).start();
    expect(sim.running).toEqual(["c.1.x", "c.2.inner.deep"]);
    sim.finish("c.2.inner.deep", "failure").finish("c.1.x");
    expect(sim.order("collect")).toEqual(["c.2.inner", "c.2", "c.1"]);
    expect(sim.ends()["c.3"]).toMatchObject({ result: "skipped", reason: "not selected" });
    expect(sim.ends().c).toMatchObject({ result: "failure", reason: "c.2 failed" });
    expect(sim.result).toBe("failure");
  });
});

describe("the run's result", () => {
  const cases: [string, Record<string, "success" | "failure" | "cancelled" | "skip">, string][] = [
    ["all succeeded", { a: "success", b: "success" }, "success"],
    ["one failed", { a: "failure", b: "cancelled" }, "failure"],
    ["one cancelled", { a: "cancelled", b: "success" }, "cancelled"],
    ["all skipped", { a: "skip", b: "skip" }, "skipped"],
    ["some skipped", { a: "skip", b: "success" }, "success"],
  ];
  test.each(cases)("%s", (_name, outcome, result) => {
    const sim = new Sim(one({ a: [], b: [] }), {
      expand: (job, needs, status) =>
        outcome[job] === "skip"
          ? { type: "skip", reason: "if: false was false" }
          : plainLeg(job, needs, status),
    }).start();
    sim.drain((leg) => outcome[leg] as "success");
    expect(sim.result).toBe(result);
  });

  test("a run of no workflows ends at once", () => {
    expect(new Sim({ maxJobs: 1, workflows: [] }).start().result).toBe("success");
  });

  test("a workflow that could not start fails the run", () => {
    const sim = new Sim({
      maxJobs: 2,
      workflows: [
        { workflow: "bad", error: "env: bad", nodes: nodes({ a: [] }, "bad.") },
        { workflow: "ok", nodes: nodes({ a: [] }, "ok.") },
      ],
    }).start();
    sim.drain();
    expect(sim.order("start-leg")).toEqual(["ok.a"]);
    expect(sim.result).toBe("failure");
  });
});

describe("state", () => {
  const config: MachineConfig = {
    maxJobs: 3,
    workflows: [
      {
        workflow: "one",
        concurrency: { group: "w", cancel: false },
        nodes: nodes({ a: [], m: ["a"], c: ["a"], d: ["m", "c"] }, "1."),
      },
      {
        workflow: "two",
        concurrency: { group: "w", cancel: false },
        nodes: nodes({ a: [], b: ["a"] }, "2."),
      },
    ],
  };
  const planner = {
    expand: plan({
      "1.m": matrix("1.m", 4, { maxParallel: 2 }),
      "1.c": {
        type: "call",
        calls: [{ key: "1.c", name: "c", workflow: "w", nodes: nodes({ x: [] }, "1.c.") }],
        isMatrix: false,
      },
      "1.d": legs([
        { key: "1.d", name: "d", environment: { name: "prod" }, concurrency: { group: "j", cancel: true } },
      ]),
      "2.b": (_n, status) => legs([{ key: "2.b", name: "b" }], { continueOnError: status.cancelled }),
    }),
  };
  const firstHalf = (sim: Sim) => sim.start().finish("1.a").finish("1.m.1").finish("1.c.x");
  const secondHalf = (sim: Sim) => {
    sim.finish("1.m.2", "failure", {}, "exit 1");
    sim.drain().decide("1.d", true);
    sim.finish("1.d").finish("2.a");
    return sim.send({ type: "cancel" }).drain();
  };
  /** Every kind of transition: approvals, groups, fail-fast, calls, a cancel. */
  const scenario = (roundTrip: boolean) => secondHalf(firstHalf(new Sim(config, planner, roundTrip)));

  test("saved and loaded as JSON between every two transitions, a run goes on identically", () => {
    const plain = scenario(false);
    const saved = scenario(true);
    expect(plain.result).toBe("failure");
    expect(saved.commands).toEqual(plain.commands);
    expect(saved.state).toEqual(plain.state);
  });

  test("a saved state resumes: what was not answered is asked again, and the run ends the same", () => {
    const before = firstHalf(new Sim(config, planner));
    const after = new Sim(config, planner);
    after.state = JSON.parse(JSON.stringify(before.state));
    after.time = before.time;
    after.resume();
    expect(after.running).toEqual(before.running);
    expect(after.running).toEqual(["1.m.2", "1.m.3"]);
    const seen = before.events.length;
    secondHalf(before);
    secondHalf(after);
    expect(after.result).toBe(before.result);
    expect(after.events).toEqual(before.events.slice(seen));
  });

  test("replaying the events rebuilds the state", () => {
    const sim = scenario(false);
    expect(replay(config, sim.log)).toEqual(sim.state);
  });

  test("the same events give the same commands", () => {
    expect(scenario(false).commands).toEqual(scenario(false).commands);
  });

  test("step changes no state it was not given", () => {
    const s = initialState(one({ a: [] }));
    const copy = structuredClone(s);
    const r = step(s, { type: "start", time: 1 });
    expect(r.state).toBe(s);
    expect(step(copy, { type: "start", time: 1 }).commands).toEqual(r.commands);
  });
});
