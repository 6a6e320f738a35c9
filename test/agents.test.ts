import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, slipwayProcess, stopAll, until, webhook } from "./helpers/serve.js";

// `slipway serve` with agents as separate real processes: jobs of one run on two agents at
// once, an agent killed mid-job (its job runs again on the other), and the server killed.

const SECRET = "agents-hook-secret";
const AGENT_TOKEN = "agents-registration-token";
const gates = mkdtempSync(join(tmpdir(), "slipway-agents-gates-"));

// one and two each wait until the other has started: both succeed only when run in parallel.
const CI = `on: push
jobs:
  one:
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    steps:
      - run: echo "credentials:[\${SLIPWAY_AGENT_TOKEN:-}\${SLIPWAY_WEBHOOK_SECRET:-}]"
      - run: touch "${gates}/one-\${{ github.run_number }}"; for i in $(seq 200); do [ -f "${gates}/two-\${{ github.run_number }}" ] && exit 0; sleep 0.05; done; exit 1
  two:
    if: github.ref == 'refs/heads/main'
    runs-on: [self-hosted, linux]
    steps:
      - run: touch "${gates}/two-\${{ github.run_number }}"; for i in $(seq 200); do [ -f "${gates}/one-\${{ github.run_number }}" ] && exit 0; sleep 0.05; done; exit 1
  gated:
    if: github.ref == 'refs/heads/gated'
    runs-on: ubuntu-latest
    steps:
      - run: echo "started"; while [ ! -f "${gates}/go-\${{ github.run_number }}" ]; do sleep 0.05; done; echo "went on"
`;

let repo: string;
let head: string;
const env = { SLIPWAY_WEBHOOK_SECRET: SECRET, SLIPWAY_AGENT_TOKEN: AGENT_TOKEN };

const PR = `on: pull_request
jobs:
  pr:
    runs-on: ubuntu-latest
    steps:
      - run: echo "secret=[\${{ secrets.MY_SECRET }}]"
`;
let forkSha: string;

beforeAll(() => {
  repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI, ".github/workflows/pr.yml": PR });
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, encoding: "utf8" }).trim();
  git("branch", "gated");
  head = git("rev-parse", "HEAD");
  // A fork's commit: in the repository (as a server's fetch of refs/pull/N/head leaves it), on no branch.
  git("checkout", "-q", "-b", "fork-main");
  writeFileSync(join(repo, "fork.txt"), "from a fork\n");
  git("add", "fork.txt");
  git("commit", "-q", "-m", "fork");
  forkSha = git("rev-parse", "HEAD");
  git("checkout", "-q", "main");
  git("branch", "-q", "-D", "fork-main");
  writeFileSync(join(repo, "..", "agents-secrets.env"), "MY_SECRET=fork-must-not-see-this\n");
});

afterAll(async () => {
  await stopAll();
}, 60_000);

const push = (ref: string) => ({
  ref,
  before: "0".repeat(40),
  after: head,
  repository: { full_name: "o/r" },
});
const agent = (s: Server, name: string) =>
  slipwayProcess(
    ["agent", "--server", s.url, "--no-sandbox", "--name", name, "--heartbeat-seconds", "1"],
    repo,
    env,
  );

type Agents = {
  agents: { name: string; done: number; busy: number }[];
  jobs: { job: string; state: string; why: string }[];
};

async function finished(s: Server, queued: unknown) {
  return until(
    "the run to finish",
    async () => {
      const q = (await api(s, `/api/queue/${queued}`)).body;
      return q.state === "done" ? (q.run as number) : undefined;
    },
    60_000,
  );
}

const result = (n: number) =>
  JSON.parse(readFileSync(join(repo, ".slipway", "runs", String(n), "result.json"), "utf8"));
/** The run's events so far (whole lines only: the last may be being written). */
const events = (n: number) =>
  readFileSync(join(repo, ".slipway", "runs", String(n), "events.jsonl"), "utf8")
    .split("\n")
    .slice(0, -1)
    .map((l) => JSON.parse(l) as { type: string; job?: string; text?: string; seq: number });

