import { describe, expect, test } from "vitest";
import { backends, freshHistory, newRun } from "../db/test-helpers.js";
import { insertRun } from "../db/writes.js";
import { pullRequestHeads } from "./git-commits.js";
import { closeIncident, listIncidents, openIncident } from "./incidents.js";

describe.each(backends())("incidents on $name", (b) => {
  test("opened, closed once with a root cause, listed from a time", async () => {
    const { db } = await freshHistory(b);
    try {
      const a = await openIncident(db, { environment: "production", reason: "checkout 500s" }, 1000);
      const c = await openIncident(db, { environment: "staging", reason: "slow", deployment: 4 }, 3000);
      expect(a).toEqual({
        id: a.id,
        repo: db.repo,
        environment: "production",
        reason: "checkout 500s",
        openedAt: 1000,
      });
      expect(c.deployment).toBe(4);
      const closed = await closeIncident(db, a.id, "abc1234", 2000);
      expect(closed).toMatchObject({ closedAt: 2000, rootCauseSha: "abc1234" });
      expect(await closeIncident(db, a.id, undefined, 2500)).toBe("closed");
      expect(await closeIncident(db, 999, undefined)).toBeUndefined();
      expect((await listIncidents(db, 0)).map((x) => x.id)).toEqual([a.id, c.id]);
      expect((await listIncidents(db, 2000)).map((x) => x.id)).toEqual([c.id]);
    } finally {
      await db.close();
    }
  });

  test("pull request heads come from the pull_request runs' payloads, newest first", async () => {
    const { db } = await freshHistory(b);
    try {
      const pr = (n: number, head: string) =>
        newRun(n, {
          event: "pull_request",
          sha: head,
          payload: JSON.stringify({ number: 7, pull_request: { number: 7, head: { sha: head } } }),
        });
      for (const r of [pr(1, "a".repeat(40)), pr(2, "b".repeat(40)), newRun(3)]) await insertRun(db, r);
      expect(await pullRequestHeads(db)).toEqual(new Map([[7, ["b".repeat(40), "a".repeat(40)]]]));
    } finally {
      await db.close();
    }
  });
});
