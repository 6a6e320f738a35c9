import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, slipwayProcess, stopAll, until, webhook } from "./helpers/serve.js";

// Runs in parallel: two runs, each one job, two agents of capacity 1. Each job waits until the
// other run's job has started, so both succeed only when the two runs run at once.

const SECRET = "parallel-hook-secret";
const AGENT_TOKEN = "parallel-registration-token";
const gates = mkdtempSync(join(tmpdir(), "slipway-parallel-gates-"));
const env = { SLIPWAY_WEBHOOK_SECRET: SECRET, SLIPWAY_AGENT_TOKEN: AGENT_TOKEN };

const CI = `on: push
jobs:
  meet:
    runs-on: ubuntu-latest
    steps:
      - run: |
          me=\${{ github.ref_name }}; other=$([ "$me" = a ] && echo b || echo a)
          touch "${gates}/$me"
          for i in $(seq 300); do [ -f "${gates}/$other" ] && echo "met $other" && exit 0; sleep 0.05; done
          exit 1
`;

afterAll(async () => {
  await stopAll();
}, 60_000);

type Q = { queued: number; state: string; run: number | null; poll?: string };

test("serve --max-runs: two agents run the jobs of two runs at once; each 202 says where to poll for the run", async () => {
  const repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI, ".gitignore": ".slipway/\n" });
  for (const b of ["a", "b"]) execFileSync("git", ["branch", b], { cwd: repo });
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  const s: Server = await serve(repo, ["--agents", "0", "--max-runs", "2"], env);
  for (const name of ["p1", "p2"])
    slipwayProcess(["agent", "--server", s.url, "--no-sandbox", "--name", name], repo, env);
  const push = (ref: string) => ({
    ref,
    before: "0".repeat(40),
    after: head,
    repository: { full_name: "o/r" },
  });
  const a = await webhook(s, "push", push("refs/heads/a"), "p-1", SECRET);
  const b = await webhook(s, "push", push("refs/heads/b"), "p-2", SECRET);
  for (const r of [a, b]) {
    expect(r.status).toBe(202);
    expect(r.body.poll).toBe(`/api/queue/${r.body.queued}`);
  }
  // Both run at once, each with its number known while it runs.
  const running = await until("both runs to be running", async () => {
    const rows = await Promise.all(
      [a, b].map(async (r) => (await api(s, r.body.poll as string)).body as unknown as Q),
    );
    return rows.every((q) => q.state === "running" && q.run) ? rows : undefined;
  });
  expect(new Set(running.map((q) => q.run)).size).toBe(2);
  const done = await until(
    "both runs to finish",
    async () => {
      const rows = await Promise.all(
        [a, b].map(async (r) => (await api(s, `/api/queue/${r.body.queued}`)).body as unknown as Q),
      );
      return rows.every((q) => q.state === "done") ? rows : undefined;
    },
    60_000,
  );
  for (const q of done) {
    const res = JSON.parse(
      readFileSync(join(repo, ".slipway", "runs", String(q.run), "result.json"), "utf8"),
    );
    expect(res).toMatchObject({ result: "success" });
  }
  const agents = (await api(s, "/api/agents")).body.agents as unknown as { name: string; done: number }[];
  expect(agents.map((x) => [x.name, x.done]).sort()).toEqual([
    ["p1", 1],
    ["p2", 1],
  ]);
}, 120_000);

// Workflow-level concurrency across runs, as GitHub does it: one run holds the group, the
// newest waits (saying why), an older waiting run is replaced, and cancel-in-progress
// cancels the holder.
const GROUPED = `on: push
concurrency:
  group: deploy
  cancel-in-progress: \${{ github.ref_name == 'c4' }}
jobs:
  hold:
    runs-on: ubuntu-latest
    steps:
      - run: echo "start \${{ github.ref_name }}"; while [ ! -f "${gates}/go-\${{ github.ref_name }}" ]; do sleep 0.05; done
`;

type Row = Q & { message?: string[]; waiting?: string | null };

