import { describe, expect, test } from "vitest";
import type { RunEvent } from "../events.js";
import { drive, type LegOutcome, type Ports } from "./driver.js";
import { nodes, plainLeg } from "./fake.js";
import { replay } from "./resume.js";
import type { MachineConfig, MachineEvent } from "./types.js";

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

/** Ports that answer later, like a real planner, runner and reviewer would. */
function fakePorts(o: Partial<Ports> & { outcome?: (leg: string) => LegOutcome } = {}) {
  const events: RunEvent[] = [];
  const started: string[] = [];
  const ports: Ports = {
    expand: async (job, needs, status) => {
      await tick();
      return plainLeg(job, needs, status);
    },
    collect: () => ({ result: "success", outputs: {} }),
    startLeg: async (_job, leg, signal) => {
      started.push(leg);
      for (let i = 0; i < 5 && !signal.aborted; i++) await tick();
      return signal.aborted
        ? { result: "cancelled", outputs: {} }
        : (o.outcome?.(leg) ?? { result: "success", outputs: { leg } });
    },
    approve: async () => ({ approved: true, by: "test" }),
    emit: (e) => events.push(e),
    ...o,
  };
  return { ports, events, started };
}

const dag: MachineConfig = {
  maxJobs: 2,
  workflows: [{ workflow: "ci", nodes: nodes({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] }) }],
};

