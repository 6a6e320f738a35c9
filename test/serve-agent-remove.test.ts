import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { slipway, tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, slipwayProcess, stopAll, until, webhook } from "./helpers/serve.js";

// An admin removes an agent from `slipway serve` mid-job (slipway agent remove, DELETE
// /api/agents/ID): the agent process exits saying so, its job runs again on another agent and
// the run succeeds, and the removed agent's log lines stay in the run. A built-in agent
// removed does not take its server down.

const SECRET = "remove-hook-secret";
const AGENT_TOKEN = "remove-registration-token";
const ADMIN = "remove-admin-token";
const gates = mkdtempSync(join(tmpdir(), "slipway-remove-gates-"));

const CI = `on: push
jobs:
  gated:
    runs-on: ubuntu-latest
    steps:
      - run: echo "started"; while [ ! -f "${gates}/go-\${{ github.run_number }}" ]; do sleep 0.05; done; echo "went on"
`;

let repo: string;
let head: string;
const env = { SLIPWAY_WEBHOOK_SECRET: SECRET, SLIPWAY_AGENT_TOKEN: AGENT_TOKEN, SLIPWAY_SERVER_TOKEN: ADMIN };

beforeAll(() => {
  repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI });
  head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
});

afterAll(async () => {
  await stopAll();
}, 60_000);

const push = () => ({
  ref: "refs/heads/main",
  before: "0".repeat(40),
  after: head,
  repository: { full_name: "o/r" },
});
const agent = (s: Server, name: string) =>
  slipwayProcess(
    ["agent", "--server", s.url, "--no-sandbox", "--name", name, "--heartbeat-seconds", "1"],
    repo,
    {
      SLIPWAY_AGENT_TOKEN: AGENT_TOKEN,
    },
  );
/** `slipway agent remove`, as an admin types it. */
const remove = async (s: Server, which: string, token = ADMIN) => {
  const p = slipwayProcess(["agent", "remove", which, "--server", s.url, "--token", token], repo, {});
  return { code: await p.exited, out: p.out() };
};

type Agents = {
  agents: Record<string, unknown>[];
  jobs: { job: string; state: string; why: string }[];
};
const agents = async (s: Server) => (await api(s, "/api/agents")).body as unknown as Agents;

const events = (n: number) =>
  readFileSync(join(repo, ".slipway", "runs", String(n), "events.jsonl"), "utf8")
    .split("\n")
    .slice(0, -1)
    .map((l) => JSON.parse(l) as { type: string; job?: string; text?: string; seq: number });

describe.each(backends())("$name", (b) => {
  const dbArgs = async () => {
    if (b.name !== "postgres") return [];
    const { url } = await b.fresh();
    return ["--db", url!];
  };

  test("agent remove mid-job: the agent exits saying so, the job runs again on the other agent, the run succeeds, the first attempt's lines stay", async () => {
    const s = await serve(repo, ["--agents", "0", ...(await dbArgs())], env);
    const procs = { r1: agent(s, "r1"), r2: agent(s, "r2") };
    await until("agents", async () => (await agents(s)).agents.length === 2 || undefined);
    const r = await webhook(s, "push", push(), `rm-1-${b.name}`, SECRET);
    const on = await until("the job to start", async () =>
      (await agents(s)).jobs.find((j) => j.state === "leased")?.why.slice("running on ".length),
    );
    const run = await until(
      "the run's number",
      async () => (await api(s, `/api/queue/${r.body.queued}`)).body.run as number | undefined,
    );
    await until("the step to print", () =>
      existsSync(join(repo, ".slipway", "runs", String(run), "events.jsonl")) &&
      events(run).some((e) => e.text === "started")
        ? true
        : undefined,
    );
    const other = on === "r1" ? "r2" : "r1";
    const removed = procs[on as "r1" | "r2"];
    const listed = (await agents(s)).agents.find((a) => a.name === on)!;
    // The agents' list never shows a token.
    expect(JSON.stringify(await agents(s))).not.toMatch(/token/i);

    // Refusals: no token, the read token's place taken by a wrong one, an unknown agent.
    const del = (path: string, token?: string) =>
      api(s, path, { method: "DELETE", headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await del(`/api/agents/${listed.id}`)).status).toBe(401);
    expect((await del(`/api/agents/${listed.id}`, "wrong")).status).toBe(401);
    expect((await del("/api/agents/nope", ADMIN)).status).toBe(404);
    const bad = await remove(s, "nope");
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^slipway agent remove: 404: no agent "nope"/);
    expect(bad.out).not.toMatch(/\n\s+at /);

    // Removed by name with the CLI.
    const done = await remove(s, on);
    expect(done).toEqual({
      code: 0,
      out: expect.stringMatching(new RegExp(`^agent ${on} \\(${listed.id}\\) removed; 1 job`)),
    });
    expect(await removed.exited).toBe(1);
    expect(removed.out()).toMatch(
      /slipway agent: removed from the server: agent r\d \(\S+\) was removed from this server by an admin/,
    );
    expect(removed.out()).not.toMatch(/\n\s+at /);
    expect(removed.out()).not.toMatch(/registered with .*[\s\S]*registered with/);
    // Removed twice: 404.
    expect((await del(`/api/agents/${listed.id}`, ADMIN)).status).toBe(404);

    await until(
      "attempt 2",
      () => (events(run).filter((e) => e.text === "started").length === 2 ? true : undefined),
      15_000,
    );
    writeFileSync(join(gates, `go-${run}`), "");
    await until(
      "the run to finish",
      async () => ((await api(s, `/api/queue/${r.body.queued}`)).body.state === "done" ? true : undefined),
      60_000,
    );
    expect(
      JSON.parse(readFileSync(join(repo, ".slipway", "runs", String(run), "result.json"), "utf8")),
    ).toMatchObject({
      result: "success",
    });
    // The removed agent's line, the server's, then the other agent's.
    const texts = events(run)
      .map((e) => e.text)
      .filter((t) => t === "started" || t?.includes("removed"));
    expect(texts).toEqual(["started", `agent ${on} was removed: attempt 2 on another agent`, "started"]);
    // The API's view of the run has its first attempt's lines too.
    const sse = await fetch(`${s.url}/api/runs/${run}/events`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect((await sse.text()).match(/"text":"started"/g)).toHaveLength(2);
    // The list drops the removed agent (within a second on PostgreSQL).
    await until("the list without it", async () =>
      (await agents(s)).agents.map((a) => a.name).join() === other ? true : undefined,
    );
    expect(procs[other as "r1" | "r2"].proc.exitCode).toBeNull();
  }, 120_000);
});

