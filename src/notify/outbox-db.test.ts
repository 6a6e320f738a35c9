import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, test } from "vitest";
import type { Db } from "../db/db.js";
import { openHistory } from "../db/open.js";
import { type Backend, backends } from "../db/test-helpers.js";
import type { Target } from "./config.js";
import type { RunEvent } from "./events.js";
import { Notifier } from "./notifier.js";
import type { OutboxRow } from "./outbox.js";
import { DbOutbox } from "./outbox-db.js";
import { DELIVERY_HEADER } from "./payload.js";

// The outbox in the history database, on SQLite and PostgreSQL: the store's own rules, then
// notifiers over it sending to a real receiver on loopback.

const event: RunEvent = {
  type: "run.failed",
  repository: "acme/shop",
  workflow: "CI",
  branch: "main",
  run: 1,
  sha: "0".repeat(40),
  actor: "alice",
};
const row = (id: string, over: Partial<OutboxRow> = {}): OutboxRow => ({
  id,
  target: "t",
  event,
  body: `{"n":"${id}"}`,
  attempt: 0,
  dueAt: 1000,
  createdAt: 1000,
  ...over,
});

const opened: { close(): unknown }[] = [];
afterAll(async () => {
  for (const x of opened.reverse()) await x.close();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});
/** A connection of its own on the back end's database at `root`/`url`, as serve opens. */
async function connect(f: { root: string; url?: string }): Promise<Db> {
  return (await openHistory(f.root, true, f.url))!;
}

