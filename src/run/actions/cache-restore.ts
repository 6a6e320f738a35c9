import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * Restoring a cache while other jobs of the run restore the same one into the same folder
 * (every leg of a matrix restoring ~/.cargo/registry): tar extracting in place unlinks and
 * rewrites each file, so two extractions trip over each other ("Cannot open: File exists") and
 * a job already building sees files vanish. Instead the archive is extracted into a private
 * folder first, then each file is moved into place with rename(2), which replaces a file in
 * one step: a reader sees the old file or the new one, never none (a folder not there yet moves
 * whole). A file already there with the archived size and modification time is left alone.
 */

/** Archived absolute paths land under this folder of the scratch folder (relative ones as they are). */
export const ABS = "@abs@";

/** tar's arguments that extract into `scratch`, absolute members under ABS (symlink targets untouched). */
export function extractArgs(scratch: string): string[] {
  return ["-xf", "-", "-P", "-C", scratch, `--transform=s,^/,${ABS}/,S`];
}

export function scratchDir(root: string): string {
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, ".restore-"));
}

function replace(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EXDEV") {
      // Another file system: copied beside the target first, so the last step is still a rename.
      const near = `${to}.slipway-${process.pid}-${Math.random().toString(36).slice(2)}`;
      copyFileSync(from, near);
      renameSync(near, to);
    } else if (code === "EISDIR" || code === "ENOTDIR" || code === "ENOTEMPTY" || code === "EEXIST") {
      // A folder where the cache has a file (or the other way round): the cache wins, as with tar.
      rmSync(to, { recursive: true, force: true });
      replace(from, to);
    } else throw e;
  }
}

/** Moves what was extracted into `scratch` to where it belongs; `cwd` for relative members. */
export function placeExtracted(scratch: string, cwd: string): void {
  walk(scratch, resolve(cwd), true);
}

function walk(dir: string, dest: string, top = false): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, e.name);
    if (top && e.name === ABS) {
      walk(from, "/");
      continue;
    }
    const to = join(dest, e.name);
    if (e.isDirectory()) {
      let st: ReturnType<typeof lstatSync> | undefined;
      try {
        st = lstatSync(to);
      } catch {}
      if (!st) {
        // Not there yet: the whole folder in one rename (the first restore of a cache is most of them).
        try {
          mkdirSync(dest, { recursive: true });
          renameSync(from, to);
          continue;
        } catch {
          // Another restore made it meanwhile, or another file system: merged file by file below.
        }
      } else if (!st.isDirectory()) rmSync(to, { force: true });
      mkdirSync(to, { recursive: true });
      walk(from, to);
      continue;
    }
    if (e.isFile() && unchanged(from, to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    replace(from, to);
  }
}

/** The same size and modification time (to the second, as tar keeps it): the same file. */
function unchanged(from: string, to: string): boolean {
  try {
    const a = lstatSync(from);
    const b = lstatSync(to);
    return b.isFile() && a.size === b.size && Math.trunc(a.mtimeMs / 1000) === Math.trunc(b.mtimeMs / 1000);
  } catch {
    return false;
  }
}
