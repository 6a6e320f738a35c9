import { describe, expect, test } from "vitest";
import { sign, validSignature } from "./signature.js";
import { webhookRun } from "./webhook.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

describe("webhookRun", () => {
  test("a branch or tag push runs at its commit, pusher as actor, before as base", () => {
    expect(
      webhookRun("push", { ref: "refs/tags/v1.2", before: A, after: B, pusher: { name: "bob" } }, "d"),
    ).toEqual({
      kind: "run",
      request: {
        event: "push",
        ref: "refs/tags/v1.2",
        base: A,
        actor: "bob",
        sha: B,
        delivery: "d",
        payload: { ref: "refs/tags/v1.2", before: A, after: B, pusher: { name: "bob" } },
      },
    });
  });

  test("a deleted ref, a ping and other events run nothing", () => {
    expect(webhookRun("push", { ref: "refs/heads/x", after: "0".repeat(40), deleted: true }, "d").kind).toBe(
      "ignore",
    );
    expect(webhookRun("ping", {}, "d").kind).toBe("ignore");
    expect(webhookRun("issues", { action: "opened" }, "d").kind).toBe("ignore");
    expect(webhookRun("pull_request", { action: "closed" }, "d").kind).toBe("ignore");
  });

  test("refs and commit ids that could be read as options are refused", () => {
    expect(webhookRun("push", { ref: "refs/heads/-x", after: B }, "d").kind).toBe("bad");
    expect(webhookRun("push", { ref: "refs/heads/main", after: "--output=x" }, "d").kind).toBe("bad");
    expect(webhookRun("push", [], "d").kind).toBe("bad");
    const pr = {
      action: "opened",
      pull_request: { head: { ref: "--upload-pack=x", sha: B }, base: { ref: "main" } },
    };
    expect(webhookRun("pull_request", pr, "d").kind).toBe("bad");
  });
});

test("signatures: the right HMAC passes, anything else fails", () => {
  const body = Buffer.from('{"a":1}');
  expect(validSignature("s", body, sign("s", body))).toBe(true);
  expect(validSignature("s", body, sign("t", body))).toBe(false);
  expect(validSignature("s", body, undefined)).toBe(false);
  expect(validSignature("s", body, "sha256=abcd")).toBe(false);
  expect(validSignature("s", body, sign("s", body).replace("sha256=", "sha1="))).toBe(false);
});
