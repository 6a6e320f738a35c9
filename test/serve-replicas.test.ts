import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, stopAll, until, webhook } from "./helpers/serve.js";

// The server's queue lives in the history database: a server killed with -9 loses nothing
// that waited, its running run is settled and runs again once — by the same server restarted
// (SQLite) or by a replica on the same PostgreSQL database.

const SECRET = "replica-hook-secret";
// One gate folder per test: a test opening its gate must not open another's.
const allGates: string[] = [];

afterAll(async () => {
  for (const g of allGates) writeFileSync(join(g, "open"), "");
  await stopAll();
}, 60_000);

// ship deploys (a job never reused, only kept by a re-run of its run's failed jobs) and counts
// its runs in a file: the run that goes on after its server died keeps it, it ships once.
const CI = (gates: string) => `on: push
jobs:
  ship:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: echo shipped >> "${gates}/shipped-\${{ github.ref_name }}"
  work:
    needs: ship
    runs-on: ubuntu-latest
    steps:
      - run: echo "ref \${{ github.ref_name }}"; if [ "\${{ github.ref_name }}" = gated ]; then while [ ! -f "${gates}/open" ]; do sleep 0.05; done; fi
`;

type Row = { queued: number; state: string; run: number | null; message?: string[]; rerunOf?: number };

async function queue(s: Server): Promise<Row[]> {
  const q = (await api(s, "/api/queue")).body as unknown as Row[];
  return Promise.all(q.map(async (x) => (await api(s, `/api/queue/${x.queued}`)).body as unknown as Row));
}

