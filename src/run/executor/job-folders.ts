import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { renameSync, rmSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";

/** Runs a command to its end: exit code and what it wrote on stderr. */
export type RunCommand = (
  argv: string[],
  cwd: string,
  env: Record<string, string>,
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** A job's folders: RUNNER_TEMP, the runner's control files and, unless bound, a workspace. */
export interface Folders {
  temp: string;
  control: string;
  /** The commit's files; undefined when the job runs in the live tree (bind). */
  workspace?: string;
  /** What the folders were made for: repoRoot@sha, or "" for bind. */
  kind: string;
  n: number;
  /** When its files were last written by git (ms); 0 once the index's stat data settled. */
  written: number;
}

/**
 * Whether a used workspace differs from the commit: tracked files modified or deleted
 * (by the stat data in the private index, content compared where that cannot tell) and
 * anything untracked or ignored.
 */
const CHECK = ["git", "ls-files", "-z", "-m", "-d", "-o", "--directory"];
/**
 * Files checked out in the second the index was written are "racily clean": every check
 * would read them in full. Refreshed once, later, their stat data settle.
 */
const SETTLE = ["git", "update-index", "-q", "--refresh"];

/** The reset of a used workspace, in one shell so it costs one cheap fork. */
const RESET = [
  'cd "$1" || exit 1',
  // actions/checkout's repository: git clean never removes a top-level .git.
  "rm -rf .git || exit 1",
  // Tracked files changed, deleted or replaced are written back (the private index knows
  // the commit's stat data, so unchanged files are not touched); then every untracked and
  // ignored file or folder goes, nested repositories included.
  'git read-tree -u --reset "$2" || exit 1',
  "exec git clean -ffdxq",
].join("\n");

/**
 * Job folders kept for the run and reset between jobs instead of made and removed per
 * job: a job's start is clean and its workspace byte-identical to the commit, without
 * copying the commit every time. Resets run after a job ends, off its critical path; one
 * spare set of folders is kept so the next job rarely waits for one.
 */
export class JobFolders {
  private ready: Folders[] = [];
  private pending = new Set<Promise<unknown>>();
  private waiting = 0;
  private resetting = 0;
  private making = 0;
  /** Folder sets of this run (made or being made), jobs holding one, and the most at once. */
  private sets = 0;
  private inUse = 0;
  private peak = 0;
  private made = 0;
  private gitDirs = new Map<string, Promise<string>>();

  /** Folder numbers this run holds the lock of (kept folders only). */
  private claimed: number[] = [];

  /**
   * `keep`: the folders outlive the run (root is then per repository, in the user's
   * cache): the next run resets them to its commit, which rewrites only the files that
   * differ, instead of checking out every file again. A lock per folder set keeps runs
   * at the same time apart.
   */
  constructor(
    private readonly root: string,
    private readonly controlRoot: string,
    private readonly run: RunCommand,
    private readonly keep = false,
  ) {}

  private kind(repoRoot: string, sha: string | undefined): string {
    return sha ? `${repoRoot}@${sha}` : "";
  }

  /** Folders for a job that starts now. */
  async take(repoRoot: string, sha: string | undefined): Promise<Folders> {
    const kind = this.kind(repoRoot, sha);
    let waited = false;
    for (;;) {
      // The most recently used first: its files are the likeliest in the page cache.
      const i = this.ready.findLastIndex((f) => f.kind === kind);
      if (i >= 0) {
        const f = this.ready.splice(i, 1)[0]!;
        // Waiting for a reset means the jobs outrun the resets: one set more than jobs
        // at once keeps them ahead (once: a run never has more than that).
        this.inUse++;
        this.peak = Math.max(this.peak, this.inUse);
        if (waited && this.resetting && !this.making && this.sets < this.peak + 1)
          this.spare(repoRoot, sha, true);
        return f;
      }
      // Folders being made or reset come sooner than new ones, unless others wait for them.
      if (this.pending.size <= this.waiting) break;
      this.waiting++;
      waited = true;
      try {
        await Promise.race(this.pending);
      } finally {
        this.waiting--;
      }
    }
    const f = await this.make(repoRoot, sha);
    this.inUse++;
    this.peak = Math.max(this.peak, this.inUse);
    return f;
  }

  /** A job will need folders soon: make a set if none is ready or on its way. */
  spare(repoRoot: string, sha: string | undefined, always = false): void {
    const kind = this.kind(repoRoot, sha);
    if (!always && (this.pending.size || this.ready.some((f) => f.kind === kind))) return;
    this.track(this.make(repoRoot, sha).then((f) => this.ready.push(f)));
  }

  /** Folders of a job that ended (its processes gone): reset them for the next job. */
  give(f: Folders, repoRoot: string, sha: string | undefined): void {
    this.inUse--;
    this.resetting++;
    this.track(
      this.reset(f, repoRoot, sha)
        .then(
          () => this.ready.push(f),
          () => {
            this.sets--;
            this.discard(f);
          },
        )
        .finally(() => this.resetting--),
    );
  }

  /** Every folder made for the run that holds files (for removal at its end; none kept). */
  folderPaths(): string[] {
    if (this.keep) return [];
    return Array.from({ length: this.made }, (_, i) => join(this.root, String(i + 1)));
  }

  /** The run is over: kept folders are free for the next run. */
  async release(): Promise<void> {
    this.releaseNow();
  }

  /** As release, synchronously (a process about to exit). */
  releaseNow(): void {
    for (const n of this.claimed) rmSync(join(this.root, `${n}.lock`), { recursive: true, force: true });
    this.claimed = [];
  }

  /** The lowest folder number no other run holds; locks of runs that died are taken over. */
  private async claim(repoRoot: string): Promise<number> {
    await mkdir(this.root, { recursive: true });
    // Which repository the folders belong to: folders of a repository that is gone are pruned.
    await writeFile(join(this.root, "repo"), repoRoot);
    for (let n = 1; ; n++) {
      if (this.claimed.includes(n)) continue;
      const lock = join(this.root, `${n}.lock`);
      for (let tries = 0; tries < 2; tries++) {
        try {
          await mkdir(lock);
          await writeFile(join(lock, "pid"), String(process.pid));
          this.claimed.push(n);
          return n;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        const pid = Number(await readFile(join(lock, "pid"), "utf8").catch(() => "0"));
        if (pid && alive(pid)) break;
        // A lock without a pid may be one being written this instant: only a dead run's goes.
        if (
          !pid &&
          Date.now() -
            (await lstat(lock).then(
              (st) => st.mtimeMs,
              () => 0,
            )) <
            5000
        )
          break;
        await rm(lock, { recursive: true, force: true });
      }
    }
  }

  /** Resets and makes still under way (the run's end waits for them). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => {});
    this.pending.add(q);
    q.finally(() => this.pending.delete(q));
  }

  private async make(repoRoot: string, sha: string | undefined): Promise<Folders> {
    this.making++;
    this.sets++;
    try {
      return await this.makeNow(repoRoot, sha);
    } catch (e) {
      this.sets--;
      throw e;
    } finally {
      this.making--;
    }
  }

  private async makeNow(repoRoot: string, sha: string | undefined): Promise<Folders> {
    const n = this.keep ? await this.claim(repoRoot) : ++this.made;
    const base = join(this.root, String(n));
    const f: Folders = {
      temp: join(base, "_temp"),
      control: join(this.controlRoot, String(n)),
      kind: this.kind(repoRoot, sha),
      n,
      written: 0,
    };
    // The workspace is named after the repository, as on GitHub (work/<repo>/<repo>).
    if (sha) f.workspace = join(base, basename(repoRoot) || "workspace");
    await Promise.all([
      mkdir(f.temp, { recursive: true }),
      mkdir(f.control, { recursive: true }),
      f.workspace && mkdir(f.workspace, { recursive: true }),
    ]);
    if (f.workspace) {
      // A kept folder (an earlier run's) holds some commit and whatever its last job left.
      const kept =
        this.keep &&
        (await lstat(join(this.root, `${n}.index`)).then(
          () => true,
          () => false,
        ));
      const fresh = async () => {
        await this.git(f, repoRoot, ["git", "read-tree", "-u", "--reset", sha!]);
        await this.holds(f, sha!);
      };
      // Its index holding this commit, a check finds what the last job left; else a reset
      // rewrites the files that differ.
      const same = kept && (await readFile(this.shaFile(f), "utf8").catch(() => "")) === sha;
      if (kept)
        await this.reset(f, repoRoot, sha, !same).catch(async () => {
          await rm(join(this.root, `${n}.index`), { force: true });
          await rm(this.shaFile(f), { force: true });
          await rm(f.workspace!, { recursive: true, force: true });
          await mkdir(f.workspace!, { recursive: true });
          await fresh();
        });
      else await fresh();
      // A kept index was written by an earlier run: its stat data settle at the first check.
      f.written = same ? 1 : Date.now();
    }
    return f;
  }

  private async reset(f: Folders, repoRoot: string, sha: string | undefined, full = false): Promise<void> {
    await Promise.all([empty(f.temp), empty(f.control), this.tidyBase(f)]);
    if (!f.workspace) return;
    // A job may have replaced its workspace with a link to elsewhere: never clean through it.
    const st = await lstat(f.workspace);
    if (!st.isDirectory() || (await realpath(f.workspace)) !== f.workspace)
      throw new Error("workspace replaced");
    if (full) {
      await rm(this.shaFile(f), { force: true });
      await this.git(f, repoRoot, ["sh", "-c", RESET, "sh", f.workspace, sha!]);
      await this.holds(f, sha!);
      return;
    }
    // Most jobs leave the workspace as it was: finding that out costs a third of a reset.
    if (f.written > 0 && Date.now() - f.written > 1100) {
      await this.git(f, repoRoot, SETTLE, true);
      f.written = 0;
    }
    const check = await this.git(f, repoRoot, CHECK);
    const dotGit = await lstat(join(f.workspace, ".git")).then(
      () => true,
      () => false,
    );
    if (!check && !dotGit) return;
    await this.git(f, repoRoot, ["sh", "-c", RESET, "sh", f.workspace, sha!]);
    f.written ||= Date.now();
  }

  /** Which commit a kept folder's index holds (read by the next run). */
  private shaFile(f: Folders): string {
    return join(this.root, `${f.n}.sha`);
  }

  private async holds(f: Folders, sha: string): Promise<void> {
    if (this.keep) await writeFile(this.shaFile(f), sha);
  }

  /** What a job left beside its workspace and temp (`$GITHUB_WORKSPACE/..`) goes too. */
  private async tidyBase(f: Folders): Promise<void> {
    if (!f.workspace) return;
    const base = join(f.workspace, "..");
    const keep = new Set([basename(f.workspace), basename(f.temp)]);
    const names = await readdir(base).catch(() => []);
    await Promise.all(
      names.filter((n) => !keep.has(n)).map((n) => rm(join(base, n), { recursive: true, force: true })),
    );
  }

  /** Runs a git command for a workspace; its output. */
  private async git(f: Folders, repoRoot: string, argv: string[], quiet = false): Promise<string> {
    let gitDir = this.gitDirs.get(repoRoot);
    if (!gitDir) {
      gitDir = this.run(["git", "rev-parse", "--absolute-git-dir"], repoRoot, gitEnv({})).then((r) => {
        if (r.code) throw new Error(`git rev-parse: ${r.stderr.trim()}`);
        return r.stdout.trim();
      });
      this.gitDirs.set(repoRoot, gitDir);
    }
    const env = gitEnv({
      GIT_DIR: await gitDir,
      GIT_WORK_TREE: f.workspace!,
      GIT_INDEX_FILE: join(this.root, `${f.n}.index`),
    });
    const r = await this.run(argv, f.workspace!, env);
    // update-index --refresh exits 1 when files differ: the check after it tells what.
    if (r.code && !quiet)
      throw new Error(`could not check out the commit: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout;
  }

  private discard(f: Folders): void {
    this.track(
      Promise.all([
        rm(join(this.root, String(f.n)), { recursive: true, force: true }),
        rm(f.control, { recursive: true, force: true }),
        rm(join(this.root, `${f.n}.index`), { force: true }),
        rm(this.shaFile(f), { force: true }),
      ]),
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes what a folder holds, keeping the folder. */
async function empty(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => undefined);
  if (names?.length === 0) return;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/**
 * The environment of Slipway's own git commands: the user's GIT_* variables could point
 * them elsewhere; their settings that change what lands in the workspace are turned off.
 */
function gitEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("GIT_")) env[k] = v;
  Object.assign(env, extra, {
    GIT_OPTIONAL_LOCKS: "0",
    GIT_CONFIG_COUNT: "3",
    GIT_CONFIG_KEY_0: "core.sparseCheckout",
    GIT_CONFIG_VALUE_0: "false",
    GIT_CONFIG_KEY_1: "core.fsmonitor",
    GIT_CONFIG_VALUE_1: "false",
    GIT_CONFIG_KEY_2: "core.untrackedCache",
    GIT_CONFIG_VALUE_2: "false",
  });
  return env;
}

/**
 * Removes kept folder sets of repositories that are gone (their path no longer holds a
 * repository) and that no live run holds; returns the folders to delete.
 */
export async function staleKept(parent: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(parent).catch(() => [])) {
    const dir = join(parent, d);
    // Put aside by an earlier run whose removal did not finish.
    if (ASIDE.test(d)) {
      out.push(dir);
      continue;
    }
    const repo = await readFile(join(dir, "repo"), "utf8").catch(() => "");
    if (
      repo &&
      (await lstat(repo).then(
        () => true,
        () => false,
      ))
    )
      continue;
    // No repository named yet: another run may have made the folder this instant and not yet
    // written its name or taken a lock (removing it failed that run's job). Only an old one goes.
    if (
      !repo &&
      (await lstat(dir).then(
        (st) => Date.now() - st.mtimeMs < FRESH_MS,
        () => true,
      ))
    )
      continue;
    const names = await readdir(dir).catch(() => []);
    let held = false;
    for (const lock of names.filter((n) => n.endsWith(".lock"))) {
      const pid = Number(await readFile(join(dir, lock, "pid"), "utf8").catch(() => "0"));
      if (!pid || alive(pid)) held = true;
    }
    if (!held) out.push(dir);
  }
  return out;
}

/** A kept folder younger than this, with no repository named in it, is being made, not stale. */
const FRESH_MS = 10 * 60_000;

/** A folder discardLater renamed: already aside, removed but not renamed again. */
const ASIDE = /\.trash-[0-9a-f]{8}$/;

/**
 * Moves folders full of checked-out files aside and removes them in a process of their
 * own: removing thousands of files would otherwise hold up the end of the run. Without an
 * `rm` on PATH they are removed in this process instead (never an unhandled spawn error).
 */
export function discardLater(dirs: string[]): void {
  const moved: string[] = [];
  const tag = randomBytes(4).toString("hex");
  for (const d of dirs) {
    if (ASIDE.test(d)) {
      moved.push(d);
      continue;
    }
    // Renamed in place (same file system, so instant); the old name is free at once.
    const to = `${d}.trash-${tag}`;
    try {
      renameSync(d, to);
      moved.push(to);
    } catch {}
  }
  if (!moved.length) return;
  const child = spawn("rm", ["-rf", ...moved], { detached: true, stdio: "ignore" });
  child.on("error", () => {
    for (const d of moved) void rm(d, { recursive: true, force: true }).catch(() => {});
  });
  child.unref();
}