// On PostgreSQL the legs, leases and agents are rows (src/server/legs-db.ts): the same promises.
describe.each(backends())("$name", (b) => {
  const dbArgs = async () => {
    if (b.name !== "postgres") return [];
    const { url } = await b.fresh();
    return ["--db", url!];
  };

  test("agents: a job waits saying why; two agents run one run's jobs at once; each reports its work", async () => {
    const s = await serve(repo, ["--agents", "0", ...(await dbArgs())], env);
    const r = await webhook(s, "push", push("refs/heads/main"), `d-1-${b.name}`, SECRET);
    expect(r.status).toBe(202);
    // No agent yet: the jobs wait, and say why.
    const waiting = await until("jobs waiting", async () => {
      const a = (await api(s, "/api/agents")).body as unknown as Agents;
      return a.jobs.length === 2 ? a.jobs : undefined;
    });
    expect(waiting.map((j) => [j.job, j.state, j.why]).sort()).toEqual([
      ["one", "waiting", "no agent with labels ubuntu-latest"],
      ["two", "waiting", "no agent with labels self-hosted, linux"],
    ]);
    agent(s, "a1");
    agent(s, "a2");
    const n = await finished(s, r.body.queued);
    expect(result(n)).toMatchObject({ result: "success" });
    // The agents' list is at most a second old (PostgreSQL: read from the database each second).
    const a = await until("the agents' counts", async () => {
      const x = (await api(s, "/api/agents")).body as unknown as Agents;
      return x.agents.length === 2 && x.agents.every((y) => y.done === 1 && y.busy === 0) ? x : undefined;
    });
    expect(a.agents.map((x) => [x.name, x.done, x.busy]).sort()).toEqual([
      ["a1", 1, 0],
      ["a2", 1, 0],
    ]);
    // Every event once, in order, from both agents.
    const ev = events(n);
    expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => i + 1));
    expect(
      ev
        .filter((e) => e.type === "job-start")
        .map((e) => e.job)
        .sort(),
    ).toEqual(["one", "two"]);
    // The agent's registration token and the server's secrets are not in a step's environment.
    expect(ev.filter((e) => e.text?.startsWith("credentials:")).map((e) => e.text)).toEqual([
      "credentials:[]",
    ]);
    // Prometheus: what ran, how long jobs waited, the agents.
    const m = await until("the metrics", async () => {
      const x = await api(s, "/metrics");
      return /^slipway_jobs_waiting 0$/m.test(x.text) ? x : undefined;
    });
    expect(m.status).toBe(200);
    expect(m.text).toContain('slipway_runs_total{result="success"} 1');
    expect(m.text).toContain('slipway_jobs_total{result="success"} 2');
    expect(m.text).toContain("slipway_job_start_delay_seconds_count 2");
    expect(m.text).toMatch(/^slipway_agents 2$/m);
    expect(m.text).toMatch(/^slipway_jobs_waiting 0$/m);
    expect(m.text).toContain('slipway_requests{outcome="accepted"} 1');
  }, 90_000);

  test("agents: kill -9 of an agent mid-job: the job runs again on the other agent, no line twice", async () => {
    const s = await serve(repo, ["--agents", "0", "--lease-seconds", "2", ...(await dbArgs())], env);
    const agents = [agent(s, "b1"), agent(s, "b2")];
    await until(
      "agents",
      async () => ((await api(s, "/api/agents")).body as unknown as Agents).agents.length === 2 || undefined,
    );
    const r = await webhook(s, "push", push("refs/heads/gated"), `d-2-${b.name}`, SECRET);
    const on = await until("the job to start", async () => {
      const a = (await api(s, "/api/agents")).body as unknown as Agents;
      return a.jobs
        .find((j) => j.state === "leased" && j.why.startsWith("running on"))
        ?.why.slice("running on ".length);
    });
    const q = (await api(s, `/api/queue/${r.body.queued}`)).body;
    await until("the step to print", () =>
      existsSync(join(repo, ".slipway", "runs", String(q.run), "events.jsonl")) &&
      events(q.run as number).some((e) => e.text === "started")
        ? true
        : undefined,
    );
    const killed = agents[on === "b1" ? 0 : 1]!;
    killed.proc.kill("SIGKILL");
    // Within the lease (2 s) the job is queued again and the other agent takes it.
    await until(
      "attempt 2",
      () =>
        events(q.run as number).some((e) =>
          /stopped answering .* attempt 2 on another agent/.test(e.text ?? ""),
        )
          ? true
          : undefined,
      15_000,
    );
    writeFileSync(join(gates, `go-${q.run}`), "");
    const n = await finished(s, r.body.queued);
    expect(result(n)).toMatchObject({ result: "success" });
    const ev = events(n);
    const gated = ev.filter((e) => e.job === "gated");
    expect(gated.filter((e) => e.type === "job-start")).toHaveLength(1);
    expect(gated.filter((e) => e.type === "job-end")).toHaveLength(1);
    expect(gated.filter((e) => e.text === "started")).toHaveLength(2);
    expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => i + 1));
    const other = on === "b1" ? "b2" : "b1";
    await until("the other agent's count", async () => {
      const a = (await api(s, "/api/agents")).body as unknown as Agents;
      return a.agents.find((x) => x.name === other)?.done === 1 || undefined;
    });
    const counts = (await api(s, "/api/server")).body.dispatch as Record<string, number>;
    expect(counts).toMatchObject({ requeued: 1, lost: 1 });
  }, 90_000);
});

