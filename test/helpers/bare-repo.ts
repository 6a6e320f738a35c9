// A bare repository (what a forge or a git server holds) with one commit pushed from a clone
// (`dev`) carrying `.github/workflows/ci.yml`, for the tests of `slipway serve --repo`.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** git in `cwd` as a fixed author, never signing. */
export const git = (cwd: string, ...a: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", ...a], {
    cwd,
    encoding: "utf8",
  }).trim();

/** `top`/origin.git and its clone `top`/dev; the commit pushed to `refs` (default main). */
export function bareRepo(top: string, workflow: string, refs = ["HEAD:main"]) {
  const bare = join(top, "origin.git");
  const dev = join(top, "dev");
  git(top, "init", "-q", "--bare", "-b", "main", bare);
  git(top, "clone", "-q", bare, dev);
  mkdirSync(join(dev, ".github/workflows"), { recursive: true });
  writeFileSync(join(dev, ".github/workflows/ci.yml"), workflow);
  git(dev, "add", "-A");
  git(dev, "commit", "-qm", "one");
  git(dev, "push", "-q", "origin", ...refs);
  return { bare, dev, git, head: git(dev, "rev-parse", "HEAD") };
}
