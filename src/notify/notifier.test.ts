import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import type { Deployment } from "../cd/types.js";
import type { Target } from "./config.js";
import {
  approvalDecided,
  approvalNeeded,
  deploymentDone,
  deploymentRolledBack,
  type RunEvent,
} from "./events.js";
import { Notifier, wants } from "./notifier.js";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verifySignature } from "./payload.js";

// A real HTTP receiver on loopback: it records what it gets and answers as told.
interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}
const servers: Server[] = [];
async function receiver(answer: (n: number) => number | "hang" = () => 200) {
  const got: Received[] = [];
  const hanging: IncomingMessage[] = [];
  const srv = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      got.push({ headers: req.headers, body, at: Date.now() });
      const a = answer(got.length);
      if (a === "hang") {
        hanging.push(req);
        return;
      }
      res.writeHead(a, a === 503 ? { "retry-after": "0.05" } : {});
      res.end("ok");
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, got, hanging, srv };
}
afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});
const notifiers: Notifier[] = [];
async function until(ok: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
afterEach(() => {
  for (const n of notifiers.splice(0)) n.close();
});

const target = (url: string, over: Partial<Target> = {}): Target => ({
  name: "t",
  url,
  format: "json",
  events: [],
  repositories: [],
  environments: [],
  ...over,
});
const logs: string[] = [];
function make(targets: Target[], over: Partial<ConstructorParameters<typeof Notifier>[0]> = {}) {
  const n = new Notifier({ targets, log: (t) => logs.push(t), backoffMs: 20, timeoutMs: 2000, ...over });
  notifiers.push(n);
  return n;
}

const failed: RunEvent = {
  type: "run.failed",
  repository: "acme/shop",
  workflow: "CI",
  branch: "main",
  run: 12,
  sha: "0123456789abcdef0123456789abcdef01234567",
  actor: "alice",
  url: "http://ci.example/runs/12",
};
const deployment: Deployment = {
  id: 7,
  repo: "",
  environment: "production",
  sha: "f".repeat(40),
  ref: "refs/tags/v1.2.0",
  version: "v1.2.0",
  run: 30,
  job: "deploy",
  attempt: 1,
  url: "https://shop.example",
  approvedBy: ["bob"],
  startedAt: 1,
  finishedAt: 2,
  status: "active",
  kind: "deploy",
};

describe("payloads", () => {
  test("JSON webhook: the event, delivery id and time, signed with HMAC-SHA256 over the raw body", async () => {
    const r = await receiver();
    const n = make([target(r.url, { secret: "s3cret" })]);
    expect(n.notify(failed)).toBe(1);
    await n.drained();
    expect(r.got).toHaveLength(1);
    const { headers, body } = r.got[0]!;
    const json = JSON.parse(body);
    expect(json).toEqual({
      event: "run.failed",
      delivery: headers[DELIVERY_HEADER],
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      repository: "acme/shop",
      workflow: "CI",
      branch: "main",
      run: 12,
      sha: failed.sha,
      actor: "alice",
      url: "http://ci.example/runs/12",
    });
    expect(headers[EVENT_HEADER]).toBe("run.failed");
    expect(headers[DELIVERY_HEADER]).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers["content-type"]).toBe("application/json");
    const sig = headers[SIGNATURE_HEADER] as string;
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(body, "s3cret", sig)).toBe(true);
    expect(verifySignature(body.replace("alice", "mallory"), "s3cret", sig)).toBe(false);
    expect(verifySignature(body, "other", sig)).toBe(false);
    expect(verifySignature(body, "s3cret", undefined)).toBe(false);
  });

  test("Slack: text and a mrkdwn section, escaped, with links; no signature", async () => {
    const r = await receiver();
    const n = make([target(r.url, { format: "slack" })]);
    n.notify({ ...failed, workflow: "CI <prod> & co" });
    n.notify(deploymentDone("acme/shop", deployment));
    n.notify(deploymentRolledBack("acme/shop", { ...deployment, kind: "rollback", rollbackOf: 5 }));
    n.notify(approvalNeeded({ repository: "acme/shop", environment: "production", run: 30, job: "deploy" }));
    n.notify(
      approvalDecided(
        {
          repository: "acme/shop",
          environment: "production",
          run: 30,
          job: "deploy",
          by: "bob",
          comment: "ship it",
        },
        true,
      ),
    );
    await n.drained();
    const texts = r.got.map((g) => JSON.parse(g.body)).sort((a, b) => a.text.localeCompare(b.text));
    for (const t of texts)
      expect(t.blocks).toEqual([{ type: "section", text: { type: "mrkdwn", text: t.text } }]);
    expect(texts.map((t) => t.text)).toEqual([
      ":+1: *acme/shop*: bob approved deploy for production (run #30): ship it",
      ":hourglass: *acme/shop*: deploy waits for approval to deploy to production (run #30)",
      ":leftwards_arrow_with_hook: *acme/shop*: production rolled back to v1.2.0 (deployment 5) (run #30)",
      ":rocket: *acme/shop*: v1.2.0 deployed to <https://shop.example|production> (run #30)",
      `:x: *acme/shop*: CI &lt;prod&gt; &amp; co failed on main (<http://ci.example/runs/12|run #12>, 0123456 by alice)`,
    ]);
    expect(r.got[0]!.headers[SIGNATURE_HEADER]).toBeUndefined();
  });

  test("the body is masked: a secret never leaves in a notification", async () => {
    const r = await receiver();
    const n = make([target(r.url)], { mask: (t) => t.replaceAll("alice", "***") });
    n.notify(failed);
    await n.drained();
    expect(r.got[0]!.body).toContain('"actor":"***"');
  });
});

