import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { openHistory } from "../db/open.js";
import { backends } from "../db/test-helpers.js";
import type { JobAssignment } from "../run/assignment.js";
import { LegsDb } from "./legs-db.js";

// The legs' queue in the database (replicas on PostgreSQL): the same promises as the
// in-memory Dispatcher (dispatch.test.ts), and two replicas sharing legs, agents and events.

const linux = { os: "linux" as const, arch: "x64" as const };
const assignment = (key: string, runsOn = ["ubuntu-latest"]) =>
  ({ key, name: key, runsOn, secrets: { TOKEN: "s3cret" } }) as unknown as JobAssignment;
const log = (key: string, text: string) => ({
  type: "log" as const,
  job: key,
  stream: "stdout" as const,
  text,
});
const key = randomBytes(32);

const open: LegsDb[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

describe.each(backends())("$name", (b) => {
  async function replicas(n: number, leaseMs = 60_000) {
    const { root, url } = await b.fresh();
    const out: LegsDb[] = [];
    // SQLite is one server: its "replicas" are one LegsDb (the wake-ups are in-process).
    for (let i = 0; i < (url ? n : 1); i++) {
      const d = new LegsDb({
        db: (await openHistory(root, true, url))!,
        listenUrl: url,
        key,
        leaseMs,
        retries: 1,
        log: () => {},
      });
      await d.start();
      open.push(d);
      out.push(d);
    }
    while (out.length < n) out.push(out[0]!);
    return out;
  }
  const agent = (d: LegsDb, name: string) =>
    d.register({
      name,
      labels: ["self-hosted", "Linux", "X64"],
      platform: linux,
      capacity: 1,
      sandbox: false,
    });

  test("an agent of one replica leases a leg queued on another (woken, not polling); events kept once; the other replica reads them and the result", async () => {
    const [a, r] = await replicas(2);
    const ag = await agent(a!, "on-a");
    // The token works on the other replica too.
    expect((await r!.agentByToken(ag.token))?.name).toBe("on-a");
    const waiting = a!.lease(ag, 10_000);
    const t0 = Date.now();
    const leg = await r!.enqueue(7, assignment("build"), false, 1);
    const got = (await waiting)!;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(got.id).toBe(leg.id);
    // The secret values travel sealed and come back whole to the agent.
    expect(got.assignment.secrets).toEqual({ TOKEN: "s3cret" });
    const lease = got.lease!.id;
    expect(await a!.events(ag, lease, 1, [log("build", "one"), log("build", "two")])).toEqual({
      acked: 2,
      cancel: false,
    });
    // A resend with one more line (its answer was lost): the new line only, through the other replica.
    expect(
      await r!.events(ag, lease, 1, [log("build", "one"), log("build", "two"), log("build", "three")]),
    ).toEqual({
      acked: 3,
      cancel: false,
    });
    expect(await a!.events(ag, lease, 5, [log("build", "five")])).toEqual({ acked: 3, cancel: false });
    const first = await r!.next(leg.id, 0, 0);
    expect(first?.events.map((e) => (e as { text: string }).text)).toEqual(["one", "two", "three"]);
    expect(first?.result).toBeUndefined();
    const later = r!.next(leg.id, first!.after, 10_000);
    expect(await a!.complete(ag, lease, { result: "success", outputs: { o: "1" } })).toBe(true);
    expect(await later).toEqual({
      events: [],
      after: first!.after,
      result: { result: "success", outputs: { o: "1" } },
      leg: { run: 7, key: "build" },
    });
    // Read to its end: forgotten (soon after: the run is not kept waiting for it).
    for (let i = 0; i < 50 && (await r!.next(leg.id, 0, 0)) !== undefined; i++)
      await new Promise((f) => setTimeout(f, 20));
    expect(await r!.next(leg.id, 0, 0)).toBeUndefined();
  });

  test("a lost lease is queued again once, then failed with the reason; the first agent's late result is refused", async () => {
    const [a, r] = await replicas(2, 300);
    const one = await agent(a!, "one");
    const two = await agent(r!, "two");
    const leg = await a!.enqueue(1, assignment("build"), false);
    const first = (await a!.lease(one, 0))!.lease!.id;
    await a!.events(one, first, 1, [log("build", "from one")]);
    const second = await r!.lease(two, 10_000);
    expect(second?.id).toBe(leg.id);
    expect(second?.attempt).toBe(2);
    expect(await a!.complete(one, first, { result: "success", outputs: {} })).toBe(false);
    const texts: string[] = [];
    let after = 0;
    for (;;) {
      const n = (await a!.next(leg.id, after, 10_000))!;
      texts.push(...n.events.map((e) => (e as { text: string }).text));
      after = n.after;
      if (n.result) {
        expect(n.result).toMatchObject({
          result: "failure",
          reason: expect.stringMatching(/^two stopped answering .* already retried$/),
        });
        break;
      }
    }
    expect(texts[0]).toBe("from one");
    expect(texts[1]).toBe("one stopped answering (no heartbeat for 0.3 s): attempt 2 on another agent");
    expect(texts[2]).toMatch(/^two stopped answering .* already retried$/);
    expect(texts).toHaveLength(3);
  });

  test("cancel: a waiting leg ends at once; a leased one is told to its agent, through any replica", async () => {
    const [a, r] = await replicas(2);
    const w = await a!.enqueue(1, assignment("w", ["self-hosted", "none"]), false);
    await r!.cancel(w.id);
    expect((await a!.next(w.id, 0, 0))?.result).toEqual({
      result: "cancelled",
      outputs: {},
      reason: "cancelled before an agent took it",
    });
    const ag = await agent(r!, "ag");
    const leg = await a!.enqueue(1, assignment("r"), false);
    const lease = (await r!.lease(ag, 0))!.lease!.id;
    await a!.cancel(leg.id);
    expect(await r!.heartbeat(ag, [lease, "gone"])).toEqual({ lost: ["gone"], cancel: [lease] });
    expect(await a!.events(ag, lease, 1, [])).toEqual({ acked: 0, cancel: true });
  });
});

describe.each(backends())("$name: removing an agent", (b) => {
  test("removed through one replica: refused by every replica, its long poll ends, its leg goes to another agent, then fails saying so; what it sent stays", async () => {
    const { root, url } = await b.fresh();
    const make = async () => {
      const d = new LegsDb({
        db: (await openHistory(root, true, url))!,
        listenUrl: url,
        key,
        leaseMs: 60_000,
        retries: 1,
        log: () => {},
      });
      await d.start();
      open.push(d);
      return d;
    };
    const a = await make();
    const r = url ? await make() : a;
    const reg = (d: LegsDb, name: string) =>
      d.register({
        name,
        labels: ["self-hosted", "Linux", "X64"],
        platform: linux,
        capacity: 1,
        sandbox: false,
      });
    const one = await reg(a, "one");
    const two = await reg(r, "two");
    const leg = await a.enqueue(1, assignment("build"), false);
    const first = (await a.lease(one, 0))!.lease!.id;
    await a.events(one, first, 1, [log("build", "from one")]);
    // one's token, cached by the other replica, and two waiting there in a long poll.
    const cached = (await r.agentByToken(one.token))!;
    expect(cached.removed).toBeUndefined();
    const removed = await r.removeAgent(one.id);
    expect(removed).toMatchObject({ agent: { name: "one" }, released: 1 });
    expect(await a.removeAgent(one.id)).toBeUndefined();
    expect(await a.removeAgent("nope")).toBeUndefined();
    // Refused at once through the leg rows, whichever replica it asks.
    expect(await a.heartbeat(one, [first])).toEqual({ lost: [first], cancel: [] });
    expect(await a.events(one, first, 2, [log("build", "late")])).toBeUndefined();
    expect(await a.complete(one, first, { result: "success", outputs: {} })).toBe(false);
    // Its token: known as removed by the replica that removed it, a new one looking it up, and
    // the other (told by NOTIFY on PostgreSQL).
    expect(cached.removed).toBeGreaterThan(0);
    expect((await (url ? await make() : a).agentByToken(one.token))?.removed).toBeGreaterThan(0);
    await expect
      .poll(async () => (await a.agentByToken(one.token))?.removed, { timeout: 7000 })
      .toBeGreaterThan(0);
    // The leg waits again; one cannot take it, even through a replica that has not heard of
    // the removal yet (the row refuses); two takes it.
    expect(await a.lease(one, 0)).toBeUndefined();
    const { removed: _, ...unheard } = one;
    expect(await a.lease(unheard, 0)).toBeUndefined();
    const second = await r.lease(two, 10_000);
    expect(second).toMatchObject({ id: leg.id, attempt: 2 });
    await expect.poll(() => a.listAgents().map((x) => x.name), { timeout: 3000 }).toEqual(["two"]);
    // two, in a long poll on the other replica, is removed while it holds the retried leg: the
    // poll ends, and the leg fails, saying why.
    const t0 = Date.now();
    const waiting = r.lease(two, 10_000);
    expect(await a.removeAgent(two.id)).toMatchObject({ released: 1 });
    expect(await waiting).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(3000);
    const texts: string[] = [];
    let after = 0;
    for (;;) {
      const n = (await a.next(leg.id, after, 10_000))!;
      texts.push(...n.events.map((e) => (e as { text: string }).text));
      after = n.after;
      if (n.result) {
        expect(n.result).toEqual({
          result: "failure",
          outputs: {},
          reason: "agent two was removed and the job was already retried",
        });
        break;
      }
    }
    expect(texts).toEqual([
      "from one",
      "agent one was removed: attempt 2 on another agent",
      "agent two was removed and the job was already retried",
    ]);
  });

  test("an agent asking every second (a busy one's heartbeats) is written seen every 5 s, so it stays listed", async () => {
    const { root, url } = await b.fresh();
    const d = new LegsDb({
      db: (await openHistory(root, true, url))!,
      key,
      leaseMs: 60_000,
      retries: 1,
      log: () => {},
    });
    await d.start();
    open.push(d);
    const ag = await d.register({ name: "busy", labels: [], platform: linux, capacity: 1, sandbox: false });
    const t0 = Date.now();
    while (Date.now() - t0 < 6500) {
      await d.agentByToken(ag.token);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await expect
      .poll(() => d.listAgents().find((x) => x.name === "busy")?.lastSeen ?? 0, { timeout: 3000 })
      .toBeGreaterThan(t0 + 4000);
  }, 15_000);
});
