import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, slipwayProcess, stopAll, until, webhook } from "./helpers/serve.js";

// Agents shared by replicas (PostgreSQL): the legs, leases, agents and their events are rows,
// so an agent connected to one replica runs the legs of a run another replica coordinates,
// and a replica killed with -9 loses nothing.

const SECRET = "replica-agents-secret";
const AGENT_TOKEN = "replica-agents-registration";
const gates = mkdtempSync(join(tmpdir(), "slipway-replica-agents-"));

const CI = `on: push
jobs:
  work:
    runs-on: ubuntu-latest
    steps:
      - run: for i in 1 2 3; do echo "before-$i"; done; touch "${gates}/started-\${{ github.ref_name }}-\${{ github.run_attempt }}-\${{ github.run_number }}"
      - run: while [ ! -f "${gates}/go-\${{ github.ref_name }}" ]; do sleep 0.05; done; for i in 1 2 3; do echo "after-$i"; done
`;

afterAll(async () => {
  for (const b of ["one", "two"]) writeFileSync(join(gates, `go-${b}`), "");
  await stopAll();
}, 60_000);

type Row = { queued: number; state: string; run: number | null; message?: string[]; rerunOf?: number };
type Ev = { type: string; job?: string; text?: string; seq: number };

const pg = backends().filter((b) => b.name === "postgres");