test("targets filter by event, repository and environment", () => {
  const t = (over: Partial<Target>) => target("http://x", over);
  const dep = deploymentDone("acme/shop", deployment);
  expect(wants(t({ events: ["run.failed"] }), failed)).toBe(true);
  expect(wants(t({ events: ["run.fixed"] }), failed)).toBe(false);
  expect(wants(t({ repositories: ["acme/other"] }), failed)).toBe(false);
  expect(wants(t({ environments: ["production"] }), dep)).toBe(true);
  expect(wants(t({ environments: ["staging"] }), dep)).toBe(false);
  // Runs have no environment: a target for an environment does not get them.
  expect(wants(t({ environments: ["production"] }), failed)).toBe(false);
});

describe("delivery", () => {
  test("500s are retried with growing delays, the same delivery id each time; 503's Retry-After is obeyed", async () => {
    const r = await receiver((k) => (k <= 3 ? 500 : 200));
    const n = make([target(r.url)], { backoffMs: 40, random: () => 1 });
    n.notify(failed);
    await n.drained();
    expect(r.got).toHaveLength(4);
    expect(new Set(r.got.map((g) => g.headers[DELIVERY_HEADER])).size).toBe(1);
    const gaps = r.got.slice(1).map((g, i) => g.at - r.got[i]!.at);
    // 40, 80, 160 ms (with random() = 1: the whole delay).
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(150);
    expect(n.counts).toMatchObject({ queued: 1, delivered: 1, retried: 3, failed: 0 });

    const busy = await receiver((k) => (k === 1 ? 503 : 200));
    const m = make([target(busy.url)], { backoffMs: 10_000 });
    const t0 = Date.now();
    m.notify(failed);
    await m.drained();
    expect(busy.got).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  test("a 4xx is not retried; attempts are bounded and the failure is logged without the URL", async () => {
    const r = await receiver(() => 400);
    const n = make([target(r.url, { name: "deploy-log" })]);
    n.notify(failed);
    await n.drained();
    expect(r.got).toHaveLength(1);
    expect(n.counts.failed).toBe(1);
    expect(n.dead[0]).toMatchObject({
      target: "deploy-log",
      event: "run.failed",
      attempts: 1,
      why: "answered 400",
    });
    expect(logs.at(-1)).toBe("notify: run.failed to deploy-log failed after 1 attempt(s): answered 400");
    const status = n.status();
    expect(status.targets).toEqual([
      { name: "deploy-log", format: "json", signed: false, events: [], repositories: [], environments: [] },
    ]);
    expect(JSON.stringify(status)).not.toContain(r.url);
    expect(status.counts).toMatchObject({ queued: 1, failed: 1, waiting: 0, inFlight: 0 });
    expect(status.failed[0]).toMatchObject({
      target: "deploy-log",
      why: "answered 400",
      at: expect.stringMatching(/Z$/),
    });

    const always = await receiver(() => 502);
    const m = make([target(always.url)], { attempts: 3, backoffMs: 5 });
    m.notify(failed);
    await m.drained();
    expect(always.got).toHaveLength(3);
    expect(m.counts).toMatchObject({ retried: 2, failed: 1 });
  });

  test("a dead endpoint (refused, or hanging) never makes notify() wait, nor holds up another target", async () => {
    const closed = await receiver();
    const refusedUrl = closed.url;
    await new Promise<void>((r) => closed.srv.close(() => r()));
    const hang = await receiver(() => "hang");
    const ok = await receiver();
    const n = make(
      [target(refusedUrl, { name: "refused" }), target(hang.url, { name: "hang" }), target(ok.url)],
      {
        attempts: 2,
        timeoutMs: 200,
      },
    );
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) expect(n.notify({ ...failed, run: i })).toBe(3);
    // Queuing 30 deliveries takes no network time at all.
    expect(performance.now() - t0).toBeLessThan(50);
    // The live target has its 10 while the hanging one still holds its first ones.
    await until(() => ok.got.length === 10);
    expect(n.dead.filter((d) => d.target === "hang").length).toBeLessThan(5);
    await n.drained();
    expect(hang.got.length).toBe(20);
    expect(n.counts).toMatchObject({ queued: 30, delivered: 10, failed: 20 });
    expect(n.dead.map((d) => d.why)).toContain("ECONNREFUSED");
    expect(n.dead.map((d) => d.why)).toContain("no answer in 0.2 s");
  });

  test("the outbox is bounded: the oldest waiting deliveries are dropped", async () => {
    const hang = await receiver(() => "hang");
    const n = make([target(hang.url)], { outbox: 5, concurrency: 1, timeoutMs: 60_000 });
    for (let i = 0; i < 12; i++) n.notify({ ...failed, run: i });
    // One in flight, five waiting, six dropped.
    expect(n.counts).toMatchObject({ queued: 12, dropped: 6 });
    expect(logs).toContain("notify: outbox full, dropped run.failed for t");
  });
});
