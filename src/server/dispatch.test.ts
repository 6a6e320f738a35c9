import { afterEach, expect, test } from "vitest";
import type { JobAssignment } from "../run/assignment.js";
import { Dispatcher } from "./dispatch.js";

const linux = { os: "linux" as const, arch: "x64" as const };
const assignment = (key: string, runsOn = ["ubuntu-latest"]) =>
  ({ key, name: key, runsOn }) as unknown as JobAssignment;
const log = (key: string, text: string) => ({
  type: "log" as const,
  job: key,
  stream: "stdout" as const,
  text,
});

let d: Dispatcher;
afterEach(() => d?.close());

const agent = (name: string, over: Partial<Parameters<Dispatcher["register"]>[0]> = {}) =>
  d.register({
    name,
    labels: ["self-hosted", "Linux", "X64"],
    platform: linux,
    capacity: 1,
    sandbox: false,
    ...over,
  });

test("a leg goes to an agent whose labels fit; events are kept once, in order, even when resent", async () => {
  d = new Dispatcher({ leaseMs: 60_000, retries: 1, log: () => {} });
  const gpu = agent("gpu", { labels: ["self-hosted", "Linux", "X64", "gpu"] });
  const plain = agent("plain");
  const leg = d.enqueue(1, assignment("train", ["self-hosted", "gpu"]), false);
  expect(d.why(leg)).toBe("all 1 agent(s) with labels self-hosted, gpu are busy");
  expect(await d.lease(plain, 0)).toBeUndefined();
  const got = await d.lease(gpu, 0);
  expect(got?.id).toBe(leg.id);
  const lease = got!.lease!.id;
  expect(d.events(gpu, lease, 1, [log("train", "one"), log("train", "two")])).toEqual({
    acked: 2,
    cancel: false,
  });
  // The answer was lost: the agent sends 1-2 again with 3; only 3 is new.
  expect(d.events(gpu, lease, 1, [log("train", "one"), log("train", "two"), log("train", "three")])).toEqual({
    acked: 3,
    cancel: false,
  });
  // A gap (seq 5 before 4) is not kept: the agent resends from acked + 1.
  expect(d.events(gpu, lease, 5, [log("train", "five")])).toEqual({ acked: 3, cancel: false });
  expect(d.events(plain, lease, 4, [log("train", "x")])).toBeUndefined();
  expect(d.complete(gpu, lease, { result: "success", outputs: { o: "1" } })).toBe(true);
  const next = await d.next(leg.id, 0, 0);
  expect(next?.events.map((e) => (e as { text: string }).text)).toEqual(["one", "two", "three"]);
  expect(next?.result).toEqual({ result: "success", outputs: { o: "1" } });
});

test("no agent with the labels: the leg waits and says why; an agent in a long poll gets it when it comes", async () => {
  d = new Dispatcher({ leaseMs: 60_000, retries: 1, log: () => {} });
  const leg = d.enqueue(1, assignment("win", ["windows-latest"]), false);
  expect(d.why(leg)).toBe("no agent with labels windows-latest");
  const a = agent("a");
  const waiting = d.lease(a, 5_000);
  const later = d.enqueue(1, assignment("build"), false);
  expect((await waiting)?.id).toBe(later.id);
  expect(d.queue().map((l) => [l.assignment.key, l.state, l.why])).toEqual([
    ["win", "waiting", "no agent with labels windows-latest"],
    ["build", "leased", "running on a"],
  ]);
  // A fork's leg waits for an agent with the sandbox.
  const fork = d.enqueue(2, assignment("pr"), true);
  expect(d.why(fork)).toBe(
    "no agent with labels ubuntu-latest can run it in the sandbox (a fork's pull request)",
  );
});

