import { execFile, spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, rmSync } from "node:fs";
import { cp, mkdir, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import type { Executor, JobSpace, PrepareSpec, SpawnResult, SpawnSpec } from "./types.js";

const space = (spec: SpawnSpec) => spec.space.processGroups;

const run = promisify(execFile);

/** Runs steps as child processes of this machine. */
export class HostExecutor implements Executor {
  readonly name = "host";
  private snapshots = new Map<string, Promise<string>>();
  private controlRoot?: string;

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
    const snapshot = await this.snapshot(spec);
    await cp(snapshot, workspace, { recursive: true, verbatimSymlinks: true });
    return { workspace, temp, control, toolCache, processGroups: new Set() };
  }

  spawn(spec: SpawnSpec): Promise<SpawnResult> {
    return new Promise((resolve) => {
      if (spec.signal.aborted) return resolve({ exitCode: 1, aborted: true });
      const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ["ignore", "pipe", "pipe"],
        // Own process group, so cancel kills the whole tree.
        detached: true,
      });
      let aborted = false;
      const kill = () => {
        aborted = true;
        try {
          if (child.pid) process.kill(-child.pid, "SIGTERM");
        } catch {}
        setTimeout(() => {
          try {
            if (child.pid) process.kill(-child.pid, "SIGKILL");
          } catch {}
        }, 2000).unref();
      };
      spec.signal.addEventListener("abort", kill, { once: true });
      const lines = (stream: "stdout" | "stderr") => {
        let buf = "";
        return {
          data(chunk: Buffer) {
            buf += chunk.toString("utf8");
            let nl = buf.indexOf("\n");
            while (nl >= 0) {
              spec.onLine(stream, buf.slice(0, nl).replace(/\r$/, ""));
              buf = buf.slice(nl + 1);
              nl = buf.indexOf("\n");
            }
          },
          end() {
            if (buf) spec.onLine(stream, buf);
            buf = "";
          },
        };
      };
      const out = lines("stdout");
      const err = lines("stderr");
      child.stdout.on("data", out.data);
      child.stderr.on("data", err.data);
      let startError: string | undefined;
      child.on("error", (e) => {
        startError =
          (e as NodeJS.ErrnoException).code === "ENOENT" ? `'${spec.argv[0]}' not found` : e.message;
      });
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        spec.signal.removeEventListener("abort", kill);
        out.end();
        err.end();
        resolve({ exitCode: code ?? (signal ? 128 : 1), aborted, startError });
      };
      child.on("close", finish);
      // A background child (`server &`) may keep the pipes open after the shell exits;
      // as on GitHub it lives on until the job ends, and the step is over now.
      child.on("exit", (code, signal) => {
        if (child.pid) space(spec).add(child.pid);
        setTimeout(() => finish(code, signal), 50).unref();
      });
    });
  }

  async cleanupJob(js: JobSpace): Promise<void> {
    for (const pgid of js.processGroups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {}
    }
    await Promise.all([
      rm(js.temp, { recursive: true, force: true }),
      rm(js.control, { recursive: true, force: true }),
    ]);
  }

  async close(): Promise<void> {
    if (this.controlRoot) rmSync(this.controlRoot, { recursive: true, force: true });
  }
}