test("built-in agents removed (one through the API, one with the dashboard's button): they end, the server goes on", async () => {
  const s = await serve(repo, ["--agents", "2"], env);
  const all = await until("the built-in agents", async () => {
    const a = (await agents(s)).agents;
    return a.length === 2 ? a : undefined;
  });
  const [one, two] = ["built-in-1", "built-in-2"].map((n) => all.find((a) => a.name === n)!);
  const r = await api(s, `/api/agents/${one!.id}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(r).toMatchObject({ status: 200, body: { removed: one!.id, name: "built-in-1", released: 0 } });
  await until("built-in-1 to end", () =>
    /built-in-1: slipway agent: removed from the server: agent built-in-1 /.test(s.out()) ? true : undefined,
  );
  // The queue page: a Remove button for the admin beside the agent still there.
  const admin = { authorization: `Bearer ${ADMIN}` };
  const page = await fetch(`${s.url}/queue`, { headers: admin });
  const html = await page.text();
  expect(html).not.toContain(`data-agent="${one!.id}"`);
  const form = new RegExp(
    `action="/agents/${two!.id}/remove"><input type="hidden" name="_csrf" value="([^"]+)"><button class="danger" data-agent`,
  ).exec(html);
  expect(form).not.toBeNull();
  const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0]!;
  const posted = await fetch(`${s.url}/agents/${two!.id}/remove`, {
    method: "POST",
    redirect: "manual",
    headers: { ...admin, cookie, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
    body: `_csrf=${encodeURIComponent(form![1]!)}`,
  });
  expect(posted.status).toBe(303);
  expect(posted.headers.get("location")).toBe("/queue");
  await until("built-in-2 to end", () =>
    /built-in-2: slipway agent: removed from the server/.test(s.out()) ? true : undefined,
  );
  expect(s.out()).toMatch(/admin removed agent built-in-2/);
  // The server goes on: it answers, and lists no agent.
  expect((await api(s, "/api/server", { headers: admin })).status).toBe(200);
  expect(s.proc.exitCode).toBeNull();
  expect((await agents(s)).agents).toEqual([]);
}, 60_000);

const pg = backends().filter((b) => b.name === "postgres");

test.skipIf(!pg.length)(
  "replicas (PostgreSQL): an idle agent of replica A removed through replica B is told at once and exits",
  async () => {
    const { url } = await pg[0]!.fresh();
    const root = tempRepo(undefined, { ".github/workflows/ci.yml": CI });
    const args = ["--agents", "0", "--db", url!];
    const a = await serve(root, args, env);
    const b = await serve(root, args, env);
    const idle = slipwayProcess(["agent", "--server", a.url, "--no-sandbox", "--name", "on-a"], root, {
      SLIPWAY_AGENT_TOKEN: AGENT_TOKEN,
    });
    await until(
      "B to list it",
      async () => (await agents(b)).agents.some((x) => x.name === "on-a") || undefined,
    );
    // Its long poll (20 s) waits on A: A hears of the removal by NOTIFY and answers 410 now.
    const t0 = Date.now();
    const done = await remove(b, "on-a");
    expect(done.code).toBe(0);
    expect(await idle.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(idle.out()).toMatch(/slipway agent: removed from the server: agent on-a \(\S+\) was removed/);
    await until("A's list without it", async () =>
      (await agents(a)).agents.length === 0 ? true : undefined,
    );
  },
  60_000,
);

test("slipway agent remove: bad input and an unreachable server are clear errors, no stack trace", () => {
  const run = (...args: string[]) => slipway(["agent", "remove", ...args], repo, { SLIPWAY_SERVER_URL: "" });
  const none = run("--server", "http://127.0.0.1:1");
  expect(none.code).toBe(2);
  expect(none.stderr).toContain("slipway agent remove: expected one agent: slipway agent remove ID|NAME");
  const noServer = run("a1");
  expect(noServer.code).toBe(2);
  expect(noServer.stderr).toContain("--server URL is required");
  expect(run("a1", "--server", "not a url").code).toBe(2);
  const down = run("a1", "--server", "http://127.0.0.1:1", "--token", "t");
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/^slipway agent remove: cannot reach http:\/\/127\.0\.0\.1:1: /);
  for (const r of [none, noServer, down]) expect(r.stderr).not.toMatch(/\n\s+at /);
});
