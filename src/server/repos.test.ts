import { expect, test } from "vitest";
import { ServerConfigError } from "./config.js";
import { payloadRepository, readRepositories, repoName } from "./repos.js";

test("a repository's OWNER/NAME is the last two parts of its URL or path", () => {
  expect(repoName("https://github.com/acme/alpha.git")).toBe("acme/alpha");
  expect(repoName("git@github.com:acme/alpha.git")).toBe("acme/alpha");
  expect(repoName("/srv/git/acme/beta.git/")).toBe("acme/beta");
  expect(repoName("beta")).toBe("local/beta");
});

test("webhooks name their repository: GitHub and Gitea's full_name, GitLab's path_with_namespace", () => {
  expect(payloadRepository("github", "push", { repository: { full_name: "a/b" } })).toBe("a/b");
  expect(payloadRepository("gitea", "push", { repository: { full_name: "a/c" } })).toBe("a/c");
  expect(
    payloadRepository("gitlab", "Push Hook", {
      object_kind: "push",
      project: { path_with_namespace: "g/d" },
    }),
  ).toBe("g/d");
  expect(payloadRepository("github", "push", {})).toBeUndefined();
});

test("repositories: in slipway-server.yml: URLs, or {url, name}; anything else is an error with its place", () => {
  expect(readRepositories("s.yml", "port: 1\n")).toEqual([]);
  expect(
    readRepositories("s.yml", "repositories:\n  - /srv/a.git\n  - url: https://x/y/b.git\n    name: o/b\n"),
  ).toEqual([
    { source: "/srv/a.git", index: 0 },
    { source: "https://x/y/b.git", name: "o/b", index: 1 },
  ]);
  expect(() => readRepositories("s.yml", "repositories: /srv/a.git\n")).toThrow(
    new ServerConfigError("s.yml:1:15: repositories: expected a list of URLs or paths"),
  );
  expect(() => readRepositories("s.yml", "repositories:\n  - 3\n")).toThrow(
    /^s\.yml:2:5: repositories: expected/,
  );
  expect(() => readRepositories("s.yml", "repositories:\n  - url: /a\n    name: no-slash\n")).toThrow(
    /s\.yml:2:5: repositories: name must be OWNER\/NAME/,
  );
});

test("a repository's own webhook secret: given, or read from a variable; bad or unknown keys are errors at file:line:col", () => {
  const yml = (entry: string) => `repositories:\n  - url: /srv/a.git\n${entry}`;
  expect(readRepositories("s.yml", yml("    webhook-secret: s3\n"))).toEqual([
    { source: "/srv/a.git", index: 0, webhookSecret: "s3" },
  ]);
  expect(readRepositories("s.yml", yml("    webhook-secret-env: HOOK_A\n"), { HOOK_A: "from-env" })).toEqual([
    { source: "/srv/a.git", index: 0, webhookSecret: "from-env" },
  ]);
  expect(() => readRepositories("s.yml", yml("    webhook-secret-env: HOOK_A\n"), {})).toThrow(
    "s.yml:2:5: repositories: webhook-secret-env: the variable HOOK_A is not set",
  );
  expect(() =>
    readRepositories("s.yml", yml("    webhook-secret: a\n    webhook-secret-env: B\n"), { B: "b" }),
  ).toThrow("s.yml:2:5: repositories: give webhook-secret or webhook-secret-env, not both");
  expect(() => readRepositories("s.yml", yml("    webhook-secret: ''\n"))).toThrow(
    "s.yml:2:5: repositories: webhook-secret must be a non-empty string",
  );
  expect(() => readRepositories("s.yml", yml("    secret: x\n"))).toThrow(
    "s.yml:3:5: repositories: unknown key 'secret' (expected url, name, webhook-secret, webhook-secret-env, environments)",
  );
});
