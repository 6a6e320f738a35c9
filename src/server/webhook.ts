import type { RunRequest } from "./queue.js";

/** What a GitHub webhook asks for: a run, nothing (with why), or a bad request. */
export type WebhookAction =
  | { kind: "run"; request: RunRequest }
  | { kind: "ignore"; reason: string }
  | { kind: "bad"; reason: string };

const ZERO = /^0{40}$/;
/** A commit id as GitHub sends it (SHA-1, or SHA-256 repositories): nothing else reaches git. */
const SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
/** A branch name that cannot be read as an option by git or the CLI. */
const BRANCH = /^[\w.][\w./-]*$/;
const PR_ACTIONS = new Set(["opened", "synchronize", "reopened"]);

/** `X-GitHub-Event` and its JSON payload → the run it triggers. */
export function webhookRun(event: string, payload: unknown, delivery: string): WebhookAction {
  if (event === "ping") return { kind: "ignore", reason: "pong" };
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    return { kind: "bad", reason: "the payload is not a JSON object" };
  const p = payload as Record<string, unknown>;
  if (event === "push") {
    const ref = p.ref;
    if (typeof ref !== "string" || !/^refs\/(heads|tags)\/[\w.][\w./-]*$/.test(ref))
      return { kind: "bad", reason: "push: 'ref' must be refs/heads/... or refs/tags/..." };
    if (p.deleted === true || (typeof p.after === "string" && ZERO.test(p.after)))
      return { kind: "ignore", reason: `push: ${ref} was deleted` };
    if (typeof p.after !== "string" || !SHA.test(p.after))
      return { kind: "bad", reason: "push: 'after' must be a commit id" };
    const before =
      typeof p.before === "string" && SHA.test(p.before) && !ZERO.test(p.before) ? p.before : undefined;
    const pusher = (p.pusher as { name?: unknown } | undefined)?.name;
    return {
      kind: "run",
      request: {
        event: "push",
        ref,
        payload: p,
        ...(before ? { base: before } : {}),
        ...(typeof pusher === "string" && /^[^\s\p{C}]+$/u.test(pusher) ? { actor: pusher } : {}),
        sha: p.after,
        delivery,
      },
    };
  }
  if (event === "pull_request") {
    const action = p.action;
    if (typeof action !== "string" || !PR_ACTIONS.has(action))
      return { kind: "ignore", reason: `pull_request: action '${String(action)}' does not run` };
    const pr = p.pull_request as
      | {
          number?: unknown;
          head?: { ref?: unknown; sha?: unknown; repo?: { full_name?: unknown } | null };
          base?: { ref?: unknown; repo?: { full_name?: unknown } | null };
        }
      | undefined;
    const head = pr?.head?.ref;
    const sha = pr?.head?.sha;
    const base = pr?.base?.ref;
    if (typeof head !== "string" || typeof base !== "string" || !BRANCH.test(head) || !BRANCH.test(base))
      return { kind: "bad", reason: "pull_request: pull_request.head.ref and base.ref must be branch names" };
    // From a fork (another repository, or one GitHub no longer shows: head.repo null): its
    // code is not trusted with secrets, and its branch is not one of this repository's.
    const headRepo = pr?.head?.repo?.full_name;
    const baseRepo = pr?.base?.repo?.full_name;
    const fork =
      pr?.head?.repo === null ||
      (typeof headRepo === "string" && typeof baseRepo === "string" && headRepo !== baseRepo);
    const number = typeof pr?.number === "number" && Number.isInteger(pr.number) ? pr.number : undefined;
    const good = typeof sha === "string" && SHA.test(sha) ? sha : undefined;
    if (fork && (!good || number === undefined))
      return { kind: "bad", reason: "pull_request from a fork: pull_request.number and head.sha are needed" };
    return {
      kind: "run",
      request: {
        event: "pull_request",
        ref: fork ? `refs/slipway/pull/${number}/head` : `refs/heads/${head}`,
        base,
        payload: p,
        delivery,
        ...(good ? { sha: good } : {}),
        ...(fork ? { untrusted: true } : {}),
      },
    };
  }
  return { kind: "ignore", reason: `event '${event}' does not run` };
}
