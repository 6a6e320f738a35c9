// Read side of the offline action store for lint, audit and pin (src/action-store/store.ts owns it):
//   <store>/<owner>/<repo>/<ref>/.slipway-action.json   { "commit": "<40-hex sha>", ... }
// <ref> is the tag, branch or SHA the action was added as.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { isSha } from "../action-store/ref.js";
import { readMeta } from "../action-store/store.js";

function commitIn(dir: string): string | undefined {
  const commit = readMeta(dir)?.commit;
  return commit && isSha(commit) ? commit.toLowerCase() : undefined;
}

/** The commit the store recorded for owner/repo@ref, if it has that entry. */
export function storeCommit(store: string, owner: string, repo: string, ref: string): string | undefined {
  if (ref.split("/").some((p) => p === ".." || p === ".")) return undefined;
  return commitIn(join(store, owner, repo, ref));
}

/** Refs (tags, branches) stored for owner/repo that point at `sha`. */
export function storeRefsFor(store: string, owner: string, repo: string, sha: string): string[] {
  const dir = join(store, owner, repo);
  if (!existsSync(dir)) return [];
  const want = sha.toLowerCase();
  return readdirSync(dir).filter((ref) => !isSha(ref) && commitIn(join(dir, ref)) === want);
}