describe.skipIf(!pg.length)("postgres", () => {
  async function setup() {
    const { url } = await pg[0]!.fresh();
    const repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI, ".gitignore": ".slipway/\n" });
    for (const b of ["one", "two"]) execFileSync("git", ["branch", b], { cwd: repo });
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
    const env = { SLIPWAY_WEBHOOK_SECRET: SECRET, SLIPWAY_AGENT_TOKEN: AGENT_TOKEN };
    const args = ["--agents", "0", "--replica-timeout", "3", "--db", url!];
    const push = (s: Server, b: string) =>
      webhook(
        s,
        "push",
        { ref: `refs/heads/${b}`, before: "0".repeat(40), after: head, repository: { full_name: "o/r" } },
        `ra-${b}`,
        SECRET,
      );
    const events = (n: number): Ev[] => {
      const f = join(repo, ".slipway", "runs", String(n), "events.jsonl");
      if (!existsSync(f)) return [];
      return readFileSync(f, "utf8")
        .split("\n")
        .slice(0, -1)
        .map((l) => JSON.parse(l) as Ev);
    };
    const row = async (s: Server, id: unknown) => (await api(s, `/api/queue/${id}`)).body as unknown as Row;
    return { repo, env, args, push, events, row };
  }

  test("an agent connected to replica A runs a leg of a run on replica B; A killed with -9 mid-leg: the agent goes on through B, no line lost or twice", async () => {
    const { repo, env, args, push, events, row } = await setup();
    // B alone takes the run from the shared queue; no agent yet.
    const b = await serve(repo, args, env);
    const r = await push(b, "one");
    const n = await until("B to run it", async () => {
      const q = await row(b, r.body.queued);
      return q.state === "running" && q.run ? q.run : undefined;
    });
    const a = await serve(repo, args, env);
    slipwayProcess(
      [
        "agent",
        "--server",
        `${a.url},${b.url}`,
        "--no-sandbox",
        "--name",
        "on-a",
        "--heartbeat-seconds",
        "1",
      ],
      repo,
      env,
    );
    // B knows the agent that registered with A: agents are rows.
    await until("B to list the agent", async () => {
      const ag = (await api(b, "/api/agents")).body.agents as unknown as { name: string }[];
      return ag.some((x) => x.name === "on-a") || undefined;
    });
    await until("the leg to start on the agent", () =>
      existsSync(join(gates, `started-one-1-${n}`)) && events(n).some((e) => e.text === "before-3")
        ? true
        : undefined,
    );
    a.proc.kill("SIGKILL");
    await a.exited;
    writeFileSync(join(gates, "go-one"), "");
    const done = await until(
      "the run to finish on B",
      async () => {
        const q = await row(b, r.body.queued);
        return q.state === "done" ? q : undefined;
      },
      60_000,
    );
    expect(done.run).toBe(n);
    const result = JSON.parse(readFileSync(join(repo, ".slipway", "runs", String(n), "result.json"), "utf8"));
    expect(result).toMatchObject({ result: "success" });
    const ev = events(n);
    expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => i + 1));
    const lines = ev
      .filter((e) => e.job === "work" && /^(before|after)-\d$/.test(e.text ?? ""))
      .map((e) => e.text);
    expect(lines).toEqual(["before-1", "before-2", "before-3", "after-1", "after-2", "after-3"]);
    expect(ev.filter((e) => e.type === "job-start")).toHaveLength(1);
    expect(ev.filter((e) => e.type === "job-end")).toHaveLength(1);
    // It ran once: no second attempt.
    const all = (await api(b, "/api/queue")).body as unknown as Row[];
    expect(all).toHaveLength(1);
  }, 120_000);

  test("B, coordinating a run whose leg runs on an agent of A, killed with -9: A cancels the leg and runs the run again once, to its end", async () => {
    const { repo, env, args, push, events, row } = await setup();
    const b = await serve(repo, args, env);
    const r = await push(b, "two");
    const n = await until("B to run it", async () => {
      const q = await row(b, r.body.queued);
      return q.state === "running" && q.run ? q.run : undefined;
    });
    const a = await serve(repo, args, env);
    slipwayProcess(
      ["agent", "--server", a.url, "--no-sandbox", "--name", "a-only", "--heartbeat-seconds", "1"],
      repo,
      env,
    );
    await until("the leg to start on the agent", () =>
      existsSync(join(gates, `started-two-1-${n}`)) ? true : undefined,
    );
    b.proc.kill("SIGKILL");
    await b.exited;
    // A settles B's run (no heartbeat for 3 s), its leg is cancelled on the agent, and it runs again.
    const again = await until(
      "the run again on A",
      async () => {
        const q = ((await api(a, "/api/queue")).body as unknown as Row[]).find(
          (x) => x.queued !== r.body.queued,
        );
        return q?.state === "running" && q.run ? q : undefined;
      },
      30_000,
    );
    // A new attempt of run n (its succeeded jobs kept): github.run_number n, run_attempt 2.
    await until("the second run's leg to start", () =>
      existsSync(join(gates, `started-two-2-${n}`)) ? true : undefined,
    );
    writeFileSync(join(gates, "go-two"), "");
    const done = await until(
      "the second run to finish",
      async () => {
        const q = await row(a, again.queued);
        return q.state === "done" ? q : undefined;
      },
      60_000,
    );
    expect(done.rerunOf).toBe(r.body.queued);
    const first = await row(a, r.body.queued);
    expect(first.state).toBe("cancelled");
    expect(first.message?.[0]).toMatch(/^the server running it \(.+\) stopped$/);
    const result = JSON.parse(
      readFileSync(join(repo, ".slipway", "runs", String(done.run), "result.json"), "utf8"),
    );
    expect(result).toMatchObject({ result: "success" });
    const ev = events(done.run!);
    expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => i + 1));
    expect(ev.filter((e) => /^after-\d$/.test(e.text ?? "")).map((e) => e.text)).toEqual([
      "after-1",
      "after-2",
      "after-3",
    ]);
    // The agent ran both legs: the first was cancelled, not left running (the list is up to 1 s old).
    const agent = await until("the agent's count", async () => {
      const ag = (await api(a, "/api/agents")).body.agents as unknown as {
        name: string;
        done: number;
        busy: number;
      }[];
      const x = ag.find((y) => y.name === "a-only");
      return x?.done === 2 ? x : undefined;
    });
    expect(agent.busy).toBe(0);
  }, 120_000);
});
