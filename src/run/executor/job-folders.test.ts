import { execFile, execFileSync } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { discardLater, JobFolders, type RunCommand, staleKept } from "./job-folders.js";

const run: RunCommand = (argv, cwd, env) =>
  new Promise((resolve) =>
    execFile(argv[0]!, argv.slice(1), { cwd, env }, (e, stdout, stderr) =>
      resolve({ code: e ? 1 : 0, stdout, stderr }),
    ),
  );

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "slipway-folders-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function repo(): { root: string; sha: string } {
  const root = tmp();
  const files: Record<string, string> = {
    "README.md": "hello\n",
    ".gitignore": "*.log\nbuild/\n",
    "src/a.ts": "export const a = 1;\n",
    "src/deep/b.ts": "export const b = 2;\n",
    "bin/run.sh": "#!/bin/sh\necho hi\n",
  };
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), t);
  }
  chmodSync(join(root, "bin/run.sh"), 0o755);
  symlinkSync("src/a.ts", join(root, "link"));
  const git = (...a: string[]) => execFileSync("git", a, { cwd: root, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "c");
  return { root, sha: git("rev-parse", "HEAD") };
}

/** Every path under dir with its type, mode and content (or link target). */
function tree(dir: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const p = join(rel, name);
    const st = lstatSync(join(dir, p));
    if (st.isSymbolicLink()) out[p] = `link ${readlinkSync(join(dir, p))}`;
    else if (st.isDirectory()) Object.assign(out, { [p]: "dir" }, tree(dir, p));
    else out[p] = `file ${(st.mode & 0o111) !== 0} ${readFileSync(join(dir, p), "hex")}`;
  }
  return out;
}

function exported(root: string, sha: string): Record<string, string> {
  const d = tmp();
  execFileSync("sh", ["-c", 'git -C "$1" archive "$2" | tar -x -C "$3"', "sh", root, sha, d]);
  return tree(d);
}

