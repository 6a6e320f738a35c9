import { execFile, spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, rmSync } from "node:fs";
import { cp, mkdir, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { Semaphore } from "../semaphore.js";
import { which } from "../shells.js";
import { ForkServer, type ProcessSink } from "./fork-server.js";
import type { Executor, JobSpace, PrepareSpec, SpawnResult, SpawnSpec } from "./types.js";

const space = (spec: SpawnSpec) => spec.space.processGroups;

const run = promisify(execFile);

/** Runs steps as child processes of this machine. */
export class HostExecutor implements Executor {
  readonly name = "host";
  private snapshots = new Map<string, Promise<string>>();
  private controlRoot?: string;
  /** Workspaces being copied ahead of their job (see prefetch). */
  private copies = new Map<string, Promise<void>>();
  private prefetchSlots = new Semaphore(2);
  /** Started with the executor; undefined without Perl (then Node spawns). */
  private forks = ForkServer.start();

  /**
   * Creating a file costs far more than writing a few bytes on many disks (0.3-1 ms here),
   * and every step creates some; a memory file system (/dev/shm) makes that ~30x cheaper.
   */
  private async control(spec: PrepareSpec): Promise<string> {
    if (!this.controlRoot) {
      let root = join(spec.workRoot, "_control");
      try {
        accessSync("/dev/shm", constants.W_OK);
        root = join("/dev/shm", basename(spec.workRoot));
      } catch {}
      this.controlRoot = root;
    }
    const dir = join(this.controlRoot, spec.jobKey);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  private snapshot(spec: PrepareSpec): Promise<string> {
    const key = `${spec.repoRoot}@${spec.sha}`;
    let p = this.snapshots.get(key);
    if (!p) {
      const dir = join(spec.workRoot, `_snapshot-${this.snapshots.size}`);
      mkdirSync(dir, { recursive: true });
      p = run("sh", [
        "-c",
        'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"',
        "sh",
        spec.repoRoot,
        spec.sha!,
        dir,
      ]).then(() => dir);
      this.snapshots.set(key, p);
    }
    return p;
  }

  async prepareJob(spec: PrepareSpec): Promise<JobSpace> {
    const base = join(spec.workRoot, spec.jobKey);
    const temp = join(base, "temp");
    const toolCache = spec.toolCache;
    // Asynchronous file calls: the thread pool overlaps one job's set-up with the others'.
    const [control] = await Promise.all([
      this.control(spec),
      mkdir(temp, { recursive: true }),
      mkdir(toolCache, { recursive: true }),
    ]);
    if (spec.bind || !spec.sha)
      return { workspace: spec.repoRoot, temp, control, toolCache, processGroups: new Set() };
    const workspace = join(base, "workspace");
    // The commit's files, exported once per run and copied per job: the user's working
    // tree and refs stay untouched, and no job sees another's changes. Like a fresh
    // runner there is no .git until actions/checkout makes one.
    await (this.copies.get(spec.jobKey) ?? this.copy(spec, workspace));
    return { workspace, temp, control, toolCache, processGroups: new Set() };
  }

  private async copy(spec: PrepareSpec, workspace: string): Promise<void> {
    const snapshot = await this.snapshot(spec);
    await cp(snapshot, workspace, { recursive: true, verbatimSymlinks: true });
  }

  /**
   * Copies the commit for a job that waits on others, while they run: the copy is file
   * system latency that would otherwise sit on the job's critical path. Two at a time, so
   * running jobs keep the thread pool.
   */
  prefetch(spec: PrepareSpec): void {
    if (spec.bind || !spec.sha || this.copies.has(spec.jobKey)) return;
    const workspace = join(spec.workRoot, spec.jobKey, "workspace");
    const p = this.prefetchSlots.acquire().then(async (release) => {
      try {
        await this.copy(spec, workspace);
      } finally {
        release();
      }
    });
    p.catch(() => {});
    this.copies.set(spec.jobKey, p);
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
      const lines = (stream: "stdout" | "stderr") => {
        let buf = "";
        const decoder = new TextDecoder();
        return {
          data(chunk: Buffer) {
            buf += decoder.decode(chunk, { stream: true });
            let nl = buf.indexOf("\n");
            while (nl >= 0) {
              spec.onLine(stream, buf.slice(0, nl).replace(/\r$/, ""));
              buf = buf.slice(nl + 1);
              nl = buf.indexOf("\n");
            }
          },
          end() {
            buf += decoder.decode();
            if (buf) spec.onLine(stream, buf);
            buf = "";
          },
        };
      };
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
      if (this.forks?.alive) {
        const argv0 = spec.argv[0]!;
        if (!argv0.includes("/") && !which(argv0, spec.env.PATH)) {
          startError = `'${argv0}' not found`;
          exitCode = 127;
          return finish();
        }
        this.forks.launch(spec, sink);
        return;
      }
      launchWithNode(spec, sink, (e) => {
        startError = e;
      });
    });
  }

  async cleanupJob(js: JobSpace, spec: PrepareSpec): Promise<void> {
    for (const pgid of js.processGroups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {}
    }
    // The job's folder (its copy of the commit, RUNNER_TEMP) goes now, while other jobs
    // run, rather than all at the end of the run.
    await Promise.all([
      rm(join(spec.workRoot, spec.jobKey), { recursive: true, force: true }),
      rm(js.control, { recursive: true, force: true }),
    ]);
  }

  async close(): Promise<void> {
    this.abandon();
  }

  /** Synchronous: for a process about to exit (a second Ctrl-C). */
  abandon(): void {
    this.forks?.close();
    if (this.controlRoot) rmSync(this.controlRoot, { recursive: true, force: true });
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
  child.stdout.on("data", (d: Buffer) => sink.data("stdout", d));
  child.stderr.on("data", (d: Buffer) => sink.data("stderr", d));
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
