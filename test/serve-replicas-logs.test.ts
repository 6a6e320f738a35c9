import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { bareRepo } from "./helpers/bare-repo.js";
import { api, type Server, slipwayProcess, stopAll, until, webhook } from "./helpers/serve.js";
import { readSse } from "./helpers/sse.js";

// Replicas on different machines: each its own clone and data folder (no disk shared), one
// PostgreSQL database. A run's events are kept in the database too, so a replica that does
// not have the run's folder streams its live log from there.

const SECRET = "replica-logs-hook";
const PASSWORD = "pa55-replica-logs-value";
const top = mkdtempSync(join(tmpdir(), "slipway-replica-logs-"));
const gates = join(top, "gates");
mkdirSync(gates);

afterAll(async () => {
  writeFileSync(join(gates, "go"), "");
  await stopAll();
}, 60_000);

const CI = `on: push
jobs:
  work:
    runs-on: ubuntu-latest
    steps:
      - run: for i in $(seq 1 40); do echo "before-$i"; done; echo "the password is \${{ secrets.PASSWORD }}"
      - run: while [ ! -f "${gates}/go" ]; do sleep 0.05; done; for i in $(seq 1 40); do echo "after-$i"; done
`;

const pg = backends().filter((b) => b.name === "postgres");

describe.skipIf(!pg.length)("postgres", () => {
  test("a run on replica A is streamed live by replica B (another data folder, no run folder): every line of A's events.jsonl, seq for seq, resumed with Last-Event-ID, the secret masked; its job page and raw log too", async () => {
    const { url } = await pg[0]!.fresh();
    const { bare, head } = bareRepo(top, CI);
    const secrets = join(top, "secrets.env");
    writeFileSync(secrets, `PASSWORD=${PASSWORD}\n`);
    const env = {
      SLIPWAY_WEBHOOK_SECRET: SECRET,
      SLIPWAY_SECRET_KEY: "ab".repeat(32),
      // The same repository on every machine (its clones are in different folders).
      SLIPWAY_HISTORY_REPO: "replica-logs",
    };
    const start = async (name: string, agents: string): Promise<Server & { data: string }> => {
      const data = join(top, `data-${name}`);
      const p = slipwayProcess(
        [
          "serve",
          "--port",
          "0",
          "--repo",
          bare,
          "--data",
          data,
          "--db",
          url!,
          "--agents",
          agents,
          "--secret-file",
          secrets,
          "--no-sandbox",
        ],
        top,
        env,
      );
      const m = await until(
        "listening",
        () => /listening on (http:\/\/\S+)/.exec(p.out()) ?? undefined,
        20_000,
      );
      return { ...p, url: m[1]!, data };
    };
    const a = await start("a", "1");
    const pushed = await webhook(
      a,
      "push",
      { ref: "refs/heads/main", before: "0".repeat(40), after: head, repository: { full_name: "o/r" } },
      "rl-1",
      SECRET,
    );
    expect(pushed.status).toBe(202);
    const n = await until("A to run it", async () => {
      const q = (await api(a, `/api/queue/${pushed.body.queued}`)).body;
      return q.state === "running" && typeof q.run === "number" ? q.run : undefined;
    });
    const folder = join(a.data, "repos", "origin", ".slipway", "runs", String(n));
    // B starts once A holds the run (its queue takes nothing: no other run waits; its agent may run the leg).
    const b = await start("b", "1");
    expect(existsSync(join(b.data, "repos", "origin", ".slipway", "runs", String(n)))).toBe(false);

    // Live from B while the run waits at its gate: a client reads the first lines and goes away.
    const first = await until(
      "B to stream the lines before the gate",
      async () => {
        const got = await readSse(`${b.url}/api/runs/${n}/events`, undefined, 20);
        return got.length === 20 ? got : undefined;
      },
      30_000,
    );
    const all = readSse(`${b.url}/api/runs/${n}/events`);
    // The client comes back with the last id it got; the run goes on meanwhile.
    const rest = readSse(`${b.url}/api/runs/${n}/events`, first.at(-1)!.seq);
    writeFileSync(join(gates, "go"), "");
    const resumed = [...first, ...(await rest)];
    const whole = await all;

    await until("A to finish the run", async () => {
      const q = (await api(a, `/api/queue/${pushed.body.queued}`)).body;
      return q.state === "done" ? true : undefined;
    });
    const lines = readFileSync(join(folder, "events.jsonl"), "utf8").trimEnd().split("\n");
    const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    for (const events of [resumed, whole]) {
      expect(events.map((e) => e.seq)).toEqual(seqs);
      expect(events.map((e) => e.data)).toEqual(lines);
      expect(events.at(-1)!.type).toBe("run-end");
    }
    const texts = lines.map((l) => (JSON.parse(l) as { text?: string }).text ?? "");
    expect(texts).toContain("after-40");
    // Masked in A's file and in what B streams.
    expect(texts).toContain("the password is ***");
    expect(readFileSync(join(folder, "events.jsonl"), "utf8")).not.toContain(PASSWORD);
    expect(JSON.stringify(resumed)).not.toContain(PASSWORD);
    // B shows the run, its job's page and raw log too (from the shared database).
    expect((await api(b, `/api/runs/${n}`)).body).toMatchObject({ number: n, result: "success" });
    const raw = (await api(b, `/runs/${n}/jobs/work/log.txt`)).text;
    expect(raw).toBe(readFileSync(join(folder, "logs", "work.log"), "utf8"));
    expect(raw).toContain("the password is ***\n");
    const page = (await api(b, `/runs/${n}/jobs/work`)).text;
    expect(page).toContain("after-40");
    expect(page).toContain("the password is ***");
    expect(page).not.toContain(PASSWORD);

    // A gone, B takes the next run: its number is past A's (taken in the database, not from
    // B's empty runs folder), and it is recorded.
    a.proc.kill("SIGTERM");
    await a.exited;
    const again = await webhook(
      b,
      "push",
      { ref: "refs/heads/main", before: "0".repeat(40), after: head, repository: { full_name: "o/r" } },
      "rl-2",
      SECRET,
    );
    writeFileSync(join(gates, "go"), "");
    const m = await until("B to run the next one", async () => {
      const q = (await api(b, `/api/queue/${again.body.queued}`)).body;
      return q.state === "done" && typeof q.run === "number" ? q.run : undefined;
    });
    expect(m).toBe(n + 1);
    expect((await api(b, `/api/runs/${m}`)).body).toMatchObject({ number: m, result: "success" });
  }, 120_000);
});
