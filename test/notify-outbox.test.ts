import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { freshDatabase, TEST_DATABASE_URL } from "../src/db/test-helpers.js";
import { tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, stopAll, until, webhook } from "./helpers/serve.js";

// The notifications' outbox is in the history database: a real `slipway serve` killed with -9
// while a delivery waits (for its retry, or for an endpoint that does not answer) loses it not.
// The same server restarted on the same SQLite file sends it, once; on PostgreSQL the other
// replica does, once the dead one's claim on the row expires.

const SECRET = "outbox-hook-secret";
const CI = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: exit 1\n";

/** A receiver that records each request's delivery id and answers with `answer(n)` (n from 1). */
interface Receiver {
  url: string;
  got: { id: string; answered: number | "none" }[];
  srv: HttpServer;
}
const receivers: Receiver[] = [];
async function receiver(answer: (n: number) => number | "none"): Promise<Receiver> {
  const r: Receiver = { url: "", got: [], srv: createServer() };
  r.srv.on("request", (req, res) => {
    req.resume();
    req.on("end", () => {
      const a = answer(r.got.length + 1);
      r.got.push({ id: String(req.headers["x-slipway-delivery"]), answered: a });
      if (a === "none") return;
      // 503 with a Retry-After: the retry is due 3 s later, time to kill the server meanwhile.
      res.writeHead(a, a === 503 ? { "retry-after": "3" } : {});
      res.end();
    });
  });
  await new Promise<void>((ok) => r.srv.listen(0, "127.0.0.1", ok));
  r.url = `http://127.0.0.1:${(r.srv.address() as AddressInfo).port}/hook`;
  receivers.push(r);
  return r;
}

const dirs: string[] = [];
const made: string[] = [];
afterAll(async () => {
  await stopAll();
  for (const r of receivers) {
    r.srv.closeAllConnections();
    r.srv.close();
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (made.length) {
    const { PgDb } = await import("../src/db/pg-db.js");
    const admin = await PgDb.connect(TEST_DATABASE_URL!, "");
    for (const name of made) await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
}, 60_000);

function setup(url: string) {
  const repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI, ".gitignore": ".slipway/\n" });
  const dir = mkdtempSync(join(tmpdir(), "slipway-outbox-e2e-"));
  dirs.push(dir);
  const config = join(dir, "slipway-server.yml");
  writeFileSync(
    config,
    `agents: "1"\nnotifications:\n  - name: hook\n    url: ${url}\n    events: [run.failed]\n`,
  );
  return { repo, args: ["--webhook-secret", SECRET, "--config", config] };
}

async function failRun(srv: Server, repo: string): Promise<void> {
  const after = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  const r = await webhook(
    srv,
    "push",
    { ref: "refs/heads/main", before: "0".repeat(40), after, repository: { full_name: "acme/shop" } },
    "outbox-1",
    SECRET,
  );
  expect(r.status).toBe(202);
}

type Counts = Record<"queued" | "delivered" | "retried" | "waiting" | "inFlight", number>;
const counts = async (s: Server) => (await api(s, "/api/notifications")).body.counts as unknown as Counts;

test("SQLite: killed -9 while a delivery waits for its retry, the restarted server sends it, once, with the same delivery id", async () => {
  let up = false;
  const hook = await receiver(() => (up ? 200 : 503));
  const { repo, args } = setup(hook.url);
  const a = await serve(repo, args, {});
  await failRun(a, repo);
  await until("the first attempt", () => hook.got[0]);
  // Back in the outbox, its retry due in 3 s.
  await until("the retry to wait", async () => ((await counts(a)).retried === 1 ? true : undefined));
  // The server's look at the outbox (every second) counts it waiting.
  await until("the row to be counted", async () =>
    /slipway_notifications\{outcome="waiting"\} 1/.test(await fetch(`${a.url}/metrics`).then((r) => r.text()))
      ? true
      : undefined,
  );
  a.proc.kill("SIGKILL");
  await a.exited;
  up = true;
  const b = await serve(repo, args, {});
  await until("the delivery", () => hook.got.find((g) => g.answered === 200));
  // Nothing more comes (no second delivery, from the new server or anyone).
  await new Promise((ok) => setTimeout(ok, 2000));
  expect(hook.got.map((g) => g.answered)).toEqual([503, 200]);
  expect(new Set(hook.got.map((g) => g.id)).size).toBe(1);
  expect(hook.got[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(await counts(b)).toMatchObject({ delivered: 1, waiting: 0, inFlight: 0 });
  const metrics = await fetch(`${b.url}/metrics`).then((r) => r.text());
  expect(metrics).toContain('slipway_notifications{outcome="delivered"} 1');
  expect(metrics).toContain('slipway_notifications{outcome="waiting"} 0');
}, 90_000);

test.skipIf(!TEST_DATABASE_URL)(
  "PostgreSQL: two replicas; the one sending a delivery to an endpoint that does not answer is killed -9, the other sends it once its claim expires",
  async () => {
    const db = await freshDatabase(made);
    const hook = await receiver((n) => (n === 1 ? "none" : 200));
    const { repo, args } = setup(hook.url);
    const both = [...args, "--db", db];
    const a = await serve(repo, both, {});
    const b = await serve(repo, both, {});
    await failRun(a, repo);
    await until("the first attempt", () => hook.got[0]);
    // The replica holding the row (claimed, its request in flight) dies.
    const holder = await until("the sender", async () => {
      for (const s of [a, b]) if ((await counts(s)).inFlight === 1) return s;
      return undefined;
    });
    const other = holder === a ? b : a;
    holder.proc.kill("SIGKILL");
    await holder.exited;
    const killedAt = Date.now();
    await until("the delivery by the other replica", () => hook.got.find((g) => g.answered === 200), 40_000);
    await new Promise((ok) => setTimeout(ok, 1500));
    expect(hook.got.map((g) => g.answered)).toEqual(["none", 200]);
    expect(new Set(hook.got.map((g) => g.id)).size).toBe(1);
    // Not before the claim (10 s timeout + 5 s margin from its start) expired.
    expect(Date.now() - killedAt).toBeGreaterThan(1000);
    expect(await counts(other)).toMatchObject({ delivered: 1, waiting: 0, inFlight: 0 });
  },
  120_000,
);