test("serve: kill -9 of the server mid-run: the run is cancelled and says why; its built-in agent ends too", async () => {
  const s = await serve(repo, ["--agents", "1"], env);
  const r = await webhook(s, "push", push("refs/heads/gated"), "d-3", SECRET);
  const q = await until("the run to start", async () => {
    const b = (await api(s, `/api/queue/${r.body.queued}`)).body;
    const f = join(repo, ".slipway", "runs", String(b.run), "events.jsonl");
    return b.state === "running" && existsSync(f) && events(b.run as number).some((e) => e.text === "started")
      ? (b.run as number)
      : undefined;
  });
  s.proc.kill("SIGKILL");
  await until(
    "the run to end",
    () => (existsSync(join(repo, ".slipway", "runs", String(q), "result.json")) ? true : undefined),
    30_000,
  );
  expect(result(q)).toMatchObject({ result: "cancelled" });
  const log = spawnSync(
    process.execPath,
    [join(import.meta.dirname, "..", "bin", "slipway.js"), "logs", String(q)],
    {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, SLIPWAY_DATABASE_URL: "" },
    },
  );
  expect(log.stdout + log.stderr).toMatch(/the server that started this run stopped|cancel/);
  // The built-in agent watched the server's pipe: no agent of it is left.
  await until(
    "the built-in agent to end",
    () => (spawnSync("pgrep", ["-f", `agent --server ${s.url} `]).status === 1 ? true : undefined),
    20_000,
  );
  writeFileSync(join(gates, `go-${q}`), "");
}, 90_000);

