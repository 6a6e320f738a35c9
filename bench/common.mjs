// Pieces the bench scripts share: generated workflows and repositories, timing, medians.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** `stages` stages of `width` jobs, each needing every job of the stage before. */
export function dagWorkflow(stages, width) {
  const lines = ["name: dag", "on: push", "jobs:"];
  for (let s = 0; s < stages; s++)
    for (let j = 0; j < width; j++) {
      lines.push(`  s${s}j${j}:`, "    runs-on: ubuntu-latest");
      if (s > 0)
        lines.push(`    needs: [${Array.from({ length: width }, (_, k) => `s${s - 1}j${k}`).join(", ")}]`);
      lines.push("    steps:", `      - run: echo stage ${s} job ${j}`);
    }
  return `${lines.join("\n")}\n`;
}

/** A throw-away git repository of `files` (path → text), with one commit. */
export function repo(files) {
  const dir = mkdtempSync(join(tmpdir(), "slipway-bench-"));
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  const git = (...a) => execFileSync("git", a, { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.name=b", "-c", "user.email=b@b", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "b");
  return dir;
}

export function time(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
