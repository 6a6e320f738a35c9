// Read side of the offline action store shared with `slipway run` (src/run/actions/store.ts):
//   <store>/<owner>/<repo>/<ref>/.slipway-action.json   { "commit": "<40-hex sha>", ... }
// <ref> is the tag, branch or SHA the action was added as. Default store: $SLIPWAY_ACTION_STORE,
// else $XDG_CACHE_HOME/slipway/actions, else ~/.cache/slipway/actions.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const STORE_META = ".slipway-action.json";
export const isFullSha = (ref: string) => /^[0-9a-f]{40}$/i.test(ref);

export function defaultActionStore(): string {
  if (process.env.SLIPWAY_ACTION_STORE) return resolve(process.env.SLIPWAY_ACTION_STORE);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "slipway", "actions");
}

function commitIn(dir: string): string | undefined {
  const file = join(dir, STORE_META);
  // Most actions are not in the store: a failed read throws, which costs more than asking first.
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, "utf8")) as { commit?: unknown };
    return typeof m.commit === "string" && isFullSha(m.commit) ? m.commit.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
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
  return readdirSync(dir).filter((ref) => !isFullSha(ref) && commitIn(join(dir, ref)) === want);
}
