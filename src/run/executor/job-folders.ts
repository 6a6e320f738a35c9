import { lstat, mkdir, realpath, rm } from "node:fs/promises";
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
}

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
  private made = 0;
  private gitDirs = new Map<string, Promise<string>>();

  constructor(
    private readonly root: string,
    private readonly controlRoot: string,
    private readonly run: RunCommand,
  ) {}

  private kind(repoRoot: string, sha: string | undefined): string {
    return sha ? `${repoRoot}@${sha}` : "";
  }

  /** Folders for a job that starts now. */
  async take(repoRoot: string, sha: string | undefined): Promise<Folders> {
    const kind = this.kind(repoRoot, sha);
    for (;;) {
      // The most recently used first: its files are the likeliest in the page cache.
      const i = this.ready.findLastIndex((f) => f.kind === kind);
      if (i >= 0) {
        const f = this.ready.splice(i, 1)[0]!;
        this.spare(repoRoot, sha);
        return f;
      }
      // Folders being made or reset come sooner than new ones, unless others wait for them.
      if (this.pending.size <= this.waiting) break;
      this.waiting++;
      try {
        await Promise.race(this.pending);
      } finally {
        this.waiting--;
      }
    }
    const f = await this.make(repoRoot, sha);
    this.spare(repoRoot, sha);
    return f;
  }

  /** A job will need folders soon: make a set if none is ready or on its way. */
  spare(repoRoot: string, sha: string | undefined): void {
    const kind = this.kind(repoRoot, sha);
    if (this.pending.size || this.ready.some((f) => f.kind === kind)) return;
    this.track(this.make(repoRoot, sha).then((f) => this.ready.push(f)));
  }

  /** Folders of a job that ended (its processes gone): reset them for the next job. */
  give(f: Folders, repoRoot: string, sha: string | undefined): void {
    this.track(
      this.reset(f, repoRoot, sha).then(
        () => this.ready.push(f),
        () => this.discard(f),
      ),
    );
  }

  /** Every folder made for the run that holds files (for removal at its end). */
  folderPaths(): string[] {
    return Array.from({ length: this.made }, (_, i) => join(this.root, String(i + 1)));
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
    const n = ++this.made;
    const base = join(this.root, String(n));
    const f: Folders = {
      temp: join(base, "_temp"),
      control: join(this.controlRoot, String(n)),
      kind: this.kind(repoRoot, sha),
      n,
    };
    // The workspace is named after the repository, as on GitHub (work/<repo>/<repo>).
    if (sha) f.workspace = join(base, basename(repoRoot) || "workspace");
    await Promise.all([
      mkdir(f.temp, { recursive: true }),
      mkdir(f.control, { recursive: true }),
      f.workspace && mkdir(f.workspace, { recursive: true }),
    ]);
    if (f.workspace) await this.git(f, repoRoot, ["git", "read-tree", "-u", "--reset", sha!]);
    return f;
  }

  private async reset(f: Folders, repoRoot: string, sha: string | undefined): Promise<void> {
    await Promise.all([empty(f.temp), empty(f.control)]);
    if (!f.workspace) return;
    // A job may have replaced its workspace with a link to elsewhere: never clean through it.
    const st = await lstat(f.workspace);
    if (!st.isDirectory() || (await realpath(f.workspace)) !== f.workspace)
      throw new Error("workspace replaced");
    await this.git(f, repoRoot, ["sh", "-c", RESET, "sh", f.workspace, sha!]);
  }

  private async git(f: Folders, repoRoot: string, argv: string[]): Promise<void> {
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
    if (r.code) throw new Error(`could not check out the commit: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  private discard(f: Folders): void {
    this.track(
      Promise.all([
        rm(join(this.root, String(f.n)), { recursive: true, force: true }),
        rm(f.control, { recursive: true, force: true }),
        rm(join(this.root, `${f.n}.index`), { force: true }),
      ]),
    );
  }
}

/** Removes what a folder holds, keeping the folder. */
async function empty(dir: string): Promise<void> {
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
