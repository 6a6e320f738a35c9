import { expect, test } from "vitest";
import { parseCdConfig } from "./config.js";
import { matches, refRefused, selfReview, standing } from "./policy.js";

const config = parseCdConfig(
  `protected-branches: [main, "release/*"]
environments:
  prod:
    deployment-branches: ["release/*", "hotfix/**"]
    deployment-tags: ["v*"]
  protected:
    protected-branches-only: true
  open: {}
  timed:
    wait-timer: 10
`,
  "f.yml",
);
const rule = (n: string) => config.environments.get(n);

test("name patterns: * does not cross /, ** does", () => {
  expect(matches(["release/*"], "release/1.2")).toBe(true);
  expect(matches(["release/*"], "release/1.2/fix")).toBe(false);
  expect(matches(["hotfix/**"], "hotfix/a/b")).toBe(true);
  expect(matches(["*"], "feature/x")).toBe(false);
});

test("branch and tag policies", () => {
  expect(refRefused(config, rule("prod"), "refs/heads/release/2")).toBeUndefined();
  expect(refRefused(config, rule("prod"), "refs/tags/v1.0.0")).toBeUndefined();
  expect(refRefused(config, rule("prod"), "refs/heads/main")).toBe(
    'Branch "main" is not allowed to deploy to prod due to environment protection rules.',
  );
  expect(refRefused(config, rule("prod"), "refs/tags/nightly")).toContain('Tag "nightly" is not allowed');
  expect(refRefused(config, rule("prod"), "refs/pull/3/merge")).toContain('Ref "refs/pull/3/merge"');
  expect(refRefused(config, rule("protected"), "refs/heads/release/9")).toBeUndefined();
  expect(refRefused(config, rule("protected"), "refs/heads/dev")).toContain('Branch "dev"');
  expect(refRefused(config, rule("protected"), "refs/tags/v1")).toContain('Tag "v1"');
  expect(refRefused(config, rule("open"), "refs/heads/anything")).toBeUndefined();
  expect(refRefused(config, undefined, "refs/heads/anything")).toBeUndefined();
});

test("standing: a configured environment without reviewers goes at once; a wait timer holds; no rule needs one admin", () => {
  const base = { reviews: [], requestedAt: 0, timeoutMs: 1e12, holders: [] };
  expect(standing({ ...base, rule: rule("open"), now: 0 }).decision).toEqual({
    approved: true,
    by: "the environment's rules",
  });
  expect(standing({ ...base, rule: rule("timed"), now: 599_999 })).toMatchObject({
    waiting: "wait timer",
    waitUntil: 600_000,
  });
  expect(standing({ ...base, rule: rule("timed"), now: 600_000 }).decision).toEqual({
    approved: true,
    by: "the wait timer",
  });
  expect(standing({ ...base, rule: undefined, now: 0 })).toMatchObject({ waiting: "approval", required: 1 });
  expect(standing({ ...base, rule: rule("open"), now: 0, holders: [4] })).toMatchObject({
    waiting: "earlier deployment",
  });
});

test("self-review: the actor, and the author of a deployed commit by email or name", () => {
  const authors = [{ name: "Dee", email: "dee@example.com" }];
  expect(selfReview({ name: "pat", emails: [] }, "Pat", authors)).toContain("pat triggered this run");
  expect(selfReview({ name: "dd", emails: ["dee@example.com"] }, "bot[bot]", authors)).toContain(
    "dd wrote a commit of this deployment",
  );
  expect(selfReview({ name: "dee", emails: [] }, "bot[bot]", authors)).toContain("dee wrote a commit");
  expect(selfReview({ name: "sam", emails: ["sam@example.com"] }, "bot[bot]", authors)).toBeUndefined();
});
