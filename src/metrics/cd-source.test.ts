import { describe, expect, test } from "vitest";
import { insertDeployment } from "../cd/store.js";
import { backends, freshHistory } from "../db/test-helpers.js";
import { cdTables } from "./cd-source.js";
import { openIncident } from "./incidents.js";
import { historyAccess } from "./service.js";

describe.each(backends())("the CD tables as the DORA source on $name", (b) => {
  test("deployments as the environments code wrote them, and every incident", async () => {
    const { db, root, url } = await freshHistory(b);
    const id = await insertDeployment(db, {
      environment: "production",
      sha: "a".repeat(40),
      ref: "refs/heads/main",
      version: "v1",
      run: 3,
      job: "deploy",
      jobId: "deploy",
      workflow: "CI",
      attempt: 1,
      url: "https://shop.example",
      approvedBy: ["bob"],
      startedAt: 1000,
      finishedAt: 2000,
      status: "failed",
      kind: "deploy",
      failedAt: 2500,
    });
    await openIncident(db, { environment: "production", reason: "5xx", deployment: id }, 2600);
    const repo = db.repo;
    await db.close();
    const source = cdTables(historyAccess(root, url));
    expect(await source.deployments(repo, 0)).toEqual([
      {
        id,
        repo,
        environment: "production",
        sha: "a".repeat(40),
        ref: "refs/heads/main",
        version: "v1",
        run: 3,
        job: "deploy",
        attempt: 1,
        url: "https://shop.example",
        approvedBy: ["bob"],
        startedAt: 1000,
        finishedAt: 2000,
        status: "failed",
        kind: "deploy",
        failedAt: 2500,
      },
    ]);
    expect(await source.deployments(repo, 1001)).toEqual([]);
    expect((await source.incidents(repo, 0)).map((i) => [i.deployment, i.reason])).toEqual([[id, "5xx"]]);
  });
});
