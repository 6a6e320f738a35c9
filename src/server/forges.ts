// Gitea/Forgejo and GitLab webhooks, read as the GitHub event they stand for, so one path runs
// them all. Gitea and Forgejo send GitHub's shapes (their pull request's new commits are
// `synchronized`); GitLab's pushes and merge requests are mapped field by field.
import type { IncomingMessage } from "node:http";
import { sameSecret } from "./http.js";
import { validSignature } from "./signature.js";

export type Forge = "github" | "gitea" | "gitlab";

export interface Verified {
  ok: boolean;
  /** Why it was refused (the header named). */
  why?: string;
  event: string;
  delivery: string;
}

const h = (req: IncomingMessage, ...names: string[]) => {
  for (const n of names) {
    const v = req.headers[n];
    if (typeof v === "string" && v) return v;
  }
  return undefined;
};

/** Checks the request's signature or token as its forge makes it; its event and delivery id. */
export function verify(forge: Forge, req: IncomingMessage, body: Buffer, secret: string): Verified {
  if (forge === "gitea") {
    const sig = h(req, "x-forgejo-signature", "x-gitea-signature");
    return {
      ok: !!sig && validSignature(secret, body, `sha256=${sig}`),
      why: "bad or missing X-Gitea-Signature",
      event: h(req, "x-forgejo-event", "x-gitea-event") ?? "",
      delivery: h(req, "x-forgejo-delivery", "x-gitea-delivery") ?? "",
    };
  }
  if (forge === "gitlab") {
    const token = h(req, "x-gitlab-token");
    return {
      ok: !!token && sameSecret(token, secret),
      why: "bad or missing X-Gitlab-Token",
      event: h(req, "x-gitlab-event") ?? "",
      // A retried delivery keeps its Idempotency-Key (GitLab 17); older ones have the event UUID.
      delivery: h(req, "idempotency-key", "x-gitlab-event-uuid") ?? "",
    };
  }
  return {
    ok: validSignature(secret, body, h(req, "x-hub-signature-256")),
    why: "bad or missing X-Hub-Signature-256",
    event: h(req, "x-github-event") ?? "",
    delivery: h(req, "x-github-delivery") ?? "",
  };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});

/** The GitHub event and payload a forge's webhook stands for; undefined: not one that runs. */
export function asGitHub(forge: Forge, event: string, payload: unknown): { event: string; payload: unknown } {
  if (forge === "github") return { event, payload };
  const p = obj(payload);
  if (forge === "gitea") {
    if (event === "pull_request" && p.action === "synchronized")
      return { event, payload: { ...p, action: "synchronize" } };
    return { event, payload };
  }
  const project = obj(p.project);
  const repository = {
    full_name: project.path_with_namespace,
    clone_url: project.git_http_url,
    default_branch: project.default_branch,
  };
  if (event === "Push Hook" || event === "Tag Push Hook")
    return {
      event: "push",
      payload: {
        ref: p.ref,
        before: p.before,
        after: p.after,
        ...(typeof p.after === "string" && /^0+$/.test(p.after) ? { deleted: true } : {}),
        pusher: { name: p.user_username },
        head_commit: obj((p.commits as unknown[] | undefined)?.at(-1)),
        repository,
      },
    };
  if (event === "Merge Request Hook") {
    const mr = obj(p.object_attributes);
    const action =
      { open: "opened", update: "synchronize", reopen: "reopened" }[String(mr.action)] ?? String(mr.action);
    // An update that changed no commit (a title, a label) is not a new run.
    const pushed = mr.action !== "update" || typeof mr.oldrev === "string";
    const source = obj(mr.source);
    const target = obj(mr.target);
    return {
      event: "pull_request",
      payload: {
        action: pushed ? action : "edited",
        number: mr.iid,
        pull_request: {
          number: mr.iid,
          title: mr.title,
          head: {
            ref: mr.source_branch,
            sha: obj(mr.last_commit).id,
            repo: { full_name: source.path_with_namespace },
          },
          base: { ref: mr.target_branch, repo: { full_name: target.path_with_namespace } },
        },
        repository,
      },
    };
  }
  return {
    event: event
      .replace(/ Hook$/, "")
      .toLowerCase()
      .replace(/ /g, "_"),
    payload,
  };
}
