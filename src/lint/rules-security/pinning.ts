// Tags and branches can be moved to other code after review; only a full commit SHA is immutable.
// A SHA's `# v4.1.0` comment is what reviewers read, so it must name a tag at that commit.
import type { Scalar } from "yaml";
import { isSha } from "../../action-store/ref.js";
import { findInStore } from "../../action-store/store.js";
import { storeCommit, storeRefsFor } from "../pin-store.js";
import { str } from "../source.js";
import { type AuditContext, report, shows } from "./context.js";

/** GitHub's own actions: a tag there is a lesser risk than a third party's. */
const FIRST_PARTY = new Set(["actions", "github"]);
const VERSION_LIKE = /^v?\d+(\.\d+)*([-+.][\w.]+)?$/;

export interface RemoteUse {
  owner: string;
  repo: string;
  ref: string;
  /** File offset of the ref's first character. */
  refOffset: number;
}

export function remoteUse(ctx: AuditContext, node: Scalar): RemoteUse | undefined {
  const v = str(node);
  if (!v || !node.range || v.includes("${{")) return undefined;
  const u = v.trim();
  if (u.startsWith("./") || u.startsWith("../") || u.startsWith("docker://")) return undefined;
  const at = u.lastIndexOf("@");
  const parts = u.slice(0, Math.max(at, 0)).split("/");
  if (at <= 0 || parts.length < 2) return undefined;
  const raw = ctx.src.text.slice(node.range[0], node.range[1]);
  const rawAt = raw.lastIndexOf("@");
  return { owner: parts[0]!, repo: parts[1]!, ref: u.slice(at + 1), refOffset: node.range[0] + rawAt + 1 };
}

/** The version named by a comment after the value on the same line: `# v4.1.0`, `# tag=v4`. */
export function versionComment(text: string, end: number): { tag: string; offset: number } | undefined {
  const eol = text.indexOf("\n", end);
  const rest = text.slice(end, eol < 0 ? text.length : eol);
  const m = /^\s*#\s*(?:tag[=:]\s*)?(v?\d[\w.+-]*)/.exec(rest);
  return m ? { tag: m[1]!, offset: end + rest.indexOf(m[1]!) } : undefined;
}

export function usesNodes(ctx: AuditContext): Scalar[] {
  const out: Scalar[] = ctx.steps.flatMap((s) => (s.uses ? [s.uses] : []));
  for (const j of ctx.model?.jobs.values() ?? []) if (j.uses) out.push(j.uses);
  return out;
}

/** Actions whose refs are branches by design (each toolchain is a branch), not version tags. */
const BRANCH_REFS = new Set(["dtolnay/rust-toolchain"]);

function refKindOf(ctx: AuditContext, use: { owner: string; repo: string; ref: string }): string | undefined {
  if (!ctx.store) return undefined;
  const found = findInStore(ctx.store, use.owner, use.repo, use.ref);
  return found.ok ? found.meta?.refKind : undefined;
}

export function checkPinning(ctx: AuditContext): void {
  for (const node of usesNodes(ctx)) {
    const use = remoteUse(ctx, node);
    if (!use) continue;
    const name = `${use.owner}/${use.repo}`;
    const end = node.range![1];
    if (isSha(use.ref)) {
      checkComment(ctx, use, end);
      continue;
    }
    // What the ref really is when the store knows (dtolnay/rust-toolchain@1.87.0 is a branch);
    // else guessed from its shape.
    const known = refKindOf(ctx, use) ?? (BRANCH_REFS.has(name.toLowerCase()) ? "branch" : undefined);
    const branch = known ? known === "branch" : !VERSION_LIKE.test(use.ref);
    const firstParty = FIRST_PARTY.has(use.owner.toLowerCase());
    const what =
      known === "branch"
        ? `branch '${use.ref}'`
        : known === "tag"
          ? `tag '${use.ref}'`
          : branch
            ? `branch or moving ref '${use.ref}'`
            : `tag '${use.ref}'`;
    report(ctx, "unpinned-action", use.refOffset, `${name} is pinned to a ${what}, not a commit SHA`, {
      severity: firstParty && !branch ? "info" : "warning",
      end: use.refOffset + use.ref.length,
    });
  }
}

function checkComment(ctx: AuditContext, use: RemoteUse, end: number): void {
  const comment = versionComment(ctx.src.text, end);
  if (!comment) {
    if (!shows(ctx, "pin-comment-missing")) return;
    const eol = ctx.src.text.indexOf("\n", end);
    const other = /^\s*#\s*(.*?)\s*$/.exec(ctx.src.text.slice(end, eol < 0 ? undefined : eol));
    report(
      ctx,
      "pin-comment-missing",
      use.refOffset,
      other
        ? `${use.owner}/${use.repo} is pinned to a SHA whose comment ('# ${other[1]}') names no version`
        : `${use.owner}/${use.repo} is pinned to a SHA with no version comment: readers cannot tell which release it is`,
      // A comment such as '# stable' names the branch the SHA came from: a choice, maybe.
      { end: use.refOffset + use.ref.length, ...(other ? { confidence: "low" as const } : {}) },
    );
    return;
  }
  if (!ctx.store) return;
  const key = `${use.owner}/${use.repo}@${comment.tag}`;
  let stored = ctx.storeSeen.get(key);
  if (!ctx.storeSeen.has(key)) {
    stored = storeCommit(ctx.store, use.owner, use.repo, comment.tag);
    ctx.storeSeen.set(key, stored);
  }
  if (stored === use.ref.toLowerCase()) return;
  const actual = storeRefsFor(ctx.store, use.owner, use.repo, use.ref);
  if (!stored) {
    // The comment's tag is not in the store, but the SHA is, under other tags: the comment is
    // likely stale (medium: the store may predate a tag added to the same commit).
    if (actual.length === 0 || actual.some((t) => sameVersion(t, comment.tag))) return;
    report(
      ctx,
      "pin-comment-mismatch",
      comment.offset,
      `comment says ${comment.tag} but the action store has this SHA as ${actual.join(", ")}`,
      { end: comment.offset + comment.tag.length, confidence: "medium" },
    );
    return;
  }
  const real = actual.length ? `; the store has this SHA as ${actual.join(", ")}` : "";
  report(
    ctx,
    "pin-comment-mismatch",
    comment.offset,
    `comment says ${comment.tag} but the action store has ${use.owner}/${use.repo}@${comment.tag} at ${stored.slice(0, 12)}${real}`,
    { end: comment.offset + comment.tag.length },
  );
}

/** `v4` and `4.2.2` name the same version as `v4.2.2`'s prefix would: '# v4' on a v4.2.2 SHA is fine. */
function sameVersion(tag: string, comment: string): boolean {
  const t = tag.replace(/^v/, "");
  const c = comment.replace(/^v/, "");
  return t === c || t.startsWith(`${c}.`);
}
