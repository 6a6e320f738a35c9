import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BIN, tempRepo } from "./helpers/cli.js";
import {
  api,
  type Server,
  serve as serveWith,
  sign as signWith,
  slipwayProcess,
  started,
  until,
  webhook as webhookWith,
} from "./helpers/serve.js";
import { readSse } from "./helpers/sse.js";

// `slipway serve` as a real process on loopback (port 0, the port read from its output),
// serving a real git repository; runs are real `slipway run`s on the host.

const SECRET = "hook-secret-1";
const TOKEN = "api-token-1";
const MASKED = "s3cr3t-value-42";

// The step of `slow` waits for a file the test creates: a run that is live for as long as
// the test needs, with no timing guess.
const gates = mkdtempSync(join(tmpdir(), "slipway-serve-gates-"));
const CI = `on: [push, workflow_dispatch, pull_request]
jobs:
  fast:
    runs-on: ubuntu-latest
    steps:
      - run: echo "token is \${{ secrets.MY_SECRET }}"
      - run: echo "secret length \${#S}"
        env: { S: "\${{ secrets.MY_SECRET }}" }
  slow:
    if: github.ref == 'refs/heads/slow'
    runs-on: ubuntu-latest
    steps:
      - run: echo "waiting"
      - run: while [ ! -f "${gates}/go-\${{ github.run_number }}" ] && [ ! -f "${gates}/stop" ]; do sleep 0.05; done
      - run: echo "went on"
`;

const servers = started;
const sign = (body: string, secret = SECRET) => signWith(body, secret);
const serve = (repo: string, extra: string[] = []) =>
  serveWith(repo, extra, { SLIPWAY_WEBHOOK_SECRET: SECRET, SLIPWAY_SERVER_TOKEN: TOKEN });
const webhook = (s: Server, event: string, payload: unknown, delivery: string, signature?: string | null) =>
  webhookWith(s, event, payload, delivery, SECRET, signature);

/** An SSE stream read to its end (or until `stopAfter` events), as [seq, type, data] triples. */
function sse(s: Server, path: string, lastId?: number, stopAfter?: number) {
  return readSse(`${s.url}${path}`, lastId, stopAfter);
}

let repo: string;
let head: string;
let featureSha: string;
let srv: Server;

function push(ref: string) {
  return {
    ref,
    before: "0".repeat(40),
    after: head,
    pusher: { name: "alice" },
    repository: { full_name: "o/r" },
  };
}

/** The run number of queued run `queued` once its slow step waits (its gate not yet there). */
function slowRunWaiting(queued: unknown): Promise<number> {
  return until("the run to wait", async () => {
    const s = (await api(srv, `/api/queue/${queued}`)).body;
    const f = join(repo, ".slipway", "runs", String(s.run), "events.jsonl");
    return s.state === "running" && existsSync(f) && readFileSync(f, "utf8").includes('"waiting"')
      ? (s.run as number)
      : undefined;
  });
}

async function runs(s: Server) {
  return (await api(s, "/api/runs")).body.runs as unknown as { number: number; result: string | null }[];
}

beforeAll(async () => {
  repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI });
  execFileSync("git", ["branch", "slow"], { cwd: repo });
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, encoding: "utf8" }).trim();
  git("checkout", "-q", "-b", "feature");
  writeFileSync(join(repo, "feature.txt"), "new\n");
  git("add", "feature.txt");
  git("commit", "-q", "-m", "feature");
  featureSha = git("rev-parse", "HEAD");
  git("checkout", "-q", "main");
  head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  writeFileSync(join(repo, "..", `secrets-${head.slice(0, 8)}.env`), `MY_SECRET=${MASKED}\n`);
  srv = await serve(repo, ["--secret-file", join(repo, "..", `secrets-${head.slice(0, 8)}.env`)]);
}, 60_000);

afterAll(async () => {
  // Whatever still waits is let go (no step outlives the tests), then the server is stopped
  // as a user would, and killed if it does not stop.
  writeFileSync(join(gates, "stop"), "");
  for (const s of servers) {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) continue;
    s.proc.kill("SIGTERM");
    const timer = setTimeout(() => s.proc.kill("SIGKILL"), 10_000);
    await s.exited;
    clearTimeout(timer);
  }
  rmSync(gates, { recursive: true, force: true });
}, 30_000);