test("agents: a fork's pull request runs without secrets, only on an agent with the sandbox", async (ctx) => {
  const s = await serve(
    repo,
    ["--agents", "0", "--secret-file", join(repo, "..", "agents-secrets.env")],
    env,
  );
  const plain = agent(s, "c1");
  const pr = {
    action: "opened",
    number: 7,
    pull_request: {
      number: 7,
      head: { ref: "main", sha: forkSha, repo: { full_name: "mallory/r" } },
      base: { ref: "main", repo: { full_name: "o/r" } },
    },
    repository: { full_name: "o/r" },
  };
  const r = await webhook(s, "pull_request", pr, "d-4", SECRET);
  expect(r.status).toBe(202);
  await until("c1", () => (/registered with .* as c1/.test(plain.out()) ? true : undefined));
  const why = await until("the job to wait", async () => {
    const a = (await api(s, "/api/agents")).body as unknown as Agents;
    return a.jobs[0]?.why;
  });
  expect(why).toBe("no agent with labels ubuntu-latest can run it in the sandbox (a fork's pull request)");
  const boxed = slipwayProcess(
    ["agent", "--server", s.url, "--name", "c2", "--heartbeat-seconds", "1"],
    repo,
    env,
  );
  const header = await until("c2's executor", () => /executor: .*/.exec(boxed.out())?.[0]);
  if (!header.startsWith("executor: sandbox")) ctx.skip(`no sandbox on this machine (${header})`);
  const n = await finished(s, r.body.queued);
  expect(result(n)).toMatchObject({ result: "success" });
  const text = events(n)
    .map((e) => e.text ?? "")
    .join("\n");
  expect(text).toContain("secret=[]");
  expect(text).not.toContain("fork-must-not-see-this");
  const history = spawnSync(
    process.execPath,
    [join(import.meta.dirname, "..", "bin", "slipway.js"), "history", String(n), "--json"],
    {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, SLIPWAY_DATABASE_URL: "" },
    },
  );
  const jobs = (
    JSON.parse(history.stdout) as { jobs: { key: string; runner: { name: string; executor: string } }[] }
  ).jobs;
  expect(jobs.find((j) => j.key === "pr")?.runner).toMatchObject({ name: "c2", executor: "sandbox" });
}, 90_000);

