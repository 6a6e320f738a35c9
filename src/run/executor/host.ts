import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants, readdirSync, readFileSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { backlog } from "../backlog.js";
import { which } from "../shells.js";
import { ForkServer, type ProcessSink } from "./fork-server.js";
import { discardLater, type Folders, JobFolders, type RunCommand, staleKept } from "./job-folders.js";
import { lineSplitter } from "./lines.js";
import type { Executor, JobSpace, PrepareSpec, SpawnResult, SpawnSpec } from "./types.js";

const space = (spec: SpawnSpec) => spec.space.processGroups;

/** What the executor keeps per job beside its JobSpace. */
interface JobExtra {
  folders: Folders;
  /** RUNNER_TRACKING_ID of the job's processes (GitHub's runner uses it the same way). */
  trackingId: string;
}

/** Runs steps as child processes of this machine. */
export class HostExecutor implements Executor {
  readonly name = "host";
  /** Prefix of this run's RUNNER_TRACKING_ID values. */
  private readonly tag = `slipway_${process.pid}_${randomBytes(4).toString("hex")}`;
  private jobCount = 0;
  private extras = new WeakMap<JobSpace, JobExtra>();
  private pool?: JobFolders;
  private bindPool?: JobFolders;
  private keptRoot?: string;
  private controlRoot?: string;
  private toolCacheMade?: Promise<unknown>;
  /** Job ends still killing processes and resetting folders. */
  private cleanups = new Set<Promise<void>>();
  /** Started with the executor; undefined without Perl (then Node spawns). */
  private forks = ForkServer.start(this.tag);

  constructor() {
    // Step output makes many short-lived strings; V8 would grow its young generation to
    // tens of MB for them (1 GB of output peaked at 300 MB resident). Kept at its start
    // size, the same output stays near 150 MB and runs no slower.
    setFlagsFromString("--semi-space-growth-factor=1");
  }

  /**
   * Creating a file costs far more than writing a few bytes on many disks (0.3-1 ms here),
   * and every step creates some; a memory file system (/dev/shm) makes that ~30x cheaper.
   */
  private folders(spec: PrepareSpec): JobFolders {
    if (!this.controlRoot) {
      let root = join(spec.workRoot, "_control");
      try {
        accessSync("/dev/shm", constants.W_OK);
        root = join("/dev/shm", basename(spec.workRoot));
      } catch {}
      this.controlRoot = root;
    }
    if (spec.bind || !spec.sha) {
      this.bindPool ??= new JobFolders(
        join(spec.workRoot, "b"),
        join(this.controlRoot, "b"),
        this.runCommand,
      );
      return this.bindPool;
    }
    if (!this.pool) {
      const kept = keptFolder(spec);
      if (kept) this.keptRoot = dirname(kept);
      this.pool = new JobFolders(kept ?? spec.workRoot, this.controlRoot, this.runCommand, !!kept);
    }
    return this.pool;
  }

  /** Folders outside spec.workRoot where job folders (workspace, temp) may be (a sandbox binds them). */
  jobFolderRoots(spec: PrepareSpec): string[] {
    const kept = keptFolder(spec);
    return kept ? [kept] : [];
  }

