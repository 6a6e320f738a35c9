import { changedPaths, type GitFacts, mergeBase, mergeCommit, resolveCommit } from "./git.js";

/** A pull request of `head` into `base`, as far as the local repository can tell. */
export interface PullRequest {
  number: number;
  baseRef: string;
  baseSha: string;
  headRef: string;
  headSha: string;
  /**
   * The merge of head into base that `pull_request` runs on; the head itself when there
   * is nothing to merge (base unknown or equal to head); undefined when it conflicts.
   */
  mergeSha?: string;
  /** Files the pull request changes (from the merge base to the head), for paths filters. */
  changedPaths?: string[];
}

export type PullRequestResult = { ok: true; pr: PullRequest } | { ok: false; error: string };

/**
 * Builds the pull request's merge commit without touching refs, index or working tree.
 * A conflict is an error for `pull_request` (GitHub cannot run it) but not for
 * `pull_request_target`, which runs on the base whether or not the merge is clean.
 */
export function pullRequestOf(
  git: GitFacts,
  o: { base?: string; headRef: string; headSha: string; number: number; target: boolean },
): PullRequestResult {
  const baseRef = (o.base ?? git.defaultBranch).replace(/^refs\/(heads|remotes\/origin)\//, "");
  const baseSha =
    resolveCommit(git.root, o.base ?? baseRef) ??
    resolveCommit(git.root, `refs/remotes/origin/${baseRef}`) ??
    o.headSha;
  const mb = mergeBase(git.root, baseSha, o.headSha);
  const pr: PullRequest = {
    number: o.number,
    baseRef,
    baseSha,
    headRef: o.headRef,
    headSha: o.headSha,
    mergeSha: o.headSha,
    changedPaths: changedPaths(git.root, mb ?? baseSha, o.headSha),
  };
  if (baseSha === o.headSha) return { ok: true, pr };
  const m = mergeCommit(git.root, baseSha, o.headSha);
  if (m.ok) return { ok: true, pr: { ...pr, mergeSha: m.sha } };
  if (o.target) return { ok: true, pr: { ...pr, mergeSha: undefined } };
  const what = `${o.headRef} (${o.headSha.slice(0, 7)}) into ${baseRef} (${baseSha.slice(0, 7)})`;
  if (m.conflicts)
    return {
      ok: false,
      error: `pull_request: ${what} does not merge cleanly; conflicting files: ${m.conflicts.join(", ")}. GitHub runs pull_request workflows on the merge, so resolve the conflicts first (merge or rebase ${baseRef} into ${o.headRef}), or choose another base with --base`,
    };
  return { ok: false, error: `pull_request: cannot merge ${what}: ${m.error}` };
}