const servers: Server[] = [];
async function receiver(answer: (n: number) => number | "hang" = () => 200) {
  const got: { id: string; status: number | "hang" }[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on("end", () => {
      const a = answer(got.length + 1);
      got.push({ id: String(req.headers[DELIVERY_HEADER]), status: a });
      if (a === "hang") return;
      res.writeHead(a, a === 503 ? { "retry-after": "0.2" } : {});
      res.end();
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, got };
}
const target = (url: string, name = "t"): Target => ({
  name,
  url,
  format: "json",
  events: [],
  repositories: [],
  environments: [],
});
async function until(ok: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(backends())("$name", (b: Backend) => {
  test("a row waits, is claimed once until its claim expires, goes back with its attempt and due time, and is removed", async () => {
    const f = await b.fresh();
    const store = new DbOutbox(await connect(f));
    opened.push(store);
    expect(await store.add([row("a"), row("b", { dueAt: 5000, createdAt: 1001 })], 10, 1000)).toEqual([]);
    expect(await store.look(1000)).toEqual({ waiting: 2, next: 1000 });
    const room = new Map([["t", 2]]);
    const first = await store.claim(room, 1000, 3000);
    // b is not due yet.
    expect(first.rows.map((r) => r.id)).toEqual(["a"]);
    expect(first.rows[0]).toEqual(row("a"));
    expect(first.strays).toEqual([]);
    // Claimed: not waiting, not claimed again (also by another connection) while the claim holds.
    expect(await store.look(1000)).toEqual({ waiting: 1, next: 5000 });
    const other = new DbOutbox(await connect(f));
    opened.push(other);
    expect((await other.claim(room, 2000, 4000)).rows).toEqual([]);
    // Its server died: the claim expires and the row is anyone's.
    expect((await other.claim(room, 3001, 9000)).rows.map((r) => r.id)).toEqual(["a"]);
    await other.retry("a", 1, 7000);
    expect(await store.look(3001)).toEqual({ waiting: 2, next: 5000 });
    const later = await store.claim(room, 8000, 9000);
    expect(later.rows.map((r) => [r.id, r.attempt, r.dueAt])).toEqual([
      ["b", 0, 5000],
      ["a", 1, 7000],
    ]);
    await store.remove("a");
    await store.remove("b");
    expect(await store.look(10_000)).toEqual({ waiting: 0 });
  });

  test("a target's rows are claimed up to its room; a removed target's rows are strays, removed", async () => {
    const f = await b.fresh();
    const store = new DbOutbox(await connect(f));
    opened.push(store);
    await store.add(
      [row("1"), row("2"), row("3"), row("x", { target: "gone" }), row("u", { target: "u" })],
      10,
      1000,
    );
    const c = await store.claim(
      new Map([
        ["t", 2],
        ["u", 0],
      ]),
      1000,
      2000,
    );
    expect(c.rows.map((r) => r.id).sort()).toEqual(["1", "2"]);
    expect(c.strays.map((r) => [r.id, r.target])).toEqual([["x", "gone"]]);
    expect(await store.look(1000)).toEqual({ waiting: 2, next: 1000 });
  });

  test("bounded: past `max` waiting rows the oldest are removed and returned (rows being sent do not count)", async () => {
    const f = await b.fresh();
    const store = new DbOutbox(await connect(f));
    opened.push(store);
    await store.add([row("sent", { createdAt: 1 })], 3, 1000);
    await store.claim(new Map([["t", 1]]), 1000, 60_000);
    const rows = [1, 2, 3, 4, 5].map((i) => row(`r${i}`, { createdAt: 1000 + i }));
    expect(await store.add(rows.slice(0, 3), 3, 1000)).toEqual([]);
    const dropped = await store.add(rows.slice(3), 3, 1000);
    expect(dropped.map((r) => r.id)).toEqual(["r1", "r2"]);
    expect((await store.look(1000)).waiting).toBe(3);
  });

  test("the event is stored masked; the body as given", async () => {
    const f = await b.fresh();
    const db = await connect(f);
    const store = new DbOutbox(db, (t) => t.replaceAll("alice", "***"));
    opened.push(store);
    await store.add([row("m")], 10, 1000);
    const [got] = (await store.claim(new Map([["t", 1]]), 1000, 2000)).rows;
    expect((got!.event as RunEvent).actor).toBe("***");
    expect(got!.body).toBe('{"n":"m"}');
  });

  test("servers claiming at once take each row once", async () => {
    const f = await b.fresh();
    // Opened one after the other: two SQLite connections of one process must not migrate at once.
    const stores: DbOutbox[] = [];
    for (let i = 0; i < 3; i++) stores.push(new DbOutbox(await connect(f)));
    opened.push(...stores);
    await stores[0]!.add(
      Array.from({ length: 30 }, (_, i) => row(`c${i}`)),
      100,
      1000,
    );
    const taken: string[] = [];
    await Promise.all(
      stores.map(async (s) => {
        for (let k = 0; k < 10; k++) {
          const c = await s.claim(new Map([["t", 2]]), 1000, 60_000);
          taken.push(...c.rows.map((r) => r.id));
        }
      }),
    );
    expect(taken.length).toBe(30);
    expect(new Set(taken).size).toBe(30);
  });

  test("a notifier closed while a delivery waits for its retry: the next one on the database sends it, with the same id", async () => {
    const f = await b.fresh();
    let up = false;
    const r = await receiver(() => (up ? 200 : 503));
    const logs: string[] = [];
    const make = async () => {
      const n = new Notifier({
        targets: [target(r.url)],
        log: (t) => logs.push(t),
        store: new DbOutbox(await connect(f)),
        pollMs: 50,
      });
      opened.push(n);
      return n;
    };
    const a = await make();
    expect(a.notify(event)).toBe(1);
    await until(() => a.counts.retried === 1);
    await a.close();
    up = true;
    const before = r.got.length;
    const c = await make();
    await until(() => c.counts.delivered === 1);
    expect(r.got.length).toBe(before + 1);
    expect(new Set(r.got.map((g) => g.id)).size).toBe(1);
    await c.drained();
    expect(c.status().counts).toMatchObject({ waiting: 0, inFlight: 0, delivered: 1 });
  });

  test("two notifiers on one database: each delivery goes once; one claimed by a server that died goes after its claim expires", async () => {
    const f = await b.fresh();
    const r = await receiver();
    const make = async (o: Partial<ConstructorParameters<typeof Notifier>[0]> = {}) => {
      const n = new Notifier({
        targets: [target(r.url)],
        log: () => {},
        store: new DbOutbox(await connect(f)),
        pollMs: 50,
        timeoutMs: 300,
        claimMarginMs: 100,
        ...o,
      });
      opened.push(n);
      return n;
    };
    const [x, y] = [await make(), await make()];
    for (let i = 0; i < 10; i++) (i % 2 ? x : y).notify({ ...event, run: i });
    await until(() => r.got.length >= 10);
    await new Promise((ok) => setTimeout(ok, 300));
    expect(r.got.length).toBe(10);
    expect(new Set(r.got.map((g) => g.id)).size).toBe(10);
    expect(x.counts.delivered + y.counts.delivered).toBe(10);

    // A server claimed this row and died: nobody sends it until the claim expires.
    const dead = new DbOutbox(await connect(f));
    opened.push(dead);
    const now = Date.now();
    await dead.add([row("orphan", { target: "t", dueAt: now, createdAt: now })], 10, now);
    await dead.claim(new Map([["t", 1]]), now, now + 700);
    await new Promise((ok) => setTimeout(ok, 400));
    expect(r.got.some((g) => g.id === "orphan")).toBe(false);
    await until(() => r.got.some((g) => g.id === "orphan"));
    expect(Date.now() - now).toBeGreaterThanOrEqual(700);
    expect(r.got.filter((g) => g.id === "orphan")).toHaveLength(1);
  });

  test("closing aborts an attempt under way at once and puts its row back; the next notifier sends it", async () => {
    const f = await b.fresh();
    const r = await receiver((n) => (n === 1 ? "hang" : 200));
    const logs: string[] = [];
    const make = async () => {
      const n = new Notifier({
        targets: [target(r.url)],
        log: (t) => logs.push(t),
        store: new DbOutbox(await connect(f)),
        pollMs: 50,
      });
      opened.push(n);
      return n;
    };
    const a = await make();
    a.notify(event);
    await until(() => a.status().counts.inFlight === 1);
    const t0 = Date.now();
    await a.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(a.counts).toMatchObject({ failed: 0, delivered: 0 });
    // Nothing was logged as an error of the outbox while closing.
    expect(logs.filter((l) => l.startsWith("notify: outbox"))).toEqual([]);
    const c = await make();
    await until(() => c.counts.delivered === 1);
    expect(r.got.map((g) => g.status)).toEqual(["hang", 200]);
    expect(new Set(r.got.map((g) => g.id)).size).toBe(1);
  });

  test("a row for a target no longer configured is dropped with a log line", async () => {
    const f = await b.fresh();
    const r = await receiver();
    const store = new DbOutbox(await connect(f));
    const now = Date.now();
    await store.add([row("old", { target: "removed", dueAt: now, createdAt: now })], 10, now);
    const logs: string[] = [];
    const n = new Notifier({ targets: [target(r.url)], log: (t) => logs.push(t), store, pollMs: 50 });
    opened.push(n);
    await until(() => n.counts.dropped === 1);
    expect(logs).toContain("notify: run.failed for removed dropped: no such target in the configuration");
    expect(r.got).toEqual([]);
    expect(n.status().counts.waiting).toBe(0);
  });
});