  /** Slipway's own short commands (git): through the fork server, whose forks are cheap. */
  private runCommand: RunCommand = (argv, cwd, env) =>
    new Promise((resolve) => {
      if (!this.forks?.alive) {
        execFile(argv[0]!, argv.slice(1), { cwd, env, maxBuffer: 1 << 26 }, (e, stdout, stderr) =>
          resolve({ code: e ? Number((e as { code?: number }).code) || 1 : 0, stdout, stderr }),
        );
        return;
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let ends = 0;
      let code = 1;
      const end = () => {
        if (++ends === 3)
          resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
      };
      this.forks.launch(
        { argv, cwd, env },
        {
          pid: (p) => this.forks?.forget(p),
          data: (s, d) => (s === "stdout" ? out : err).push(Buffer.from(d)),
          eof: end,
          exit: (c) => {
            code = c;
            end();
          },
        },
      );
    });

  async prepareJob(spec: PrepareSpec): Promise<JobSpace> {
    const bind = spec.bind || !spec.sha;
    this.toolCacheMade ??= mkdir(spec.toolCache, { recursive: true });
    // The commit's files, checked out once per set of job folders and reset from git
    // between jobs: the user's working tree and refs stay untouched, and no job sees
    // another's changes. Like a fresh runner there is no .git until actions/checkout
    // makes one.
    const [folders] = await Promise.all([
      this.folders(spec).take(spec.repoRoot, bind ? undefined : spec.sha),
      this.toolCacheMade,
    ]);
    const js: JobSpace = {
      workspace: folders.workspace ?? spec.repoRoot,
      temp: folders.temp,
      control: folders.control,
      toolCache: spec.toolCache,
      processGroups: new Set(),
    };
    this.extras.set(js, { folders, trackingId: `${this.tag}_${++this.jobCount}` });
    return js;
  }

  /** A job waits on others: a spare set of folders gets ready meanwhile. */
  prefetch(spec: PrepareSpec): void {
    this.folders(spec).spare(spec.repoRoot, spec.bind || !spec.sha ? undefined : spec.sha);
  }

  spawn(spec: SpawnSpec): Promise<SpawnResult> {
    return new Promise((resolve) => {
      if (spec.signal.aborted) return resolve({ exitCode: 1, aborted: true });
      let pid: number | undefined;
      let aborted = false;
      const killGroup = (sig: NodeJS.Signals) => {
        try {
          if (pid) process.kill(-pid, sig);
        } catch {}
      };
      const kill = () => {
        aborted = true;
        killGroup("SIGTERM");
        setTimeout(() => killGroup("SIGKILL"), 2000).unref();
      };
      spec.signal.addEventListener("abort", kill, { once: true });
      const lines = (stream: "stdout" | "stderr") =>
        lineSplitter((line, cut) => spec.onLine(stream, line, cut));
      const streams = { stdout: lines("stdout"), stderr: lines("stderr") };
      const open = new Set<"stdout" | "stderr">(["stdout", "stderr"]);
      let done = false;
      let exitCode: number | undefined;
      let startError: string | undefined;
      let quiet: NodeJS.Timeout | undefined;
      let exitedAt = 0;
      const finish = () => {
        if (done) return;
        done = true;
        if (quiet) clearTimeout(quiet);
        spec.signal.removeEventListener("abort", kill);
        for (const s of open) streams[s].end();
        resolve({ exitCode: exitCode ?? 1, aborted, startError });
      };
      const sink: ProcessSink = {
        pid(p) {
          pid = p;
          if (aborted) kill();
        },
        data(stream, chunk) {
          if (done) return;
          streams[stream].data(chunk);
          if (quiet && Date.now() - exitedAt < 2000) quiet.refresh();
        },
        hold: () => backlog.full,
        eof(stream) {
          if (!open.delete(stream) || done) return;
          streams[stream].end();
          if (!open.size && exitCode !== undefined) finish();
        },
        exit(code) {
          if (exitCode !== undefined) return;
          exitCode = code;
          if (pid) space(spec).add(pid);
          if (!open.size) finish();
          // A background child (`server &`) may keep the pipes open after the shell exits;
          // as on GitHub it lives on until the job ends, and the step is over once the
          // output already written has been read: 50 ms without data (2 s at most).
          else {
            exitedAt = Date.now();
            quiet = setTimeout(finish, 50);
          }
        },
      };
      const tracking = this.extras.get(spec.space)?.trackingId;
      const launch = tracking ? { ...spec, env: { ...spec.env, RUNNER_TRACKING_ID: tracking } } : spec;
      if (this.forks?.alive) {
        const argv0 = spec.argv[0]!;
        if (!argv0.includes("/") && !which(argv0, spec.env.PATH)) {
          startError = `'${argv0}' not found`;
          exitCode = 127;
          return finish();
        }
        this.forks.launch(launch, sink);
        return;
      }
      launchWithNode(launch, sink, (e) => {
        startError = e;
      });
    });
  }

  /**
   * Kills what the job left running, then resets its folders for the next job; both after
   * the job has ended, off its critical path (close() waits for them).
   */
  async cleanupJob(js: JobSpace, spec: PrepareSpec): Promise<void> {
    const extra = this.extras.get(js);
    const groups = killJob(js.processGroups, undefined);
    for (const g of js.processGroups) this.forks?.forget(g);
    if (!extra) return;
    // The scan of /proc for processes that left the job's groups runs after the job's end
    // is reported: it reads every process's environment.
    const p = new Promise((r) => setImmediate(r))
      .then(() => gone([...groups, ...killJob([], extra.trackingId)]))
      .then(() =>
        this.folders(spec).give(extra.folders, spec.repoRoot, spec.bind || !spec.sha ? undefined : spec.sha),
      );
    this.cleanups.add(p);
    p.finally(() => this.cleanups.delete(p));
  }

  async close(): Promise<void> {
    while (this.cleanups.size) await Promise.allSettled([...this.cleanups]);
    await Promise.all([this.pool?.settle(), this.bindPool?.settle()]);
    const stale = this.keptRoot ? await staleKept(this.keptRoot).catch(() => []) : [];
    this.abandon();
    discardLater(stale);
  }

  /**
   * Synchronous: for a process about to exit (a second Ctrl-C). The fork server, seeing
   * its input close, kills every process the run started.
   */
  abandon(): void {
    this.pool?.releaseNow();
    this.forks?.close();
    if (this.controlRoot) rmSync(this.controlRoot, { recursive: true, force: true });
    discardLater([...(this.pool?.folderPaths() ?? []), ...(this.bindPool?.folderPaths() ?? [])]);
  }
}

/**
 * Where a repository's checkouts are kept between runs, beside the tool cache: creating
 * thousands of files costs seconds on a busy disk, resetting them milliseconds. Undefined
 * when they are not kept (bind, or SLIPWAY_KEEP_WORKSPACES=0: made in the run's folder).
 */
function keptFolder(spec: PrepareSpec): string | undefined {
  if (spec.bind || !spec.sha || process.env.SLIPWAY_KEEP_WORKSPACES === "0") return undefined;
  const name = basename(spec.repoRoot).replace(/[^A-Za-z0-9_.-]/g, "_");
  const hash = createHash("sha256").update(spec.repoRoot).digest("hex").slice(0, 12);
  return join(dirname(spec.toolCache), "workspaces", `${name}-${hash}`);
}

/**
 * Kills a job's processes: its steps' process groups, and every process carrying its
 * RUNNER_TRACKING_ID (found in /proc), which catches the ones that left their group
 * (setsid, daemons). As on GitHub, a process that changed the variable is left alone.
 * Returns the pids it signalled.
 */
export function killJob(groups: Iterable<number>, trackingId: string | undefined): number[] {
  const pids: number[] = [];
  for (const pgid of groups) {
    try {
      process.kill(-pgid, "SIGKILL");
      pids.push(-pgid);
    } catch {}
  }
  if (!trackingId) return pids;
  const marker = Buffer.from(`RUNNER_TRACKING_ID=${trackingId}\0`);
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const d of entries) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let env: Buffer;
    try {
      env = readFileSync(`/proc/${d}/environ`);
    } catch {
      continue;
    }
    const at = env.indexOf(marker);
    if (at < 0 || (at > 0 && env[at - 1] !== 0)) continue;
    try {
      process.kill(Number(d), "SIGKILL");
      pids.push(Number(d));
    } catch {}
  }
  return pids;
}

