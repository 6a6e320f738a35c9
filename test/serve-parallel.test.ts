import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
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