test("serve: concurrency groups across runs: one holds, the newest waits and says why, an older waiting run is replaced, cancel-in-progress cancels the holder", async () => {
  const repo = tempRepo(undefined, { ".github/workflows/ci.yml": GROUPED, ".gitignore": ".slipway/\n" });
  for (const b of ["c1", "c2", "c3", "c4"]) execFileSync("git", ["branch", b], { cwd: repo });
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  const s = await serve(repo, ["--agents", "2", "--no-sandbox"], env);
  const push = async (b: string) =>
    (
      await webhook(
        s,
        "push",
        { ref: `refs/heads/${b}`, before: "0".repeat(40), after: head, repository: { full_name: "o/r" } },
        `g-${b}`,
        SECRET,
      )
    ).body.queued as number;
  const row = async (id: number) => (await api(s, `/api/queue/${id}`)).body as unknown as Row;
  const printed = (run: number | null, text: string) => {
    try {
      return readFileSync(join(repo, ".slipway", "runs", String(run), "events.jsonl"), "utf8").includes(text);
    } catch {
      return false;
    }
  };
  const c1 = await push("c1");
  await until("c1 to hold the group and start its job", async () => {
    const r = await row(c1);
    return r.state === "running" && printed(r.run, "start c1") ? true : undefined;
  });
  const c2 = await push("c2");
  const why = await until("c2 to wait for the group", async () => (await row(c2)).waiting ?? undefined);
  expect(why).toBe(`waiting for concurrency group 'deploy' (held by queued run ${c1})`);
  const listed = (await api(s, "/api/queue")).body as unknown as Row[];
  expect(listed.find((x) => x.queued === c2)?.waiting).toBe(why);
  const page = await api(s, "/");
  expect(page.text).toContain("waiting for concurrency group &#39;deploy&#39;");
  // A newer run replaces the waiting one.
  const c3 = await push("c3");
  const replaced = await until("c2 to be replaced", async () => {
    const r = await row(c2);
    return r.state === "cancelled" || r.state === "done" ? r : undefined;
  });
  expect(replaced.message).toEqual(["cancelled: a newer run waits for concurrency group 'deploy'"]);
  await until("c3 to wait", async () => ((await row(c3)).waiting ? true : undefined));
  // cancel-in-progress: the holder is cancelled, the waiting one replaced, and c4 runs.
  const c4 = await push("c4");
  const c1End = await until("c1 to be cancelled", async () => {
    const r = await row(c1);
    return r.state === "cancelled" ? r : undefined;
  });
  expect(c1End.message).toEqual(["cancelled by a newer run in concurrency group 'deploy'"]);
  await until("c4 to start its job", async () =>
    printed((await row(c4)).run, "start c4") ? true : undefined,
  );
  writeFileSync(join(gates, "go-c4"), "");
  const done = await until("c4 to finish", async () => {
    const r = await row(c4);
    return r.state === "done" ? r : undefined;
  });
  const result = (r: Row) =>
    JSON.parse(readFileSync(join(repo, ".slipway", "runs", String(r.run), "result.json"), "utf8")).result;
  expect(result(done)).toBe("success");
  expect(result(c1End)).toBe("cancelled");
  const c3End = await row(c3);
  expect(c3End.message).toEqual(["cancelled: a newer run waits for concurrency group 'deploy'"]);
  expect(result(c3End)).toBe("cancelled");
  expect(printed(c3End.run, "start c3")).toBe(false);
}, 120_000);

const JOB_GROUP = `on: push
jobs:
  first:
    runs-on: ubuntu-latest
    concurrency: gate
    steps:
      - run: echo "first holds"; while [ ! -f "${gates}/go-job-\${{ github.run_number }}" ]; do sleep 0.05; done
  second:
    runs-on: ubuntu-latest
    concurrency: gate
    steps:
      - run: echo "second ran"
`;

test("serve: a job waiting for its concurrency group says why in GET /api/queue/ID and on the runs page", async () => {
  const repo = tempRepo(undefined, { ".github/workflows/ci.yml": JOB_GROUP, ".gitignore": ".slipway/\n" });
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  const s = await serve(repo, ["--agents", "2", "--no-sandbox"], env);
  const r = await webhook(
    s,
    "push",
    { ref: "refs/heads/main", before: "0".repeat(40), after: head, repository: { full_name: "o/r" } },
    "j-1",
    SECRET,
  );
  const q = await until("a job to wait for the group", async () => {
    const x = (await api(s, `/api/queue/${r.body.queued}`)).body as unknown as Row & {
      jobsWaiting: Record<string, string>;
    };
    return Object.keys(x.jobsWaiting ?? {}).length ? x : undefined;
  });
  const [job, why] = Object.entries(q.jobsWaiting)[0]!;
  expect(["first", "second"]).toContain(job);
  expect(why).toBe("waiting for concurrency group 'gate'");
  const page = await api(s, "/");
  expect(page.text).toContain(`${job}: waiting for concurrency group &#39;gate&#39;`);
  writeFileSync(join(gates, `go-job-${q.run}`), "");
  const done = await until("the run to finish", async () => {
    const x = (await api(s, `/api/queue/${r.body.queued}`)).body as unknown as Row & {
      jobsWaiting: Record<string, string>;
    };
    return x.state === "done" ? x : undefined;
  });
  expect(done.jobsWaiting).toEqual({});
  const res = JSON.parse(
    readFileSync(join(repo, ".slipway", "runs", String(done.run), "result.json"), "utf8"),
  );
  expect(res).toMatchObject({ result: "success" });
}, 120_000);