describe.each(backends())("$name", (b) => {
  test("kill -9 of a server: what waited runs, the running run is cancelled with the reason and goes on once, keeping the jobs that succeeded (its deployment is not done twice)", async () => {
    const { url } = await b.fresh();
    const gates = mkdtempSync(join(tmpdir(), "slipway-replica-gates-"));
    allGates.push(gates);
    const repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI(gates), ".gitignore": ".slipway/\n" });
    const { execFileSync } = await import("node:child_process");
    execFileSync("git", ["branch", "gated"], { cwd: repo });
    execFileSync("git", ["branch", "other"], { cwd: repo });
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
    const env = { SLIPWAY_WEBHOOK_SECRET: SECRET, SLIPWAY_DATABASE_URL: url ?? "" };
    // staging has no reviewers: its deployments go at once.
    writeFileSync(join(gates, "server.yml"), "environments:\n  staging: {}\n");
    const args = [
      "--agents",
      "1",
      "--replica-timeout",
      "3",
      "--config",
      join(gates, "server.yml"),
      ...(url ? ["--db", url] : []),
    ];
    const a = await serve(repo, args, env);
    // On PostgreSQL a second server shares the queue; on SQLite the same server is restarted.
    const second = url ? await serve(repo, args, env) : undefined;
    const push = (ref: string) => ({
      ref,
      before: "0".repeat(40),
      after: head,
      repository: { full_name: "o/r" },
    });
    const gated = await webhook(a, "push", push("refs/heads/gated"), "r-1", SECRET);
    const n = await until("the gated run to start", async () => {
      const q = (await queue(a)).find((x) => x.queued === gated.body.queued);
      return q?.state === "running" && q.run ? q.run : undefined;
    });
    // Killed once its deployment succeeded (and is recorded), while its second job waits.
    await until("the gated run's deployment to succeed", async () => {
      const jobs = (await api(a, `/api/runs/${n}`)).body.jobs as { key: string; result: string | null }[];
      return jobs?.find((j) => j.key === "ship")?.result === "success" ? true : undefined;
    });
    // Another request: it waits, or runs beside the first (runs run in parallel), or the
    // replica takes it.
    const other = await webhook(a, "push", push("refs/heads/other"), "r-2", SECRET);
    a.proc.kill("SIGKILL");
    await a.exited;
    const b2 = second ?? (await serve(repo, args, env));
    writeFileSync(join(gates, "open"), "");
    const ended = (x: Row) => x.state === "done" || x.state === "cancelled";
    const rows = await until(
      "every request to end",
      async () => {
        const q = await queue(b2);
        // Each request ended, and each cancelled one's second run too.
        const ok =
          q.every(ended) &&
          q.filter((x) => x.state === "cancelled").every((x) => q.some((y) => y.rerunOf === x.queued));
        return q.length >= 3 && ok ? q : undefined;
      },
      60_000,
    );
    const first = rows.find((x) => x.queued === gated.body.queued)!;
    expect(first.state).toBe("cancelled");
    expect(first.message?.[0]).toMatch(/^the server running it \(.+\) stopped$/);
    expect(first.run).toBe(n);
    const again = rows.find((x) => x.rerunOf === gated.body.queued)!;
    expect(again.state).toBe("done");
    // The other request ran to its end once: at once, or again after its server died.
    const second2 = rows.find((x) => x.queued === other.body.queued)!;
    const final = second2.state === "done" ? second2 : rows.find((x) => x.rerunOf === other.body.queued)!;
    expect(final.state).toBe("done");
    // Nothing ran a third time.
    expect(
      rows.every((x) => !x.rerunOf || rows.find((y) => y.queued === x.rerunOf)?.rerunOf === undefined),
    ).toBe(true);
    const runs = (await api(b2, "/api/runs")).body.runs as unknown as {
      number: number;
      ref: string;
      result: string;
    }[];
    expect(runs.find((r) => r.number === again.run)).toMatchObject({
      ref: "refs/heads/gated",
      result: "success",
    });
    expect(runs.find((r) => r.number === n)?.result).toBe("cancelled");
    // It went on where it stopped: ship succeeded in run n and was kept, not deployed again.
    const jobs = (await api(b2, `/api/runs/${again.run}`)).body.jobs as {
      key: string;
      result: string;
      reason: string | null;
    }[];
    const ship = jobs.find((j) => j.key === "ship")!;
    expect([ship.result, ship.reason]).toEqual([
      "success",
      expect.stringMatching(new RegExp(`^reused \\(run ${n}, `)),
    ]);
    expect(readFileSync(join(gates, "shipped-gated"), "utf8")).toBe("shipped\n");
  }, 120_000);

  // Which jobs wait for a concurrency group is in the queue's row: every replica says it.
  test.runIf(b.name === "postgres")(
    "a job waiting for its concurrency group: both replicas say why, whichever runs it",
    async () => {
      const { url } = await b.fresh();
      const gates = mkdtempSync(join(tmpdir(), "slipway-replica-gates-"));
      allGates.push(gates);
      const workflow = `on: push
jobs:
  first:
    runs-on: ubuntu-latest
    concurrency: gate
    steps:
      - run: while [ ! -f "${gates}/open" ]; do sleep 0.05; done
  second:
    runs-on: ubuntu-latest
    concurrency: gate
    steps:
      - run: echo second
`;
      const repo = tempRepo(undefined, { ".github/workflows/ci.yml": workflow, ".gitignore": ".slipway/\n" });
      const { execFileSync } = await import("node:child_process");
      const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
      const env = { SLIPWAY_WEBHOOK_SECRET: SECRET, SLIPWAY_DATABASE_URL: url ?? "" };
      const args = ["--agents", "2", "--no-sandbox", "--db", url!];
      const [a, b2] = [await serve(repo, args, env), await serve(repo, args, env)];
      const push = {
        ref: "refs/heads/main",
        before: "0".repeat(40),
        after: head,
        repository: { full_name: "o/r" },
      };
      const r = await webhook(a, "push", push, "jw-1", SECRET);
      type Waits = Row & { jobsWaiting: Record<string, string> };
      const seen = await Promise.all(
        [a, b2].map((s) =>
          until("a job to wait for the group", async () => {
            const x = (await api(s, `/api/queue/${r.body.queued}`)).body as unknown as Waits;
            return Object.keys(x.jobsWaiting ?? {}).length ? x.jobsWaiting : undefined;
          }),
        ),
      );
      expect(seen[0]).toEqual(seen[1]);
      expect(Object.values(seen[0]!)).toEqual(["waiting for concurrency group 'gate'"]);
      writeFileSync(join(gates, "open"), "");
      const done = await until("the run to end", async () => {
        const x = (await api(b2, `/api/queue/${r.body.queued}`)).body as unknown as Waits;
        return x.state === "done" ? x : undefined;
      });
      expect(done.jobsWaiting).toEqual({});
    },
    60_000,
  );
});
