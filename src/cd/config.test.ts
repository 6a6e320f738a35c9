import { expect, test } from "vitest";
import { durationMs, forRepository, parseCdConfig, reviewersOf, sha256 } from "./config.js";
import { Users } from "./users.js";

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseCdConfig(text, "slipway-server.yml", env);
const error = (text: string) => {
  try {
    parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
};

test("users, groups and an environment's rules, with GitHub's defaults", () => {
  const c = parse(
    `port: 8080
users:
  Ann: { role: admin, token-sha256: ${sha256("ann-t")} }
  bo: { token-env: BO_TOKEN, emails: [Bo@Example.com] }
groups:
  ops: [ann, bo]
protected-branches: [main]
environments:
  Production:
    reviewers: [ops]
    required-approvals: 2
    wait-timer: 15
    deployment-branches: main
    protected-branches-only: true
  staging:
`,
    { BO_TOKEN: "bo-t" },
  );
  const prod = c.environments.get("production")!;
  expect(prod).toMatchObject({
    name: "Production",
    requiredApprovals: 2,
    waitTimerMs: 15 * 60_000,
    branches: ["main"],
    protectedBranchesOnly: true,
    adminBypass: true,
    preventSelfReview: false,
    autoRollback: false,
  });
  expect(reviewersOf(c, prod)).toEqual(["ann", "bo"]);
  expect(c.environments.get("staging")).toMatchObject({
    reviewers: [],
    requiredApprovals: 0,
    waitTimerMs: 0,
  });
  expect(c.users.get("bo")!.emails).toEqual(["bo@example.com"]);
  const users = new Users(c, { admin: "legacy-admin", read: "legacy-read" });
  expect(users.userForToken("ann-t")).toEqual({ name: "Ann", role: "admin" });
  expect(users.userForToken("bo-t")).toEqual({ name: "bo", role: "reviewer" });
  expect(users.userForToken("legacy-admin")).toEqual({ name: "admin", role: "admin" });
  expect(users.userForToken("legacy-read")).toEqual({ name: "read-only", role: "read" });
  expect(users.userForToken("nope")).toBeUndefined();
  expect(users.userForToken("")).toBeUndefined();
});

test("durations: minutes as GitHub counts them, or with a unit", () => {
  expect(durationMs(5)).toBe(300_000);
  expect(durationMs("90s")).toBe(90_000);
  expect(durationMs("2h")).toBe(7_200_000);
  expect(durationMs("30d")).toBe(30 * 86_400_000);
  expect(durationMs("soon")).toBeUndefined();
});

test("mistakes are said at file:line:col", () => {
  expect(error("users:\n  ann: { role: boss }\n")).toBe(
    "slipway-server.yml:2:16: users.ann.role: expected admin, reviewer or read",
  );
  expect(error("environments:\n  prod:\n    reviewers: [ghost]\n")).toBe(
    "slipway-server.yml:3:17: environments.prod.reviewers: no user or group 'ghost'",
  );
  expect(
    error(
      "users:\n  a: {}\n  b: {}\nenvironments:\n  prod:\n    reviewers: [a, b]\n    required-approvals: 3\n",
    ),
  ).toBe("slipway-server.yml:7:25: environments.prod.required-approvals: 3 of 2 reviewers can never be met");
  expect(error("environments:\n  prod:\n    wait-timer: 43201\n")).toMatch(
    /^slipway-server\.yml:3:17: environments\.prod\.wait-timer: expected minutes from 1 to 43200/,
  );
  expect(error("environments:\n  prod:\n    reviewers: [a, b, c, d, e, f, g]\n")).toMatch(
    /^slipway-server\.yml:3:16: .*at most 6 users or groups/,
  );
  expect(error("environments:\n  prod:\n    aproval: 1\n")).toMatch(
    /^slipway-server\.yml:3:5: environments\.prod: unknown key 'aproval'/,
  );
  expect(error("users:\n  r: { role: read }\nenvironments:\n  prod:\n    reviewers: [r]\n")).toBe(
    "slipway-server.yml:5:17: environments.prod.reviewers: r has the role read (reviewer or admin may review)",
  );
  expect(error("users:\n  a: {}\ngroups:\n  a: [a]\n")).toBe(
    "slipway-server.yml:4:3: groups: 'a' is also a user's name",
  );
  expect(error("environments:\n  prod: {}\n  PROD: {}\n")).toMatch(/^slipway-server\.yml:3:3: .*given twice/);
});

test("a repository's own environments replace the server's for it; mistakes in them are said at file:line:col", () => {
  const text = `users:
  rita: { role: reviewer }
environments:
  staging: {}
repositories:
  - /srv/a.git
  - url: /srv/b.git
    environments:
      staging:
        reviewers: [rita]
`;
  const c = parseCdConfig(text, "s.yml", {});
  expect(c.environments.get("staging")?.reviewers).toEqual([]);
  expect(c.repositoryEnvironments?.[0]).toBeUndefined();
  expect(c.repositoryEnvironments?.[1]?.get("staging")?.reviewers).toEqual(["rita"]);
  expect(forRepository(c, 1).environments.get("staging")?.requiredApprovals).toBe(1);
  expect(forRepository(c, 0)).toBe(c);
  expect(forRepository(c, undefined)).toBe(c);
  expect(() => parseCdConfig(text.replace("reviewers: [rita]", "reviewers: [nobody]"), "s.yml", {})).toThrow(
    "s.yml:10:21: repositories[1].environments.staging.reviewers: no user or group 'nobody'",
  );
});
