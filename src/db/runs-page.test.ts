import { describe, expect, test } from "vitest";
import { listRunsPage } from "./reads.js";
import { backends, freshHistory, newRun } from "./test-helpers.js";
import { endRun, insertRun } from "./writes.js";

// The dashboard's runs list: filters and keyset pages, on both back ends.
describe.each(backends())("$name", (b) => {
  test("runs filtered by branch, event, result, actor and workflow, newest first, by keyset", async () => {
    const { db } = await freshHistory(b);
    const made = [
      newRun(1, { actor: "alice" }),
      newRun(2, { event: "pull_request", ref: "refs/heads/feature" }),
      newRun(3, { actor: "alice", workflows: [".github/workflows/release.yml"] }),
      newRun(4, { event: "workflow_dispatch" }),
      newRun(5, { actor: "bob" }),
    ];
    for (const r of made) {
      const id = await insertRun(db, r);
      // Run 5 is still going.
      if (r.number !== 5)
        await db.batch([endRun(id, r.number === 2 ? "failure" : "success", r.startedAt + 1)]);
    }
    const numbers = async (f: Partial<Parameters<typeof listRunsPage>[1]>) =>
      (await listRunsPage(db, { limit: 10, ...f })).map((r) => r.number);
    expect(await numbers({})).toEqual([5, 4, 3, 2, 1]);
    expect(await numbers({ branch: "feature" })).toEqual([2]);
    expect(await numbers({ branch: "refs/heads/main", event: "push" })).toEqual([5, 3, 1]);
    expect(await numbers({ actor: "alice" })).toEqual([3, 1]);
    expect(await numbers({ result: "failure" })).toEqual([2]);
    expect(await numbers({ result: "running" })).toEqual([5]);
    expect(await numbers({ workflow: "release.yml" })).toEqual([3]);
    expect(await numbers({ before: 4, limit: 2 })).toEqual([3, 2]);
    expect(await numbers({ before: 2, limit: 2 })).toEqual([1]);
    await db.close();
  });
});
