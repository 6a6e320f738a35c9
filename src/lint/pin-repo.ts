// `slipway pin` over a repository: every workflow and local action (or the given paths).
import { readFileSync } from "node:fs";
import { basename, relative, resolve } from "node:path";
import { discover } from "./index.js";
import { type PinOutcome, pinText, scanUses, type UseSite, writeAtomic } from "./pin.js";
import { Resolver, type ResolverOptions } from "./pin-resolve.js";

export interface PinRepoResult {
  outcomes: PinOutcome[];
  missing: string[];
  /** Symbolic-link loops under the folders read: nothing is rewritten when there is one. */
  loops: string[];
  files: number;
}

/** Unpinned uses without resolving or writing anything (`slipway pin --check`). */
export async function checkPins(
  root: string,
  paths?: string[],
): Promise<PinRepoResult & { unpinned: [string, UseSite][] }> {
  root = resolve(root);
  const { files, missing, loops } = await discover(root, paths);
  const outcomes: PinOutcome[] = [];
  const unpinned: [string, UseSite][] = [];
  for (const path of files) {
    const file = relative(root, path) || basename(path);
    const outcome: PinOutcome = { file, pinned: [], failed: [], alreadyPinned: 0 };
    outcomes.push(outcome);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      outcome.error = { line: 1, col: 1, message: (e as Error).message };
      continue;
    }
    const scan = scanUses(text);
    if (!scan.ok) {
      outcome.error = { line: scan.line, col: scan.col, message: `cannot parse: ${scan.error}` };
      continue;
    }
    outcome.alreadyPinned = scan.sites.length - scan.unpinned.length;
    for (const s of scan.unpinned) unpinned.push([file, s]);
  }
  return { outcomes, missing, loops, files: files.length, unpinned };
}

export async function pinRepo(
  root: string,
  paths: string[] | undefined,
  opts: ResolverOptions,
): Promise<PinRepoResult> {
  root = resolve(root);
  const { files, missing, loops } = await discover(root, paths);
  if (loops.length) return { outcomes: [], missing, loops, files: files.length };
  const resolver = new Resolver(opts);
  const outcomes: PinOutcome[] = [];
  for (const path of files) {
    const file = relative(root, path) || basename(path);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      outcomes.push({
        file,
        error: { line: 1, col: 1, message: (e as Error).message },
        pinned: [],
        failed: [],
        alreadyPinned: 0,
      });
      continue;
    }
    const { outcome, text: after } = await pinText(text, file, (o, r, ref) => resolver.resolve(o, r, ref));
    if (after !== undefined) {
      try {
        writeAtomic(path, after);
      } catch (e) {
        outcome.error = { line: 1, col: 1, message: `cannot write: ${(e as Error).message}` };
        outcome.pinned = [];
      }
    }
    outcomes.push(outcome);
  }
  return { outcomes, missing, loops, files: files.length };
}