describe("slipway serve", () => {
  test("bad options and a port in use are usage errors (exit 2, no stack)", async () => {
    const bad = spawnSync(process.execPath, [BIN, "serve", "--port", "x"], {
      cwd: repo,
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("slipway serve: --port expects a number from 0 to 65535, got 'x'");
    const port = new URL(srv.url).port;
    const taken = spawnSync(process.execPath, [BIN, "serve", "--port", port, "-C", repo], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(taken.status).toBe(2);
    expect(taken.stderr).toMatch(/^slipway serve: cannot listen: .*EADDRINUSE/);
    expect(taken.stderr).not.toMatch(/\n\s+at /);
  });

  test("options from slipway-server.yml and SLIPWAY_SERVE_*; a bad file is a usage error at its line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-serve-config-"));
    writeFileSync(join(dir, "slipway-server.yml"), "agents: 0\nno-schedules: true\n");
    const p = slipwayProcess(["serve", "--port", "0", "-C", repo, "--no-sandbox"], dir, {
      SLIPWAY_SERVE_LEASE_SECONDS: "9",
    });
    const url = await until("listening", () => /listening on (http:\/\/\S+)/.exec(p.out())?.[1], 20_000);
    await new Promise((r) => setTimeout(r, 800));
    // agents: 0 from the file: no built-in agent registered.
    expect(((await api({ url }, "/api/agents")).body.agents as unknown[]).length).toBe(0);
    p.proc.kill("SIGTERM");
    await p.exited;
    writeFileSync(join(dir, "slipway-server.yml"), "agents: 0\nport-number: 1\n");
    const bad = spawnSync(process.execPath, [BIN, "serve", "-C", repo], {
      cwd: dir,
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/slipway-server\.yml:2:1: unknown option 'port-number'/);
  }, 60_000);

  test("a read-only token: reading the API needs it (or the admin token); it cannot start a run", async () => {
    const s = await serve(repo, ["--agents", "0", "--no-schedules", "--read-token", "reader-1"]);
    const get = (path: string, token?: string) =>
      api(s, path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    expect((await get("/api/runs")).status).toBe(401);
    expect((await get("/api/runs", "wrong")).status).toBe(401);
    expect((await get("/api/runs", "reader-1")).status).toBe(200);
    expect((await get("/api/runs", TOKEN)).status).toBe(200);
    expect((await get("/metrics")).status).toBe(401);
    expect((await get("/metrics", "reader-1")).status).toBe(200);
    const post = await api(s, "/api/runs", {
      method: "POST",
      body: JSON.stringify({ event: "workflow_dispatch", ref: "main" }),
      headers: { authorization: "Bearer reader-1" },
    });
    expect(post.status).toBe(401);
    s.proc.kill("SIGTERM");
    await s.exited;
  }, 60_000);

  test("prints the real port for --port 0 and serves the page", async () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const page = await api(srv, "/");
    expect(page.status).toBe(200);
    expect(page.text).toContain("<h2>Runs</h2>");
  });

  test("a signed push webhook runs the workflows; a replay does not run again", async () => {
    const r = await webhook(srv, "push", push("refs/heads/main"), "delivery-1");
    expect(r.status).toBe(202);
    const q = r.body.queued as number;
    const done = await until("the run", async () => {
      const s = (await api(srv, `/api/queue/${q}`)).body;
      return s.state === "done" ? s : undefined;
    });
    expect(done).toMatchObject({ exitCode: 0, run: 1 });
    const replay = await webhook(srv, "push", push("refs/heads/main"), "delivery-1");
    expect(replay).toMatchObject({ status: 200, body: { status: "duplicate" } });
    const list = await runs(srv);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      number: 1,
      result: "success",
      event: "push",
      ref: "refs/heads/main",
      sha: head,
      status: "completed",
    });
    const page = (await api(srv, "/")).text;
    expect(page).toContain('<a href="/runs/1">#1</a>');
    expect(page).toContain('class="st success"');
    // The run's jobs and steps, with the secret masked in the API.
    const one = await api(srv, "/api/runs/1");
    expect(one.status).toBe(200);
    const jobs = one.body.jobs as unknown as { job: string; result: string; steps: unknown[] }[];
    expect(jobs.map((j) => [j.job, j.result])).toEqual([
      ["fast", "success"],
      ["slow", "skipped"],
    ]);
    expect(one.text).not.toContain(MASKED);
    const events = await sse(srv, "/api/runs/1/events");
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.type).toBe("run-end");
    const all = events.map((e) => e.data).join("\n");
    expect(all).toContain("token is ***");
    expect(all).not.toContain(MASKED);
  }, 60_000);

  test("a wrong or missing signature is refused (401) and runs nothing", async () => {
    const before = (await runs(srv)).length;
    const wrong = await webhook(srv, "push", push("refs/heads/main"), "delivery-bad", sign("{}", "other"));
    expect(wrong.status).toBe(401);
    const missing = await webhook(srv, "push", push("refs/heads/main"), "delivery-none", null);
    expect(missing.status).toBe(401);
    // A refused delivery is not remembered: the same id, signed, is accepted.
    const ping = await webhook(srv, "ping", { zen: "hi" }, "delivery-bad");
    expect(ping).toMatchObject({ status: 200, body: { status: "ignored" } });
    const deleted = await webhook(
      srv,
      "push",
      { ...push("refs/heads/gone"), after: "0".repeat(40), deleted: true },
      "delivery-del",
    );
    expect(deleted).toMatchObject({ status: 200, body: { status: "ignored" } });
    const queue = (await api(srv, "/api/runs")).body.queue as unknown[];
    expect(queue).toHaveLength(1);
    expect(await runs(srv)).toHaveLength(before);
  });

  test("a pull_request webhook runs the merge; a commit not in the repository is 422", async () => {
    const pr = (action: string, sha: string) => ({
      action,
      number: 7,
      pull_request: { number: 7, head: { ref: "feature", sha }, base: { ref: "main" } },
    });
    const closed = await webhook(srv, "pull_request", pr("closed", featureSha), "pr-closed");
    expect(closed).toMatchObject({ status: 200, body: { status: "ignored" } });
    const missing = await webhook(srv, "pull_request", pr("opened", "e".repeat(40)), "pr-missing");
    expect(missing.status).toBe(422);
    const r = await webhook(srv, "pull_request", pr("opened", featureSha), "pr-opened");
    expect(r.status).toBe(202);
    const done = await until("the pull request run", async () => {
      const s = (await api(srv, `/api/queue/${r.body.queued}`)).body;
      return s.state === "done" ? s : undefined;
    });
    expect(done).toMatchObject({ exitCode: 0 });
    const run = (await api(srv, `/api/runs/${done.run}`)).body;
    expect(run).toMatchObject({ event: "pull_request", ref: "refs/pull/7/merge", result: "success" });
    // A commit that is here but is not where the ref points: not run (it would run another one).
    const moved = await webhook(srv, "push", { ...push("refs/heads/main"), after: featureSha }, "moved");
    expect(moved.status).toBe(202);
    const said = await until("the refusal", async () => {
      const s = (await api(srv, `/api/queue/${moved.body.queued}`)).body;
      return s.state === "done" ? s : undefined;
    });
    expect(said).toMatchObject({ run: null, exitCode: null });
    expect((said.message as string[])[0]).toContain(`refs/heads/main is at ${head.slice(0, 12)}`);
    const counted = (await api(srv, "/api/server")).body;
    expect(counted).toMatchObject({
      requests: { refused: 2, unauthorized: 0, duplicates: 1, accepted: 3 },
      queue: 0,
      running: 0,
    });
  }, 60_000);

  test("a body over the limit is refused with 413, declared or sent", async () => {
    const post = (headers: Record<string, string | number>, chunk: Buffer) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${srv.url}/webhooks/github`,
          { method: "POST", headers: { "x-github-event": "push", "x-github-delivery": "big", ...headers } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.write(chunk);
        req.end();
      });
    // Declared too large: refused before reading.
    expect(await post({ "content-length": 26 * 1024 * 1024 }, Buffer.alloc(10))).toBe(413);
    // Sent too large without a length (chunked): refused once the limit is passed.
    expect(await post({ "transfer-encoding": "chunked" }, Buffer.alloc(26 * 1024 * 1024, 32))).toBe(413);
  }, 30_000);

  test("POST /api/runs needs the bearer token", async () => {
    const body = JSON.stringify({ event: "workflow_dispatch", ref: "main" });
    expect((await api(srv, "/api/runs", { method: "POST", body })).status).toBe(401);
    const wrong = await api(srv, "/api/runs", {
      method: "POST",
      body,
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
    const ok = await api(srv, "/api/runs", {
      method: "POST",
      body,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(202);
    expect((await api(srv, "/api/server")).body).toMatchObject({ requests: { unauthorized: 2 } });
    const done = await until("the dispatched run", async () => {
      const s = (await api(srv, `/api/queue/${ok.body.queued}`)).body;
      return s.state === "done" ? s : undefined;
    });
    expect(done).toMatchObject({ exitCode: 0 });
    expect((await api(srv, `/api/runs/${done.run}`)).body).toMatchObject({
      event: "workflow_dispatch",
      result: "success",
    });
  }, 60_000);

  test("POST /api/runs checks a dispatch as GitHub does: the workflow at that ref, its declared inputs (422 with every problem); a good one queues that workflow with its defaults", async () => {
    const repo2 = tempRepo(undefined, {
      ".github/workflows/ci.yml":
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ci\n",
      ".github/workflows/release.yml": `on:
  workflow_dispatch:
    inputs:
      version: { required: true }
      level: { type: choice, options: [patch, minor], default: patch }
      dry: { type: boolean }
      where: { type: environment }
jobs:
  r:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: echo release
`,
    });
    const s = await serve(repo2, ["--agents", "0", "--no-schedules"]);
    const dispatch = (body: unknown) =>
      api(s, "/api/runs", {
        method: "POST",
        body: JSON.stringify({ event: "workflow_dispatch", ...(body as object) }),
        headers: { authorization: `Bearer ${TOKEN}` },
      });
    const bad = await dispatch({
      ref: "main",
      workflow: "release.yml",
      inputs: { level: "major", dry: "yes", where: "moon", extra: "1" },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([
      "unexpected input 'extra' (the workflow declares version, level, dry, where)",
      "version: is required",
      "level: 'major' is not one of patch, minor",
      "dry: 'yes' is not true or false",
      "where: 'moon' is not an environment of this repository (staging)",
    ]);
    expect((await dispatch({ ref: "main", workflow: "ci.yml" })).body).toEqual({
      error: ".github/workflows/ci.yml does not run on workflow_dispatch at main",
      errors: [".github/workflows/ci.yml does not run on workflow_dispatch at main"],
    });
    expect((await dispatch({ ref: "main", workflow: "nope.yml" })).status).toBe(404);
    expect((await dispatch({ ref: "no-such-branch", workflow: "release.yml" })).body.errors).toEqual([
      "there is no branch or tag 'no-such-branch' here",
    ]);
    expect((await dispatch({ ref: "main", workflow: "a b" })).status).toBe(400);
    expect((await dispatch({ ref: "main", workflow: "../../etc/passwd" })).status).toBe(404);
    // Without a workflow named, the one workflow on workflow_dispatch is checked.
    expect((await dispatch({ ref: "main" })).body.errors).toEqual(["version: is required"]);
    const ok = await dispatch({
      ref: "main",
      workflow: ".github/workflows/release.yml",
      inputs: { version: "1.2.0" },
    });
    expect(ok.status, ok.text).toBe(202);
    const q = await until("the dispatched run to have its number", async () => {
      const x = (await api(s, `/api/queue/${ok.body.queued}`)).body;
      return x.run ? x : undefined;
    });
    const run = (await api(s, `/api/runs/${q.run}`)).body as unknown as {
      payload: { inputs: Record<string, string> };
      workflows: string[];
    };
    expect(run.payload.inputs).toEqual({ version: "1.2.0", level: "patch", dry: "false", where: "" });
    expect(run.workflows).toEqual([".github/workflows/release.yml"]);
  }, 60_000);

  test("bad path parameters are 404", async () => {
    for (const p of [
      "/api/runs/abc",
      "/api/runs/..%2F..%2Fetc/events",
      "/api/runs/-1/events",
      "/api/runs/999",
      "/api/runs/999/events",
      "/nope",
    ])
      expect((await api(srv, p)).status, p).toBe(404);
  });

  test("Gitea/Forgejo and GitLab webhooks run too: their signature or token checked, replays ignored", async () => {
    const body = JSON.stringify(push("refs/heads/main"));
    const gitea = (sig: string, delivery: string) =>
      api(srv, "/webhooks/gitea", {
        method: "POST",
        body,
        headers: { "x-gitea-signature": sig, "x-gitea-event": "push", "x-gitea-delivery": delivery },
      });
    expect((await gitea(sign(body, "wrong").slice(7), "g-1")).status).toBe(401);
    const g = await gitea(sign(body).slice(7), "g-1");
    expect(g.status).toBe(202);
    const gitlabBody = JSON.stringify({
      object_kind: "push",
      ref: "refs/heads/main",
      before: "0".repeat(40),
      after: head,
      user_username: "ann",
      project: { path_with_namespace: "o/r" },
    });
    const gitlab = (token: string) =>
      api(srv, "/webhooks/gitlab", {
        method: "POST",
        body: gitlabBody,
        headers: { "x-gitlab-token": token, "x-gitlab-event": "Push Hook", "idempotency-key": "gl-1" },
      });
    expect((await gitlab("nope")).status).toBe(401);
    const l = await gitlab(SECRET);
    expect(l.status).toBe(202);
    expect((await gitlab(SECRET)).body).toMatchObject({ status: "duplicate" });
    for (const q of [g.body.queued, l.body.queued]) {
      const done = await until("the run", async () => {
        const s = (await api(srv, `/api/queue/${q}`)).body;
        return s.state === "done" ? s : undefined;
      });
      expect((await api(srv, `/api/runs/${done.run}`)).body).toMatchObject({
        event: "push",
        result: "success",
      });
    }
  }, 60_000);

  test("secrets kept by the server: PUT with the token, listed by name only, given to runs, masked", async () => {
    const put = (name: string, value: unknown, token = TOKEN) =>
      api(srv, `/api/secrets/${name}`, {
        method: "PUT",
        body: JSON.stringify({ value }),
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await put("MY_SECRET", "from-the-store-1", "nope")).status).toBe(401);
    expect((await put("GITHUB_TOKEN", "x")).status).toBe(400);
    expect((await put("OK_NAME", 42)).status).toBe(400);
    expect((await put("MY_SECRET", "from-the-store-1")).status).toBe(200);
    const list = await api(srv, "/api/secrets", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect((list.body.secrets as unknown as { name: string }[]).map((x) => x.name)).toEqual(["MY_SECRET"]);
    expect(list.text).not.toContain("from-the-store-1");
    expect(readFileSync(join(repo, ".slipway", "server-secrets.json"), "utf8")).not.toContain(
      "from-the-store-1",
    );
    const ok = await api(srv, "/api/runs", {
      method: "POST",
      body: JSON.stringify({ event: "workflow_dispatch", ref: "main" }),
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const done = await until("the run", async () => {
      const s = (await api(srv, `/api/queue/${ok.body.queued}`)).body;
      return s.state === "done" ? s : undefined;
    });
    const all = (await sse(srv, `/api/runs/${done.run}/events`)).map((e) => e.data).join("\n");
    // The store's value (16 characters) won over the --secret-file's (15), and is masked.
    expect(all).toContain("secret length 16");
    expect(all).toContain("token is ***");
    expect(all).not.toContain("from-the-store-1");
    expect(
      (
        await api(srv, "/api/secrets/MY_SECRET", {
          method: "DELETE",
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).status,
    ).toBe(200);
  }, 60_000);

  test("SSE follows a live run; Last-Event-ID resumes without gaps or duplicates", async () => {
    const r = await webhook(srv, "push", push("refs/heads/slow"), "delivery-slow");
    expect(r.status).toBe(202);
    const n = await until("the run number", async () => {
      const s = (await api(srv, `/api/queue/${r.body.queued}`)).body;
      return s.state === "running" &&
        existsSync(join(repo, ".slipway", "runs", String(s.run), "events.jsonl"))
        ? (s.run as number)
        : undefined;
    });
    // The first few events, then the connection drops (the run is still waiting).
    const first = await sse(srv, `/api/runs/${n}/events`, undefined, 3);
    expect(first.map((e) => e.seq)).toEqual([1, 2, 3]);
    const go = join(gates, `go-${n}`);
    // Resumed from the last id seen; the run is let go once the stream is open.
    const rest = sse(srv, `/api/runs/${n}/events`, 3);
    await until(
      "the step waiting",
      () =>
        readFileSync(join(repo, ".slipway", "runs", String(n), "events.jsonl"), "utf8").includes(
          '"waiting"',
        ) || undefined,
    );
    writeFileSync(go, "");
    const second = await rest;
    const seqs = [...first, ...second].map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(second.at(-1)?.type).toBe("run-end");
    expect(second.map((e) => e.data).join("\n")).toContain("went on");
  }, 60_000);

  test("a run is cancelled through the API (saved as cancelled) and run again as a new run, the first kept", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const r = await webhook(srv, "push", push("refs/heads/slow"), "delivery-cancel");
    const n = await slowRunWaiting(r.body.queued);
    const cancel = (id: unknown, headers: Record<string, string> = auth) =>
      api(srv, `/api/queue/${id}/cancel`, { method: "POST", headers });
    expect((await cancel(r.body.queued, {})).status).toBe(401);
    expect((await cancel(r.body.queued)).status).toBe(202);
    const ended = await until("the cancel", async () => {
      const s = (await api(srv, `/api/queue/${r.body.queued}`)).body;
      return s.state === "cancelled" ? s : undefined;
    });
    expect(ended.run).toBe(n);
    expect(
      JSON.parse(readFileSync(join(repo, ".slipway", "runs", String(n), "result.json"), "utf8")),
    ).toMatchObject({
      result: "cancelled",
    });
    expect((await cancel(r.body.queued)).status).toBe(409);
    const again = await api(srv, `/api/queue/${r.body.queued}/rerun`, { method: "POST", headers: auth });
    expect(again.status).toBe(202);
    expect(again.body.rerunOf).toBe(r.body.queued);
    const m = await until("the new run to wait", async () => {
      const s = (await api(srv, `/api/queue/${again.body.queued}`)).body;
      return s.state === "running" && s.run && s.run !== n ? (s.run as number) : undefined;
    });
    // Its gate is run n's: a new attempt of run n has its github.run_number.
    writeFileSync(join(gates, `go-${n}`), "");
    const done = await until("the new run", async () => {
      const s = (await api(srv, `/api/queue/${again.body.queued}`)).body;
      return s.state === "done" ? s : undefined;
    });
    expect(done).toMatchObject({ exitCode: 0, rerunOf: r.body.queued });
    // The first run's folder is as it was: still cancelled.
    expect(
      JSON.parse(readFileSync(join(repo, ".slipway", "runs", String(n), "result.json"), "utf8")).result,
    ).toBe("cancelled");
    // A new attempt of the run, as on GitHub: attempt 2 of run n; re-running all its jobs, attempt 3.
    expect((await api(srv, `/api/runs/${m}`)).body).toMatchObject({ attempt: 2, attemptOf: n });
    const all = await api(srv, `/api/queue/${again.body.queued}/rerun?jobs=all`, {
      method: "POST",
      headers: auth,
    });
    expect(all.status).toBe(202);
    const third = await until("the third attempt", async () => {
      const s = (await api(srv, `/api/queue/${all.body.queued}`)).body;
      return s.state === "done" ? s : undefined;
    });
    expect(third).toMatchObject({ exitCode: 0 });
    expect((await api(srv, `/api/runs/${third.run}`)).body).toMatchObject({ attempt: 3, attemptOf: n });
  }, 60_000);

  test("SIGTERM cancels the running run, saves it as cancelled and exits", async () => {
    const r = await webhook(srv, "push", push("refs/heads/slow"), "delivery-stop");
    const n = await slowRunWaiting(r.body.queued);
    srv.proc.kill("SIGTERM");
    expect(await srv.exited).toBe(0);
    const result = JSON.parse(readFileSync(join(repo, ".slipway", "runs", String(n), "result.json"), "utf8"));
    expect(result).toMatchObject({ result: "cancelled", interrupted: "SIGTERM" });
    expect(srv.out()).not.toContain(MASKED);
  }, 60_000);
});
