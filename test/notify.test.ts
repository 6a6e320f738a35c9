import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { verifySignature } from "../src/notify/payload.js";
import { tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, stopAll, until, webhook } from "./helpers/serve.js";

// Notifications from a real `slipway serve` to real HTTP receivers on loopback: a signed JSON
// webhook, a Slack-format one, one that never answers and one that refuses connections. A
// push to main fails CI (fail.txt is there), the next one (fail.txt removed) fixes it.

const SECRET = "hook-secret-n";
const TOKEN = "admin-token-n";
const HMAC = "hmac-key-n-123";
const CI = `name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: '[ ! -f fail.txt ]'
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo deploying
`;

interface Receiver {
  url: string;
  got: { headers: IncomingMessage["headers"]; body: string }[];
  /** Requests held open (never answered). */
  open: number;
  srv: HttpServer;
}
const receivers: Receiver[] = [];
async function receiver(hang = false): Promise<Receiver> {
  const r: Receiver = { url: "", got: [], open: 0, srv: createServer() };
  r.srv.on("request", (req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      r.got.push({ headers: req.headers, body });
      if (hang) {
        r.open++;
        req.socket.on("close", () => r.open--);
        return;
      }
      res.end("ok");
    });
  });
  await new Promise<void>((ok) => r.srv.listen(0, "127.0.0.1", ok));
  r.url = `http://127.0.0.1:${(r.srv.address() as AddressInfo).port}/hook`;
  receivers.push(r);
  return r;
}

let repo: string;
let srv: Server;
let json: Receiver;
let slack: Receiver;
let hang: Receiver;
const dir = mkdtempSync(join(tmpdir(), "slipway-notify-e2e-"));

