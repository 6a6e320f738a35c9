import { describe, expect, test } from "vitest";
import { openHistory } from "./open.js";
import { askGroups, groupWaits, releaseGroups } from "./server-groups.js";
import { backends } from "./test-helpers.js";

describe.each(backends())("$name", (b) => {
  test("concurrency groups across runs: one holder even when two servers ask at once; the newest waits, replacing an older waiting run; cancel-in-progress", async () => {
    const { root, url } = await b.fresh();
    const a = (await openHistory(root, true, url))!;
    const other = (await openHistory(root, true, url))!;
    try {
      const g = [{ group: "deploy", cancel: false }];
      // Two servers asking at once: exactly one holds (the unique index decides a tie).
      const [x, y] = await Promise.all([askGroups(a, 1, g), askGroups(other, 2, g)]);
      expect([x.answer.go, y.answer.go].filter(Boolean)).toHaveLength(1);
      await releaseGroups(a, 1);
      await releaseGroups(a, 2);
      // In order: 10 holds, 11 waits and says why, 12 replaces 11.
      expect((await askGroups(a, 10, g)).answer).toEqual({ go: true });
      const waits = { go: false, why: "waiting for concurrency group 'deploy' (held by queued run 10)" };
      expect((await askGroups(other, 11, g)).answer).toEqual(waits);
      expect((await groupWaits(a)).get(11)).toBe(waits.why);
      const replaced = "cancelled: a newer run waits for concurrency group 'deploy'";
      const twelve = await askGroups(a, 12, g);
      expect(twelve).toEqual({ answer: waits, displaced: [{ queued: 11, why: replaced }] });
      expect((await askGroups(other, 11, g)).answer).toEqual({ go: false, cancelled: replaced });
      // cancel-in-progress: the holder is to be cancelled, the waiting one replaced; the group
      // is the newcomer's once the holder has ended.
      const c = [{ group: "deploy", cancel: true }];
      const thirteen = await askGroups(a, 13, c);
      expect(thirteen.displaced).toEqual([
        { queued: 12, why: replaced },
        { queued: 10, why: "cancelled by a newer run in concurrency group 'deploy'" },
      ]);
      expect(thirteen.answer.go).toBe(false);
      await releaseGroups(a, 10);
      expect((await askGroups(a, 13, c)).answer).toEqual({ go: true });
      expect([...(await groupWaits(a)).keys()]).toEqual([]);
    } finally {
      await a.close();
      await other.close();
    }
  });
});
