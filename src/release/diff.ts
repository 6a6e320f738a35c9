// Unified diffs for the dry run, made by git itself (`git diff --no-index`) on copies in a
// temporary folder, labelled a/<file> and b/<file> as in the repository.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export function unifiedDiff(file: string, before: string | undefined, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-diff-"));
  try {
    const a = join(dir, "a", file);
    const b = join(dir, "b", file);
    mkdirSync(dirname(b), { recursive: true });
    writeFileSync(b, after);
    if (before !== undefined) {
      mkdirSync(dirname(a), { recursive: true });
      writeFileSync(a, before);
    }
    const r = spawnSync(
      "git",
      [
        "-c",
        "core.quotepath=off",
        "diff",
        "--no-index",
        "--no-color",
        "--no-prefix",
        "--",
        before === undefined ? "/dev/null" : `a/${file}`,
        `b/${file}`,
      ],
      { cwd: dir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
    );
    // Only the hunks: the header lines name the temporary copies' mode and index.
    const out = r.stdout.split("\n");
    const first = out.findIndex((l) => l.startsWith("@@"));
    const from = before === undefined ? "/dev/null" : `a/${file}`;
    return (
      [`--- ${from}`, `+++ b/${file}`, ...(first < 0 ? [] : out.slice(first))].join("\n").trimEnd() + "\n"
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
