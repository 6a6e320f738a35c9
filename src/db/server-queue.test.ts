import { describe, expect, test } from "vitest";
import { openHistory } from "./open.js";
import {
  beat,
  claim,
  enqueue,
  finish,
  getQueued,
  listQueued,
  requestCancel,
  settleOrphans,
} from "./server-queue.js";
import { backends } from "./test-helpers.js";

describe.each(backends())("$name", (b) => {
  test("the server queue: oldest first, one claimer per row, orphans settled once, cancels", async () => {
    const { root, url } = await b.fresh();
    const a = (await openHistory(root, true, url))!;
    const other = (await openHistory(root, true, url))!;
    try {
      const ids = [];
      for (const ref of ["main", "dev", "slow", "x"])
        ids.push(await enqueue(a, JSON.stringify({ event: "push", ref })));
      // Two servers claiming at once never get the same row.
      const [one, two] = await Promise.all([claim(a, "host:1:a"), claim(other, "host:2:b")]);
      expect(new Set([one!.id, two!.id])).toEqual(new Set([ids[0], ids[1]]));
      expect([one!.state, two!.state]).toEqual(["running", "running"]);
      // A queued row is cancelled at once; a running one is asked, and its owner hears it.
      expect(await requestCancel(a, ids[3]!)).toBe("cancelled");
      expect(await requestCancel(a, one!.id)).toBe("asked");
      expect(await beat(a, one!.owner!)).toEqual([one!.id]);
      expect(await beat(a, "host:9:z")).toEqual([]);
      await finish(a, one!.id, { state: "cancelled", run: 1, exitCode: 130 });
      expect(await requestCancel(a, one!.id)).toBe("ended");
      expect(await requestCancel(a, 999_999)).toBe("none");
      // The other server died: its row is settled once (another looking at once gets nothing).
      const gone = (owner: string) => owner === "host:2:b";
      const [s1, s2] = await Promise.all([settleOrphans(a, 0, gone), settleOrphans(other, 0, gone)]);
      expect([...s1, ...s2].map((r) => r.id)).toEqual([two!.id]);
      expect((await getQueued(a, two!.id))!).toMatchObject({
        state: "cancelled",
        message: '["the server running it (host:2:b) stopped"]',
      });
      // A stale heartbeat counts as dead too.
      const three = await claim(a, "host:3:c");
      expect(three!.id).toBe(ids[2]);
      expect(await settleOrphans(a, Date.now() - 60_000, () => false)).toEqual([]);
      expect((await settleOrphans(a, Date.now() + 1, () => false)).map((r) => r.id)).toEqual([ids[2]]);
      expect((await listQueued(a)).map((r) => [r.id, r.state])).toEqual([
        [ids[0], "cancelled"],
        [ids[1], "cancelled"],
        [ids[2], "cancelled"],
        [ids[3], "cancelled"],
      ]);
      expect(await claim(a, "host:1:a")).toBeUndefined();
    } finally {
      await a.close();
      await other.close();
    }
  });
});
