import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { expect, test } from "vitest";
import { asGitHub, verify } from "./forges.js";
import { webhookRun } from "./webhook.js";

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const body = Buffer.from('{"ref":"refs/heads/main"}');
const hex = (secret: string) => createHmac("sha256", secret).update(body).digest("hex");
const SHA = "a".repeat(40);

test("each forge's signature or token, event and delivery", () => {
  expect(
    verify(
      "gitea",
      req({ "x-gitea-signature": hex("s"), "x-gitea-event": "push", "x-gitea-delivery": "d1" }),
      body,
      "s",
    ),
  ).toMatchObject({ ok: true, event: "push", delivery: "d1" });
  expect(
    verify("gitea", req({ "x-forgejo-signature": hex("s"), "x-forgejo-event": "push" }), body, "s").ok,
  ).toBe(true);
  expect(verify("gitea", req({ "x-gitea-signature": hex("other") }), body, "s")).toMatchObject({
    ok: false,
    why: "bad or missing X-Gitea-Signature",
  });
  expect(
    verify(
      "gitlab",
      req({
        "x-gitlab-token": "s",
        "x-gitlab-event": "Push Hook",
        "idempotency-key": "k1",
        "x-gitlab-event-uuid": "u1",
      }),
      body,
      "s",
    ),
  ).toMatchObject({ ok: true, event: "Push Hook", delivery: "k1" });
  expect(verify("gitlab", req({ "x-gitlab-token": "t" }), body, "s").ok).toBe(false);
  expect(
    verify(
      "github",
      req({ "x-hub-signature-256": `sha256=${hex("s")}`, "x-github-event": "push" }),
      body,
      "s",
    ).ok,
  ).toBe(true);
});

test("GitLab pushes and merge requests, and Gitea's synchronized, run as GitHub's events", () => {
  const project = {
    path_with_namespace: "grp/app",
    git_http_url: "https://gl/grp/app.git",
    default_branch: "main",
  };
  const push = asGitHub("gitlab", "Push Hook", {
    ref: "refs/heads/main",
    before: "0".repeat(40),
    after: SHA,
    user_username: "ann",
    project,
  });
  expect(webhookRun(push.event, push.payload, "d")).toMatchObject({
    kind: "run",
    request: { event: "push", ref: "refs/heads/main", sha: SHA, actor: "ann" },
  });
  const deleted = asGitHub("gitlab", "Push Hook", {
    ref: "refs/heads/old",
    before: SHA,
    after: "0".repeat(40),
    project,
  });
  expect(webhookRun(deleted.event, deleted.payload, "d").kind).toBe("ignore");
  const mr = (action: string, extra: object = {}, source = project) =>
    asGitHub("gitlab", "Merge Request Hook", {
      project,
      object_attributes: {
        action,
        iid: 4,
        source_branch: "feat",
        target_branch: "main",
        last_commit: { id: SHA },
        source,
        target: project,
        ...extra,
      },
    });
  expect(webhookRun(mr("open").event, mr("open").payload, "d")).toMatchObject({
    kind: "run",
    request: { event: "pull_request", ref: "refs/heads/feat", base: "main", sha: SHA },
  });
  // An update with new commits runs; one that only edits the title does not.
  expect(webhookRun("pull_request", mr("update", { oldrev: "b".repeat(40) }).payload, "d").kind).toBe("run");
  expect(webhookRun("pull_request", mr("update").payload, "d")).toMatchObject({ kind: "ignore" });
  // From a fork: no secrets, the sandbox only.
  const fork = mr("open", {}, { ...project, path_with_namespace: "mallory/app" });
  expect(webhookRun(fork.event, fork.payload, "d")).toMatchObject({
    kind: "run",
    request: { untrusted: true, ref: "refs/slipway/pull/4/head" },
  });
  const gitea = asGitHub("gitea", "pull_request", { action: "synchronized" });
  expect((gitea.payload as { action: string }).action).toBe("synchronize");
});
