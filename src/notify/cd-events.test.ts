import { expect, test } from "vitest";
import type { Deployment } from "../cd/types.js";
import { fromCd } from "./cd-events.js";

const d: Deployment = {
  id: 4,
  repo: "",
  environment: "production",
  sha: "a".repeat(40),
  ref: "refs/heads/main",
  run: 9,
  job: "deploy",
  attempt: 1,
  approvedBy: ["bob"],
  startedAt: 1,
  finishedAt: 2,
  status: "active",
  kind: "deploy",
};

test("the environments' events as notifications", () => {
  const base = "http://ci";
  expect(
    fromCd(
      {
        type: "approval-needed",
        id: "x",
        run: 9,
        job: "deploy",
        environment: "production",
        sha: "a",
        ref: "r",
      },
      "o/r",
      base,
    ),
  ).toEqual({
    type: "approval.needed",
    repository: "o/r",
    environment: "production",
    run: 9,
    job: "deploy",
    url: "http://ci/approvals",
  });
  const decided = {
    type: "approval-decided" as const,
    id: "x",
    run: 9,
    job: "deploy",
    environment: "production",
    by: "bob",
  };
  expect(fromCd({ ...decided, approved: true }, "o/r", base)).toMatchObject({
    type: "approval.given",
    by: "bob",
  });
  expect(fromCd({ ...decided, approved: false, reason: "not on Friday" }, "o/r", "")).toEqual({
    type: "approval.rejected",
    repository: "o/r",
    environment: "production",
    run: 9,
    job: "deploy",
    by: "bob",
    comment: "not on Friday",
  });
  expect(fromCd({ type: "deployment-finished", deployment: d }, "o/r", base)).toMatchObject({
    type: "deployment.done",
    environment: "production",
    url: "http://ci/environments/production",
    deployment: { id: 4, approvedBy: ["bob"] },
  });
  expect(
    fromCd(
      { type: "deployment-finished", deployment: { ...d, kind: "rollback", rollbackOf: 2 } },
      "o/r",
      base,
    ),
  ).toMatchObject({
    type: "deployment.rolled_back",
    deployment: { rollbackOf: 2 },
  });
  // A deployment job that failed changed nothing; starts, incidents and queued rollbacks say nothing.
  expect(
    fromCd({ type: "deployment-finished", deployment: { ...d, status: "failed" } }, "o/r", base),
  ).toBeUndefined();
  expect(
    fromCd({ type: "deployment-started", deployment: { ...d, status: "in_progress" } }, "o/r", base),
  ).toBeUndefined();
  expect(
    fromCd({ type: "rollback-queued", environment: "production", to: 2, by: "bob", queued: 3 }, "o/r", base),
  ).toBeUndefined();
});