/** Approves the deployment waiting in `run` (production asks for an approval by default). */
async function approveWhenAsked(run: () => number | undefined): Promise<void> {
  const id = await until("the approval request", async () => {
    const a = await api(srv, "/api/approvals");
    return (a.body.approvals as { id: string; run: number }[] | undefined)?.find((x) => x.run === run())?.id;
  });
  const r = await api(srv, `/api/approvals/${id}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ decision: "approve", comment: "ship it" }),
  });
  expect(r.status, r.text).toBe(200);
}

async function push(delivery: string, approve = false): Promise<{ run: number; doneAt: number }> {
  const after = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  const r = await webhook(
    srv,
    "push",
    { ref: "refs/heads/main", before: "0".repeat(40), after, repository: { full_name: "acme/shop" } },
    delivery,
    SECRET,
  );
  expect(r.status).toBe(202);
  let run: number | undefined;
  const done = until("the run", async () => {
    const q = await api(srv, `/api/queue/${r.body.queued}`);
    run = (q.body.run as number | null) ?? undefined;
    return q.body.state === "done" ? { run: q.body.run as number, doneAt: Date.now() } : undefined;
  });
  if (approve) await approveWhenAsked(() => run);
  return done;
}

beforeAll(async () => {
  json = await receiver();
  slack = await receiver();
  hang = await receiver(true);
  const refused = await receiver();
  await new Promise<void>((ok) => refused.srv.close(() => ok()));
  repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI, "fail.txt": "x" });
  const config = join(dir, "slipway-server.yml");
  writeFileSync(
    config,
    `agents: "1"
notifications:
  - name: hanging
    url: ${hang.url}
  - name: refused
    url: ${refused.url}
  - name: signed
    url: ${json.url}
    secret-env: NOTIFY_HMAC
    repositories: [acme/shop]
    events: [run.failed, run.fixed]
  - name: chat
    url: ${slack.url}
    format: slack
  - name: production only
    url: ${json.url}
    environments: [production]
`,
  );
  srv = await serve(repo, ["--webhook-secret", SECRET, "--token", TOKEN, "--config", config], {
    NOTIFY_HMAC: HMAC,
  });
}, 60_000);
afterAll(async () => {
  await stopAll();
  for (const r of receivers) {
    r.srv.closeAllConnections();
    r.srv.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

test("run failed, then fixed: signed JSON and Slack messages; a hanging endpoint does not hold runs up", async () => {
  const first = await push("n-1");
  const failed = await until("run.failed", () =>
    json.got.find((g) => g.headers["x-slipway-event"] === "run.failed"),
  );
  expect(verifySignature(failed.body, HMAC, failed.headers["x-slipway-signature-256"] as string)).toBe(true);
  expect(JSON.parse(failed.body)).toMatchObject({
    event: "run.failed",
    repository: "acme/shop",
    workflow: "CI",
    branch: "main",
    run: first.run,
    url: `${srv.url}/runs/${first.run}`,
  });
  const chat = await until("the Slack message", () => slack.got[0]);
  expect(JSON.parse(chat.body).text).toContain(
    `:x: *acme/shop*: CI failed on main (<${srv.url}/runs/${first.run}|run #${first.run}>`,
  );

  // The next run starts and ends while the hanging endpoint still holds its notification.
  await until("the hanging delivery", () => (hang.open > 0 ? true : undefined));
  execFileSync("git", ["rm", "-q", "fail.txt"], { cwd: repo });
  execFileSync("git", ["commit", "-q", "-m", "fix"], { cwd: repo });
  const second = await push("n-2", true);
  expect(hang.open).toBeGreaterThan(0);
  // Well within the hanging delivery's 10 s timeout.
  expect(second.doneAt - first.doneAt).toBeLessThan(10_000);

  const fixed = await until("run.fixed", () =>
    json.got.find((g) => g.headers["x-slipway-event"] === "run.fixed"),
  );
  expect(verifySignature(fixed.body, HMAC, fixed.headers["x-slipway-signature-256"] as string)).toBe(true);
  expect(JSON.parse(fixed.body)).toMatchObject({ event: "run.fixed", run: second.run });
  // The production-only target got no run events, but the approval asked and given and the
  // deployment the fixed run made.
  const asked = await until("approval.needed", () =>
    json.got.find((g) => g.headers["x-slipway-event"] === "approval.needed"),
  );
  expect(JSON.parse(asked.body)).toMatchObject({ environment: "production", run: second.run, job: "deploy" });
  const given = await until("approval.given", () =>
    json.got.find((g) => g.headers["x-slipway-event"] === "approval.given"),
  );
  expect(JSON.parse(given.body)).toMatchObject({
    environment: "production",
    run: second.run,
    by: expect.any(String),
  });
  const deployed = await until("deployment.done", () =>
    json.got.find((g) => g.headers["x-slipway-event"] === "deployment.done"),
  );
  expect(JSON.parse(deployed.body)).toMatchObject({
    event: "deployment.done",
    environment: "production",
    deployment: { run: second.run, kind: "deploy", status: "active" },
  });
  expect(json.got.map((g) => g.headers["x-slipway-event"]).sort()).toEqual([
    "approval.given",
    "approval.needed",
    "deployment.done",
    "run.failed",
    "run.fixed",
  ]);
  // The DORA figures read the environments' deployments.
  const dora = await api(srv, "/api/dora?env=production&days=7");
  expect((dora.body.environments as { frequency: { deployments: number } }[])[0]!.frequency.deployments).toBe(
    1,
  );
  const status = await api(srv, "/api/notifications");
  expect((status.body.targets as { name: string }[]).map((t) => t.name)).toEqual([
    "hanging",
    "refused",
    "signed",
    "chat",
    "production only",
  ]);
  expect(status.body.targets).toContainEqual(expect.objectContaining({ name: "signed", signed: true }));
  expect(status.text).not.toContain(json.url);
  expect(status.body.counts).toMatchObject({ queued: expect.any(Number), delivered: expect.any(Number) });
  const metrics = await fetch(`${srv.url}/metrics`).then((r) => r.text());
  expect(
    Number(/slipway_notifications\{outcome="delivered"\} (\d+)/.exec(metrics)?.[1]),
  ).toBeGreaterThanOrEqual(5);
  // The HMAC key and the targets' addresses are secrets: never in the server's output.
  expect(srv.out()).not.toContain(HMAC);
  expect(srv.out()).not.toContain(hang.url);
});

test("a bad notifications: section stops serve at start with file:line:col", () => {
  const config = join(dir, "bad.yml");
  writeFileSync(config, "notifications:\n  - url: http://x\n    events: [run.broke]\n");
  let out = "";
  try {
    execFileSync(
      process.execPath,
      [join(import.meta.dirname, "../bin/slipway.js"), "serve", "--config", config, "-C", repo],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  } catch (e) {
    out = String((e as { stderr: string }).stderr);
    expect((e as { status: number }).status).toBe(2);
  }
  expect(out).toContain(`${config}:3:14: unknown event 'run.broke'`);
  expect(out).not.toContain("    at ");
});

test("stopping the server does not wait for a hanging delivery", async () => {
  await until("a hanging delivery", () => (hang.open > 0 ? true : undefined));
  const t0 = Date.now();
  srv.proc.kill("SIGTERM");
  expect(await srv.exited).toBe(0);
  expect(Date.now() - t0).toBeLessThan(5000);
});
