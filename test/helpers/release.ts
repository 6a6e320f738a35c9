// Throw-away git repositories for the release tests: real git, real commits and tags.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tempRepo } from "./cli.js";

export const RELEASE_FIXTURES = join(import.meta.dirname, "../fixtures/release");

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" },
  });
}

/** A repository holding the fixture (or files), its first commit tagged `tag` when given. */
export function fixtureRepo(
  fixture: string | undefined,
  opts: { tag?: string; origin?: string; files?: Record<string, string> } = {},
): string {
  const dir = tempRepo(fixture && join(RELEASE_FIXTURES, fixture), opts.files ?? {}, opts.origin);
  if (opts.tag) git(dir, "tag", "-a", opts.tag, "-m", opts.tag);
  return dir;
}

/** A commit changing `file` (appending a line) with `message`. */
export function change(dir: string, file: string, message: string): void {
  const path = join(dir, file);
  mkdirSync(dirname(path), { recursive: true });
  let old = "";
  try {
    old = readFileSync(path, "utf8");
  } catch {}
  writeFileSync(path, `${old}// ${message.split("\n")[0]}\n`);
  git(dir, "add", file);
  git(dir, "commit", "-q", "-m", message);
}

export function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), "utf8");
}

/** Every file of the work tree and of .git's refs and HEAD, with its content: equal means untouched. */
export function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(dir, d), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = d ? `${d}/${e.name}` : e.name;
      if (p === ".git") continue;
      if (e.isDirectory()) walk(p);
      else out.push(`${p}\n${readFileSync(join(dir, p), "utf8")}`);
    }
  };
  walk("");
  out.push(git(dir, "for-each-ref", "--format=%(refname) %(objectname)"), git(dir, "rev-parse", "HEAD"));
  out.push(git(dir, "status", "--porcelain=v1", "--ignored", "--untracked-files=all"));
  return out.join("\n--\n");
}

/** Lines that differ between two texts of the same length in lines, as [line number, after]. */
export function changedLines(before: string, after: string): [number, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length !== b.length) throw new Error(`line count changed: ${a.length} → ${b.length}`);
  return b.flatMap((l, i) => (l === a[i] ? [] : [[i + 1, l] as [number, string]]));
}