/** Waits (1 s at most) until the processes (negative: process groups) are gone. */
async function gone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 1000;
  let left = pids;
  while (left.length && Date.now() < deadline) {
    left = left.filter((p) => {
      try {
        process.kill(p, 0);
        return !isZombie(p);
      } catch {
        return false;
      }
    });
    if (left.length) await new Promise((r) => setTimeout(r, 2));
  }
}

/** A zombie has exited; only its parent's wait is missing (a group: its leader checked). */
function isZombie(p: number): boolean {
  try {
    const stat = readFileSync(`/proc/${Math.abs(p)}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return p > 0;
  }
}

/** Node's own spawn: when there is no fork server. */
function launchWithNode(spec: SpawnSpec, sink: ProcessSink, startError: (e: string) => void): void {
  const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group, so cancel kills the whole tree.
    detached: true,
  });
  if (child.pid) sink.pid(child.pid);
  // Backpressure: while written output lags, the child waits in its pipe.
  const hold = () => {
    if (!sink.hold?.()) return;
    child.stdout.pause();
    child.stderr.pause();
    const check = () => {
      if (sink.hold?.()) return void setTimeout(check, 5);
      child.stdout.resume();
      child.stderr.resume();
    };
    setTimeout(check, 5);
  };
  child.stdout.on("data", (d: Buffer) => {
    sink.data("stdout", d);
    hold();
  });
  child.stderr.on("data", (d: Buffer) => {
    sink.data("stderr", d);
    hold();
  });
  child.stdout.on("close", () => sink.eof("stdout"));
  child.stderr.on("close", () => sink.eof("stderr"));
  child.on("error", (e) => {
    startError((e as NodeJS.ErrnoException).code === "ENOENT" ? `'${spec.argv[0]}' not found` : e.message);
    sink.eof("stdout");
    sink.eof("stderr");
    sink.exit(127);
  });
  child.on("exit", (code, signal) => sink.exit(code ?? (signal ? 128 : 1)));
}
