import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, test } from "vitest";
import { readSse } from "../../test/helpers/sse.js";
import type { Db } from "../db/db.js";
import { addEventLines, type EventLine } from "../db/event-lines.js";
import { openHistory } from "../db/open.js";
import { backends, freshHistory, newRun } from "../db/test-helpers.js";
import { insertRun } from "../db/writes.js";
import { DbEventStreams } from "./sse-db.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

/** Event lines as the run folder writes them: type first, seq and time last. */
const line = (seq: number, type = "log", text = `line ${seq}`): EventLine => ({
  seq,
  line: `{"type":"${type}","job":"a","text":"${text}","runId":"r","seq":${seq},"time":${1000 + seq}}`,
});

/** `GET /N` streams run N from the database, live while `live.value`, masking 'hidden'. */
async function streamServer(open: () => Promise<Db>, live: { value: boolean }) {
  const streams = new DbEventStreams(open);
  const srv = createServer((req, res) => {
    const n = Number(req.url!.slice(1));
    const after = Number(req.headers["last-event-id"] ?? 0);
    void streams.stream(
      res,
      n,
      after,
      () => live.value,
      (t) => t.replaceAll("hidden", "***"),
    );
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

describe.each(backends())("$name", (b) => {
  test("a run's lines from the database: followed while they are written, resumed after Last-Event-ID with no gap or repeat, masked, ended by run-end", async () => {
    const { db, root, url: dbUrl } = await freshHistory(b);
    await insertRun(db, newRun(1));
    const live = { value: true };
    const url = await streamServer(async () => (await openHistory(root, true, dbUrl))!, live);
    const all = readSse(`${url}/1`);
    // The first client goes away after 30 events; it comes back with the last id it got.
    const first = readSse(`${url}/1`, undefined, 30);
    // Written in batches, as the recorder does, while both read.
    const expected: EventLine[] = [];
    for (let seq = 1; seq <= 200; ) {
      const batch: EventLine[] = [];
      for (let i = 0; i < 17 && seq <= 200; i++, seq++)
        batch.push(line(seq, "log", seq === 42 ? "hidden" : "x"));
      expected.push(...batch);
      await db.batch([addEventLines(db.repo, 1, batch)]);
      await sleep(20);
    }
    const got = await first;
    const rest = readSse(`${url}/1`, got.at(-1)!.seq);
    const end = line(201, "run-end");
    // A line after run-end is never sent.
    await db.batch([addEventLines(db.repo, 1, [end, line(202)])]);
    expected.push(end);
    const resumed = [...got, ...(await rest)];
    for (const events of [await all, resumed]) {
      expect(events.map((e) => e.seq)).toEqual(expected.map((l) => l.seq));
      expect(events.map((e) => e.data)).toEqual(expected.map((l) => l.line.replaceAll("hidden", "***")));
      expect(events.at(-1)!.type).toBe("run-end");
    }
    expect(resumed[41]!.data).toContain('"text":"***"');
    await db.close();
  });

  test("a run no longer running whose row has ended is streamed to its last line and ended (no run-end: it was interrupted)", async () => {
    const { db, root, url: dbUrl } = await freshHistory(b);
    await insertRun(db, newRun(2));
    await db.batch([addEventLines(db.repo, 2, [line(1), line(2), line(3)])]);
    await db.run("UPDATE runs SET ended_at = 5 WHERE number = 2");
    const url = await streamServer(async () => (await openHistory(root, true, dbUrl))!, { value: false });
    expect((await readSse(`${url}/2`, 1)).map((e) => e.seq)).toEqual([2, 3]);
    await db.close();
  });

  test("the queue's view lagging (not yet running) does not end the stream of a run whose row has not ended", async () => {
    const { db, root, url: dbUrl } = await freshHistory(b);
    await insertRun(db, newRun(3));
    const url = await streamServer(async () => (await openHistory(root, true, dbUrl))!, { value: false });
    const events = readSse(`${url}/3`);
    await sleep(500);
    await db.batch([addEventLines(db.repo, 3, [line(1), line(2, "run-end")])]);
    expect((await events).map((e) => e.type)).toEqual(["log", "run-end"]);
    await db.close();
  });

  test.skipIf(b.name !== "postgres")(
    "a connection that breaks (the database restarted) ends the streams on it; the next stream gets a new one and resumes",
    async () => {
      const { db, root, url: dbUrl } = await freshHistory(b);
      await insertRun(db, newRun(4));
      await db.batch([addEventLines(db.repo, 4, [line(1), line(2)])]);
      const url = await streamServer(async () => (await openHistory(root, true, dbUrl))!, { value: true });
      const first = readSse(`${url}/4`);
      await sleep(400);
      await db.get(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      expect((await first).map((e) => e.seq)).toEqual([1, 2]);
      const again = readSse(`${url}/4`, 2);
      await db.batch([addEventLines(db.repo, 4, [line(3), line(4, "run-end")])]);
      expect((await again).map((e) => e.seq)).toEqual([3, 4]);
      await db.close();
    },
  );
});