test("serve: commit statuses go to the forge's statuses API: pending, then the result, linked to the run", async () => {
  const got: { path: string; auth: string; body: Record<string, string> }[] = [];
  const forge = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      got.push({ path: req.url ?? "", auth: req.headers.authorization ?? "", body: JSON.parse(body) });
      res.writeHead(201, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => forge.listen(0, "127.0.0.1", () => r()));
  const port = (forge.address() as { port: number }).port;
  try {
    const s = await serve(
      repo,
      [
        "--agents",
        "2",
        "--status-api",
        `http://127.0.0.1:${port}/api/v1`,
        "--public-url",
        "https://ci.example.org",
      ],
      { ...env, SLIPWAY_STATUS_TOKEN: "status-token-xyz" },
    );
    const r = await webhook(s, "push", push("refs/heads/main"), "d-5", SECRET);
    const n = await finished(s, r.body.queued);
    await until("two statuses", () => (got.length >= 2 ? true : undefined));
    expect(got.map((g) => [g.path, g.auth, g.body.state, g.body.context])).toEqual([
      [`/api/v1/repos/o/r/statuses/${head}`, "Bearer status-token-xyz", "pending", "slipway"],
      [`/api/v1/repos/o/r/statuses/${head}`, "Bearer status-token-xyz", "success", "slipway"],
    ]);
    expect(got[1]!.body.target_url).toBe(`https://ci.example.org/api/runs/${n}`);
    expect(got[1]!.body.description).toMatch(/^Slipway run #\d+: success \(\d+ jobs\)$/);
    expect(s.out()).not.toContain("status-token-xyz");
  } finally {
    forge.close();
  }
}, 90_000);

test("serve: schedules of the default branch: ticks missed while the server was down run once at start", async () => {
  const nightly = `on:
  schedule:
    - cron: "*/5 * * * *"
jobs:
  tick:
    runs-on: ubuntu-latest
    steps:
      - run: echo "scheduled by \${{ github.event.schedule }}"
`;
  const r2 = tempRepo(undefined, { ".github/workflows/nightly.yml": nightly, ".gitignore": ".slipway/\n" });
  const now = Date.now();
  const twoHoursAgo = new Date(now - 2 * 3600_000 - (now % 300_000)).toISOString();
  execFileSync("mkdir", ["-p", join(r2, ".slipway")]);
  writeFileSync(
    join(r2, ".slipway", "server-schedules.json"),
    JSON.stringify({ ".github/workflows/nightly.yml\n*/5 * * * *": twoHoursAgo }),
  );
  const s = await serve(r2, ["--agents", "1"], env);
  const queue = await until("the scheduled run to finish", async () => {
    const q = (await api(s, "/api/queue")).body as unknown as { state: string; run: number }[];
    return q.length && q.every((x) => x.state === "done") ? q : undefined;
  });
  // 24 ticks missed, one run.
  expect(queue).toHaveLength(1);
  const runs = (await api(s, "/api/runs")).body.runs as unknown as { event: string; result: string }[];
  expect(runs.map((r) => [r.event, r.result])).toEqual([["schedule", "success"]]);
  const log = spawnSync(
    process.execPath,
    [join(import.meta.dirname, "..", "bin", "slipway.js"), "logs", String(queue[0]!.run), "tick"],
    {
      cwd: r2,
      encoding: "utf8",
      env: { ...process.env, SLIPWAY_DATABASE_URL: "" },
    },
  );
  expect(log.stdout).toContain("scheduled by */5 * * * *");
  const state = JSON.parse(readFileSync(join(r2, ".slipway", "server-schedules.json"), "utf8")) as Record<
    string,
    string
  >;
  const tick = Date.parse(state[".github/workflows/nightly.yml\n*/5 * * * *"]!);
  expect(tick).toBeGreaterThan(now - 300_000);
  expect(tick % 300_000).toBe(0);
}, 90_000);

test("serve: a deployment waits for a person: listed in /api/approvals, approved or rejected with the admin token", async () => {
  const wf = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
  deploy:
    needs: build
    environment: production
    runs-on: ubuntu-latest
    steps:
      - run: echo "deployed to production"
  stage:
    environment: staging
    runs-on: ubuntu-latest
    steps:
      - run: echo "deployed to staging"
`;
  const r3 = tempRepo(undefined, { ".github/workflows/cd.yml": wf, ".gitignore": ".slipway/\n" });
  const sha = execFileSync("git", ["rev-parse", "HEAD"], { cwd: r3, encoding: "utf8" }).trim();
  const s = await serve(r3, ["--agents", "1", "--no-schedules", "--token", "admin-t"], env);
  const r = await webhook(
    s,
    "push",
    { ref: "refs/heads/main", before: "0".repeat(40), after: sha, repository: { full_name: "o/cd" } },
    "ap-1",
    SECRET,
  );
  type Pending = { id: string; run: number; job: string; environment: string };
  const pending = await until("two deployments to wait", async () => {
    const a = (await api(s, "/api/approvals")).body.approvals as unknown as Pending[];
    return a.length === 2 ? a : undefined;
  });
  expect(pending.map((p) => [p.job, p.environment]).sort()).toEqual([
    ["deploy", "production"],
    ["stage", "staging"],
  ]);
  const decide = (p: Pending, approve: boolean, token = "admin-t") =>
    api(s, `/api/approvals/${p.id}`, {
      method: "POST",
      body: JSON.stringify({ approve, by: "ann" }),
      headers: { authorization: `Bearer ${token}` },
    });
  const prod = pending.find((p) => p.environment === "production")!;
  const staging = pending.find((p) => p.environment === "staging")!;
  expect((await decide(prod, true, "nope")).status).toBe(401);
  expect((await decide(prod, true)).status).toBe(200);
  expect((await decide(staging, false)).status).toBe(200);
  expect((await decide(staging, true)).status).toBe(409);
  const n = await finished(s, r.body.queued);
  const runs = (await api(s, `/api/runs/${n}`)).body as unknown as {
    jobs: { job: string; result: string }[];
  };
  const results = Object.fromEntries(runs.jobs.map((j) => [j.job, j.result]));
  expect(results.deploy).toBe("success");
  expect(results.stage).not.toBe("success");
  const text = readFileSync(join(r3, ".slipway", "runs", String(n), "events.jsonl"), "utf8");
  expect(text).toContain("deployed to production");
  expect(text).not.toContain("deployed to staging");
  expect(((await api(s, "/api/approvals")).body.approvals as unknown[]).length).toBe(0);
}, 90_000);
