// Compares the generated files with the repository's and writes them: new files always, changed
// ones only when asked (--yes), identical ones never. Each change comes with a unified diff.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { unifiedDiff } from "../release/diff.js";
import { writeAtomic } from "../release/span.js";
import type { OutFile } from "./steps.js";

export type Status = "new" | "same" | "changed";

export interface Planned extends OutFile {
  status: Status;
  /** Unified diff against the file on disk (changed files only). */
  diff?: string;
}

export function plan(root: string, files: OutFile[]): Planned[] {
  return files.map((f) => {
    const abs = join(root, f.path);
    if (!existsSync(abs)) return { ...f, status: "new" };
    const before = readFileSync(abs, "utf8");
    if (before === f.text) return { ...f, status: "same" };
    return { ...f, status: "changed", diff: unifiedDiff(f.path, before, f.text) };
  });
}

/** Writes new files, and changed ones when `overwrite`; returns the paths written. */
export function write(root: string, planned: Planned[], overwrite: boolean): string[] {
  const written: string[] = [];
  for (const f of planned) {
    if (f.status === "same" || (f.status === "changed" && !overwrite)) continue;
    const abs = join(root, f.path);
    mkdirSync(dirname(abs), { recursive: true });
    if (f.status === "changed") writeAtomic(abs, f.text);
    else writeFileSync(abs, f.text);
    written.push(f.path);
  }
  return written;
}