describe("job folders", () => {
  test("the next job in the same folders sees exactly the commit, whatever the last job did", async () => {
    const { root, sha } = repo();
    const work = tmp();
    const pool = new JobFolders(join(work, "jobs"), join(work, "control"), run);
    const want = exported(root, sha);

    const f = await pool.take(root, sha);
    expect(tree(f.workspace!)).toEqual(want);
    const ws = f.workspace!;
    // A job that dirties, adds, deletes, changes modes and types, ignored files included.
    writeFileSync(join(ws, "README.md"), "changed\n");
    writeFileSync(join(ws, "src/a.ts"), "export const a = 2;\n"); // same size
    rmSync(join(ws, "src/deep/b.ts"));
    chmodSync(join(ws, "bin/run.sh"), 0o644);
    writeFileSync(join(ws, "new.txt"), "x");
    writeFileSync(join(ws, "debug.log"), "ignored");
    mkdirSync(join(ws, "build/out"), { recursive: true });
    writeFileSync(join(ws, "build/out/x.js"), "ignored");
    rmSync(join(ws, "link"));
    mkdirSync(join(ws, "link"));
    mkdirSync(join(ws, ".git"));
    writeFileSync(join(ws, ".git/HEAD"), "ref: refs/heads/main\n");
    mkdirSync(join(ws, "vendor/.git"), { recursive: true });
    writeFileSync(join(ws, "vendor/.git/HEAD"), "x");
    writeFileSync(join(f.temp, "t"), "temp");
    writeFileSync(join(f.control, "c"), "control");
    pool.give(f, root, sha);
    await pool.settle();

    const g = await pool.take(root, sha);
    expect(g.n).toBe(f.n);
    expect(tree(g.workspace!)).toEqual(want);
    const spare = await pool.take(root, sha);
    expect(tree(spare.workspace!)).toEqual(want);
    expect(readdirSync(g.temp)).toEqual([]);
    expect(readdirSync(g.control)).toEqual([]);
    // The user's repository is untouched.
    expect(execFileSync("git", ["status", "--porcelain"], { cwd: root, encoding: "utf8" })).toBe("");
  });

  test("once the index's stat data settled, a job's changes are still found (same size, in place)", async () => {
    const { root, sha } = repo();
    const work = tmp();
    const pool = new JobFolders(join(work, "jobs"), join(work, "control"), run);
    const want = exported(root, sha);
    const f = await pool.take(root, sha);
    await new Promise((r) => setTimeout(r, 1200));
    pool.give(f, root, sha); // untouched: checked, not reset; the stat data settle
    await pool.settle();
    const g = await pool.take(root, sha);
    expect(g.n).toBe(f.n);
    expect(g.written).toBe(0);
    writeFileSync(join(g.workspace!, "src/a.ts"), "export const a = 3;\n");
    writeFileSync(join(g.workspace!, "src/deep/.hidden"), "");
    pool.give(g, root, sha);
    await pool.settle();
    const h = await pool.take(root, sha);
    expect(h.n).toBe(f.n);
    expect(tree(h.workspace!)).toEqual(want);
  });

  test("a workspace replaced by a link is discarded, never cleaned through", async () => {
    const { root, sha } = repo();
    const work = tmp();
    const outside = tmp();
    writeFileSync(join(outside, "precious"), "keep");
    const pool = new JobFolders(join(work, "jobs"), join(work, "control"), run);
    const f = await pool.take(root, sha);
    rmSync(f.workspace!, { recursive: true });
    symlinkSync(outside, f.workspace!);
    pool.give(f, root, sha);
    await pool.settle();
    expect(readFileSync(join(outside, "precious"), "utf8")).toBe("keep");
    const g = await pool.take(root, sha);
    expect(g.n).not.toBe(f.n);
    expect(tree(g.workspace!)).toEqual(exported(root, sha));
  });

  test("kept folders: the next run resets them to its own commit; runs at the same time never share", async () => {
    const { root, sha } = repo();
    const kept = join(tmp(), "kept");
    const control = join(tmp(), "control");
    const first = new JobFolders(kept, control, run, true);
    const f = await first.take(root, sha);
    writeFileSync(join(f.workspace!, "left-behind.txt"), "x");
    writeFileSync(join(f.workspace!, "README.md"), "dirty\n");
    // The run ends without a reset (as if killed): the next run must not trust the folder.
    await first.release();

    writeFileSync(join(root, "README.md"), "second commit\n");
    rmSync(join(root, "src/deep"), { recursive: true });
    const git = (...a: string[]) => execFileSync("git", a, { cwd: root, encoding: "utf8" }).trim();
    git("add", "-A");
    git("commit", "-q", "-m", "second");
    const sha2 = git("rev-parse", "HEAD");

    const second = new JobFolders(kept, control, run, true);
    const third = new JobFolders(kept, control, run, true);
    const g = await second.take(root, sha2);
    expect(g.n).toBe(f.n);
    expect(tree(g.workspace!)).toEqual(exported(root, sha2));
    // Another run at the same time gets a set of its own.
    const h = await third.take(root, sha);
    expect(h.n).not.toBe(g.n);
    expect(tree(h.workspace!)).toEqual(exported(root, sha));
    await Promise.all([second.release(), third.release()]);
  });

  test("kept folders at the same commit: what the last job of a killed run left is found and undone", async () => {
    const { root, sha } = repo();
    const kept = join(tmp(), "kept");
    const control = join(tmp(), "control");
    const first = new JobFolders(kept, control, run, true);
    const f = await first.take(root, sha);
    writeFileSync(join(f.workspace!, "src/a.ts"), "export const a = 9;\n");
    writeFileSync(join(f.workspace!, "debug.log"), "x");
    await first.release();
    const second = new JobFolders(kept, control, run, true);
    const g = await second.take(root, sha);
    expect(g.n).toBe(f.n);
    expect(tree(g.workspace!)).toEqual(exported(root, sha));
    await second.release();
  });

  test("jobs that start together get folders of their own", async () => {
    const { root, sha } = repo();
    const work = tmp();
    const pool = new JobFolders(join(work, "jobs"), join(work, "control"), run);
    const [a, b, c] = await Promise.all([pool.take(root, sha), pool.take(root, sha), pool.take(root, sha)]);
    expect(new Set([a!.n, b!.n, c!.n]).size).toBe(3);
    const bind = await pool.take(root, undefined);
    expect(bind.workspace).toBeUndefined();
  });
});

describe("stale kept workspaces", () => {
  test("a folder another run is making (no repository named yet) is not stale; an old one is", async () => {
    const parent = tmp();
    const fresh = join(parent, "fresh-89ab");
    mkdirSync(fresh);
    const old = join(parent, "old-cdef");
    mkdirSync(old);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(old, hourAgo, hourAgo);
    expect(await staleKept(parent)).toEqual([old]);
  });

  test("are removed without an rm on PATH, and a folder already put aside is not renamed again", async () => {
    const parent = tmp();
    // A kept workspace whose repository is gone, and one an earlier run put aside.
    const stale = join(parent, "gone-0123");
    mkdirSync(join(stale, "ws"), { recursive: true });
    writeFileSync(join(stale, "repo"), join(parent, "no-such-repo"));
    const aside = join(parent, "older-4567.trash-0a1b2c3d");
    mkdirSync(join(aside, "ws"), { recursive: true });
    writeFileSync(join(aside, "repo"), parent);
    const found = (await staleKept(parent)).sort();
    expect(found).toEqual([aside, stale].sort());
    const path = process.env.PATH;
    process.env.PATH = tmp(); // no rm here: the spawn fails, which must not throw
    try {
      discardLater(found);
    } finally {
      process.env.PATH = path;
    }
    for (let i = 0; i < 200 && readdirSync(parent).length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(readdirSync(parent)).toEqual([]);
  });
});
