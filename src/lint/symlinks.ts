// Symbolic-link loops under the folders lint reads: the glob library skips them quietly, but a
// loop in .github/ is a broken checkout the user should hear about (an error of the run, exit 2).
import { type Dirent, readdirSync, realpathSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** Depth past which a folder tree under .github/ is not walked (real trees are a few levels). */
const MAX_DEPTH = 32;

/** One message per link under `dir` that never resolves or leads back to a folder holding it. */
export function symlinkLoops(dir: string, root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    let here: string | undefined; // the folder's real path, asked for at its first link
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      if (!e.isSymbolicLink()) continue;
      const name = relative(root, p);
      let target: string;
      try {
        target = realpathSync(p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ELOOP")
          out.push(`${name}: symbolic link loop (the link never resolves); not followed`);
        continue; // a dangling link is not a loop, and there is nothing to read behind it
      }
      here ??= realpathSync(d);
      if (here === target || here.startsWith(target + sep))
        out.push(
          `${name}: symbolic link loop (it points back to ${relative(root, target) || "."}); not followed`,
        );
    }
  };
  walk(dir, 0);
  return out.sort();
}