test("a lost lease is queued again once, then failed with the reason; the first agent's late result is refused", async () => {
  d = new Dispatcher({ leaseMs: 150, retries: 1, log: () => {} });
  const a = agent("a");
  const b = agent("b");
  const leg = d.enqueue(1, assignment("build"), false);
  const first = (await d.lease(a, 0))!.lease!.id;
  d.events(a, first, 1, [log("build", "from a")]);
  // a stops answering: b gets the leg in its long poll.
  const second = await d.lease(b, 5_000);
  expect(second?.id).toBe(leg.id);
  expect(second?.attempt).toBe(2);
  expect(d.complete(a, first, { result: "success", outputs: {} })).toBe(false);
  expect(d.counts).toMatchObject({ requeued: 1, lost: 1, refusedLate: 1 });
  // b stops answering too: failed, with the reason.
  const next = await d.next(leg.id, 0, 5_000);
  const all = next!.result ? next! : await d.next(leg.id, next!.events.length, 5_000);
  const texts = [...next!.events, ...(all === next ? [] : all!.events)].map(
    (e) => (e as { text: string }).text,
  );
  expect(texts[0]).toBe("from a");
  expect(texts[1]).toMatch(/^a stopped answering \(no heartbeat for 0\.15 s\): attempt 2 on another agent$/);
  expect(all!.result).toMatchObject({
    result: "failure",
    reason: expect.stringMatching(/^b stopped answering .* already retried$/),
  });
});

test("cancel: a waiting leg ends at once; a leased one is told to its agent", async () => {
  d = new Dispatcher({ leaseMs: 60_000, retries: 1, log: () => {} });
  const waiting = d.enqueue(1, assignment("w", ["self-hosted", "none"]), false);
  d.cancel(waiting.id);
  expect((await d.next(waiting.id, 0, 0))?.result).toEqual({
    result: "cancelled",
    outputs: {},
    reason: "cancelled before an agent took it",
  });
  const a = agent("a");
  const leg = d.enqueue(1, assignment("r"), false);
  const lease = (await d.lease(a, 0))!.lease!.id;
  d.cancel(leg.id);
  expect(d.heartbeat(a, [lease, "gone"])).toEqual({ lost: ["gone"], cancel: [lease] });
  expect(d.events(a, lease, 1, [])).toEqual({ acked: 0, cancel: true });
});

test("an agent removed: its token is known as removed, its long poll ends, its leg goes to another agent once, then fails saying so", async () => {
  d = new Dispatcher({ leaseMs: 60_000, retries: 1, log: () => {} });
  const a = agent("a");
  const b = agent("b");
  const c = agent("c");
  const leg = d.enqueue(1, assignment("build"), false);
  const first = (await d.lease(a, 0))!.lease!.id;
  d.events(a, first, 1, [log("build", "from a")]);
  // b waits in a long poll and is removed: the poll ends at once, with nothing.
  const waitingB = d.lease(b, 60_000);
  expect(d.removeAgent(b.id)).toMatchObject({ agent: { name: "b" }, released: 0 });
  expect(await waitingB).toBeUndefined();
  expect(d.agentByToken(b.token)?.removed).toBeGreaterThan(0);
  expect(await d.lease(b, 0)).toBeUndefined();
  // a is removed mid-job: the leg waits again, at once (no lease to expire), and c takes it.
  expect(d.removeAgent(a.id)).toMatchObject({ released: 1 });
  expect(d.removeAgent(a.id)).toBeUndefined();
  expect(d.removeAgent("nope")).toBeUndefined();
  expect(d.listAgents().map((x) => x.name)).toEqual(["c"]);
  expect(d.heartbeat(a, [first])).toEqual({ lost: [first], cancel: [] });
  expect(d.complete(a, first, { result: "success", outputs: {} })).toBe(false);
  // The leg waits again: neither removed agent gets it, c does.
  expect(await d.lease(a, 0)).toBeUndefined();
  expect(await d.lease(b, 0)).toBeUndefined();
  const second = await d.lease(c, 0);
  expect(second).toMatchObject({ id: leg.id, attempt: 2 });
  expect(d.counts).toMatchObject({ requeued: 1, lost: 1 });
  // c is removed too: the job was retried already, so it fails with the reason.
  d.removeAgent(c.id);
  const texts: string[] = [];
  let after = 0;
  for (;;) {
    const n = (await d.next(leg.id, after, 1000))!;
    texts.push(...n.events.map((e) => (e as { text: string }).text));
    after = n.after;
    if (n.result) {
      expect(n.result).toEqual({
        result: "failure",
        outputs: {},
        reason: "agent c was removed and the job was already retried",
      });
      break;
    }
  }
  // What a sent stays in the leg's log.
  expect(texts).toEqual([
    "from a",
    "agent a was removed: attempt 2 on another agent",
    "agent c was removed and the job was already retried",
  ]);
  expect(d.why(d.enqueue(2, assignment("later"), false))).toBe("no agent with labels ubuntu-latest");
});
