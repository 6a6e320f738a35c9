import { execFileSync } from "node:child_process";

/**
 * The lines commit range base..head added or changed, by file (new side of `git diff -U0`),
 * or undefined when git cannot say (no such commit: a shallow clone, a first push).
 * `fromMergeBase`: a pull request's lines, against where head left base (base...head), so
 * commits the base branch got since are not counted.
 */
export function changedLines(
  cwd: string,
  base: string,
  head: string,
  fromMergeBase = false,
): Map<string, Set<number>> | undefined {
  let diff: string;
  try {
    diff = execFileSync(
      "git",
      [
        "diff",
        "--no-color",
        "--no-ext-diff",
        "-U0",
        "--no-renames",
        ...(fromMergeBase ? [`${base}...${head}`] : [base, head]),
        "--",
      ],
      {
        cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        maxBuffer: 256 * 1024 * 1024,
      },
    );
  } catch {
    return undefined;
  }
  const out = new Map<string, Set<number>>();
  let file: Set<number> | undefined;
  for (const line of diff.split("\n")) {
    if (line.startsWith("+++ ")) {
      const path = line.slice(4);
      // A deleted file has no new side.
      file = path === "/dev/null" ? undefined : new Set();
      if (file) out.set(path.replace(/^b\//, ""), file);
      continue;
    }
    const hunk = /^@@ -\S+ \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && file) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      for (let n = start; n < start + count; n++) file.add(n);
    }
  }
  return out;
}