describe("in-memory driver", () => {
  test("runs a graph through asynchronous ports", async () => {
    const f = fakePorts();
    expect(await drive(dag, f.ports)).toBe("success");
    expect(f.started).toEqual(["a", "b", "c", "d"]);
    expect(f.events.filter((e) => e.type === "job-queued")).toHaveLength(4);
  });

  test("a synchronous planner is answered at once", async () => {
    const f = fakePorts({ expand: plainLeg });
    expect(await drive(dag, f.ports)).toBe("success");
    expect(f.started).toEqual(["a", "b", "c", "d"]);
  });

  test("aborting the signal cancels the running legs and ends the run cancelled", async () => {
    const ac = new AbortController();
    const f = fakePorts({
      startLeg: async (_job, leg, signal) => {
        f.started.push(leg);
        ac.abort();
        await new Promise((r) => signal.addEventListener("abort", r));
        return { result: "cancelled", outputs: {}, reason: String(signal.reason) };
      },
    });
    expect(await drive(dag, f.ports, { signal: ac.signal })).toBe("cancelled");
    expect(f.started).toEqual(["a"]);
    expect(f.events.filter((e) => e.type === "job-end").map((e) => [e.job, e.result])).toEqual([
      ["b", "skipped"],
      ["c", "skipped"],
      ["d", "skipped"],
    ]);
  });

  test("a run cancelled before it starts runs nothing", async () => {
    const ac = new AbortController();
    ac.abort("stop");
    const f = fakePorts();
    expect(await drive(dag, f.ports, { signal: ac.signal })).toBe("skipped");
    expect(f.started).toEqual([]);
  });

  test("approvals are asked through the port and obeyed", async () => {
    const asked: string[] = [];
    const f = fakePorts({
      expand: (job) => ({
        type: "legs",
        legs: [{ key: job, name: job, environment: { name: job } }],
        failFast: true,
        maxParallel: 1,
        continueOnError: false,
        isMatrix: false,
      }),
      approve: async (r) => {
        asked.push(r.environment);
        await tick(3);
        return { approved: r.environment === "a", by: "a reviewer" };
      },
    });
    const config: MachineConfig = {
      maxJobs: 2,
      workflows: [{ workflow: "ci", nodes: nodes({ a: [], b: [] }) }],
    };
    expect(await drive(config, f.ports)).toBe("success");
    expect(asked).toEqual(["a", "b"]);
    expect(f.started).toEqual(["a"]);
  });

  test("a question no longer needed is withdrawn through its signal", async () => {
    const ac = new AbortController();
    let withdrawn = "";
    const f = fakePorts({
      expand: (job) => ({
        type: "legs",
        legs: [{ key: job, name: job, environment: { name: "prod" } }],
        failFast: true,
        maxParallel: 1,
        continueOnError: false,
        isMatrix: false,
      }),
      approve: (_r, signal) => {
        setTimeout(() => ac.abort("interrupted"), 1);
        return new Promise((resolve) =>
          signal.addEventListener("abort", () => {
            withdrawn = String(signal.reason);
            resolve({ approved: true, by: "too late" });
          }),
        );
      },
    });
    const config: MachineConfig = { maxJobs: 2, workflows: [{ workflow: "ci", nodes: nodes({ d: [] }) }] };
    expect(await drive(config, f.ports, { signal: ac.signal })).toBe("cancelled");
    expect(withdrawn).toBe("interrupted");
    expect(f.started).toEqual([]);
  });

  test("a run recorded as events resumes in a new driver after a crash", async () => {
    const log: MachineEvent[] = [];
    // The first process dies while c runs: its leg never ends there.
    const first = fakePorts({
      startLeg: async (_job, leg) => {
        first.started.push(leg);
        if (leg === "c") return new Promise<LegOutcome>(() => {});
        await tick();
        return { result: "success", outputs: { leg } };
      },
    });
    void drive(dag, first.ports, { record: (e) => log.push(e) });
    while (!log.some((e) => e.type === "leg-finished" && e.leg === "b")) await tick();
    expect(first.started).toEqual(["a", "b", "c"]);

    const saved: MachineEvent[] = JSON.parse(JSON.stringify(log));
    const second = fakePorts();
    const result = await drive(dag, second.ports, { from: replay(dag, saved), record: (e) => saved.push(e) });
    expect(result).toBe("success");
    expect(second.started).toEqual(["c", "d"]); // c again: its runner was lost with the process
    expect(replay(dag, saved).result).toBe("success");
  });

  test("a run that can make no progress fails loudly instead of hanging", async () => {
    // A needs cycle (the loader rejects one before the run) leaves no job ready.
    const cycle: MachineConfig = {
      maxJobs: 1,
      workflows: [{ workflow: "ci", nodes: nodes({ a: ["b"], b: ["a"] }) }],
    };
    await expect(drive(cycle, fakePorts().ports)).rejects.toThrow(/stalled/);
  });

  test("a port that throws fails its job, not the run's machinery", async () => {
    const f = fakePorts({
      expand: (job, needs, status) => {
        if (job === "b") throw new Error("if: bad expression");
        return plainLeg(job, needs, status);
      },
      startLeg: async (_job, leg) => {
        f.started.push(leg);
        if (leg === "c") throw new Error("runner crashed");
        return { result: "success", outputs: {} };
      },
    });
    expect(await drive(dag, f.ports)).toBe("failure");
    const ends = f.events.filter((e) => e.type === "job-end").map((e) => [e.job, e.result, e.reason]);
    expect(ends).toEqual([
      ["b", "failure", "if: bad expression"],
      ["d", "skipped", "if: success() was false"],
    ]);
  });

  test("called workflows and matrices over real async", async () => {
    const f = fakePorts({
      expand: async (job, needs, status) => {
        await tick();
        if (job === "call")
          return {
            type: "call",
            isMatrix: false,
            calls: [
              { key: "call", name: "call", workflow: "lib", nodes: nodes({ x: [], y: ["x"] }, "call.") },
            ],
          };
        if (job === "m")
          return {
            type: "legs",
            legs: [1, 2, 3].map((i) => ({ key: `m.${i}`, name: `m ${i}` })),
            failFast: true,
            maxParallel: 2,
            continueOnError: false,
            isMatrix: true,
          };
        return plainLeg(job, needs, status);
      },
      collect: async (_job, _leg, results) => ({
        result: "success",
        outputs: { y: results.y!.outputs.leg! },
      }),
    });
    const config: MachineConfig = {
      maxJobs: 4,
      workflows: [{ workflow: "ci", nodes: nodes({ call: [], m: ["call"] }) }],
    };
    expect(await drive(config, f.ports)).toBe("success");
    expect(f.started).toEqual(["call.x", "call.y", "m.1", "m.2", "m.3"]);
    const end = f.events.find((e) => e.type === "job-end" && e.job === "call");
    expect(end).toMatchObject({ result: "success", outputs: { y: "call.y" } });
  });
});
