import { spawn, spawnSync } from "node:child_process";
import { chmodSync, type Dirent, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { which } from "../shells.js";
import { HostExecutor } from "./host.js";
import {
  helperArgs,
  hostTree,
  makeRoot,
  overlayOptions,
  planSandbox,
  type SandboxPlan,
  shellHelper,
} from "./sandbox-mounts.js";
import { SandboxServer } from "./sandbox-server.js";
import type { Executor, JobSpace, PrepareSpec, SpawnResult, SpawnSpec } from "./types.js";

export type SandboxNetwork = "host" | "none";

/** How this machine can make sandboxes: as root, or in an unprivileged user namespace. */
export type SandboxSupport =
  | { ok: true; userns: boolean; volatile: boolean; unshare: string; nsenter: string }
  | { ok: false; reason: string };

/** The sandbox's helper: a process that holds the job's namespaces open. */
interface Helper {
  pid: number;
  /** The helper's root as the host sees it, for finding commands inside. */
  root: string;
  kill(): void;
  /** Resolves when it has exited: its namespaces go with their last process. */
  exited: Promise<void>;
}

interface SandboxSpace extends JobSpace {
  helper: Helper;
}

/**
 * Package managers' download caches: shared between jobs and runs (writes go to the host),
 * so a sandboxed `npm ci` or `pip install` stays as fast as on the host. What they install
 * still lands in the job's layer.
 */
export function sharedCaches(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = homedir();
  const cargo = env.CARGO_HOME || join(home, ".cargo");
  return [
    join(env.npm_config_cache || join(home, ".npm"), "_cacache"),
    env.PIP_CACHE_DIR || join(env.XDG_CACHE_HOME || join(home, ".cache"), "pip"),
    join(cargo, "registry"),
    join(cargo, "git"),
  ];
}

/**
 * Tries, once, what a sandbox needs: unshare and nsenter (util-linux), a private mount
 * namespace (root) or a user namespace (anyone else, where the kernel allows it), and an
 * overlay whose upper layer lives under `scratch`. The reason says what is missing.
 */
export function detectSandbox(scratch: string, network: SandboxNetwork): SandboxSupport {
  if (process.platform !== "linux") return { ok: false, reason: `needs Linux (this is ${process.platform})` };
  const unshare = which("unshare");
  const nsenter = which("nsenter");
  if (!unshare || !nsenter) return { ok: false, reason: "unshare/nsenter not found (util-linux)" };
  // Without the Perl server the helper is a shell script, which raises loopback with ip(8).
  if (
    network === "none" &&
    !SandboxServer.possible(which("perl")) &&
    !which("ip", `${process.env.PATH}:/usr/sbin:/sbin`)
  )
    return { ok: false, reason: "--network none needs Perl or 'ip' (iproute2) to bring up loopback" };
  const userns = process.getuid?.() !== 0;
  mkdirSync(scratch, { recursive: true });
  const dir = mkdtempSync(join(scratch, "probe-"));
  try {
    const probe = (volatile: boolean) => {
      const d = mkdtempSync(join(dir, "o-"));
      for (const x of ["u", "w", "m"]) mkdirSync(join(d, x));
      const script = `mount -t overlay slipway-probe -o "$2lowerdir=/usr,upperdir=$1/u,workdir=$1/w" "$1/m" && touch "$1/m/.slipway-probe"`;
      const ns = userns ? ["-U", "-r"] : [];
      const args = [...ns, "-m", "--propagation", "private", "sh", "-c", script, "sh", d];
      return spawnSync(unshare, [...args, overlayOptions({ userns, volatile })], {
        encoding: "utf8",
        timeout: 10_000,
      });
    };
    // Kernels before 5.10 do not know "volatile": then the layer is synced like any folder.
    let volatile = true;
    let r = probe(true);
    if (r.status !== 0) {
      volatile = false;
      r = probe(false);
    }
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || "").trim().split("\n")[0];
      return {
        ok: false,
        reason: userns
          ? `no unprivileged user namespace with overlayfs here (${why}); run as root or allow user namespaces (kernel >= 5.11)`
          : `overlayfs in a private mount namespace failed (${why})`,
      };
    }
    return { ok: true, userns, volatile, unshare, nsenter };
  } finally {
    openWorkDirs(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * overlayfs leaves folders of mode 000 in its work dirs (work/, work/incompat/volatile/);
 * without root, rm needs them opened first. Only work-dir trees come here: they are small.
 */
function openWorkDirs(dir: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    try {
      chmodSync(dir, 0o700);
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
  }
  for (const e of entries) if (e.isDirectory()) openWorkDirs(join(dir, e.name));
}

/**
 * Runs each job in its own sandbox: the host's file system is visible, but every write
 * outside the workspace, RUNNER_TEMP, the tool cache and the package download caches goes
 * to a per-job layer that is thrown away at job end (GitHub gives each job a fresh
 * machine). Optionally without network. Steps are started by the host executor, wrapped
 * in nsenter, so they keep its fast fork server and its process handling.
 */
export class SandboxExecutor implements Executor {
  readonly name = "sandbox";
  private host = new HostExecutor();
  /** Helpers alive, for abandon(). */
  private helpers = new Set<Helper>();
  /** Forks each job's helper; undefined without Perl (then helpers start one by one). */
  private server: SandboxServer | undefined;
  /** Layers being removed after their job (see cleanupJob). */
  private removals = new Set<Promise<void>>();

  constructor(
    private support: Extract<SandboxSupport, { ok: true }>,
    private network: SandboxNetwork,
    private caches: string[] = sharedCaches(),
    perl = which("perl"),
  ) {
    this.server = SandboxServer.start(perl);
  }

  /** The run header's words for it. */
  describe(): string {
    return `sandbox (overlay${this.support.userns ? " in a user namespace" : ""}, network: ${this.network})`;
  }

  prefetch(spec: PrepareSpec): void {
    this.host.prefetch(spec);
  }

  /**
   * The job's folders are bound through as the run's whole work folder (wherever the host
   * executor puts workspace and temp in it), so the helper starts while the host executor
   * prepares them. The layers live in that folder too, hidden inside the sandbox.
   */
  async prepareJob(spec: PrepareSpec): Promise<JobSpace> {
    const layers = join(spec.workRoot, "_layers");
    const layer = join(layers, spec.jobKey);
    // A cache is shared only where its tool has a home here (~/.npm, ~/.cache, ~/.cargo):
    // Slipway makes no ~/.cargo on a machine without Rust.
    const caches = this.caches.filter((c) => existsSync(dirname(c)));
    const keep = [spec.workRoot, spec.toolCache, ...this.host.jobFolderRoots(spec), ...caches];
    if (spec.bind || !spec.sha) keep.push(spec.repoRoot);
    for (const k of keep) mkdirSync(k, { recursive: true });
    const start = (extra: string[]) => {
      const plan = planSandbox(
        {
          layer: extra.length ? `${layer}-2` : layer,
          keep: [...keep, ...extra],
          hide: [layers],
          networkNone: this.network === "none",
          userns: this.support.userns,
          volatile: this.support.volatile,
        },
        hostTree(),
      );
      makeRoot(plan);
      return this.startHelper(plan);
    };
    const [space, helper] = await Promise.allSettled([this.host.prepareJob(spec), start([])]);
    if (space.status === "rejected") {
      if (helper.status === "fulfilled") helper.value.kill();
      await this.removeLayers(layer);
      throw space.reason;
    }
    try {
      if (helper.status === "rejected") throw helper.reason;
      // A folder of the job outside the bound ones (a host executor that put it elsewhere):
      // its writes would stay in the layer, so build the sandbox again with it.
      const covered = (p: string) =>
        p.startsWith("/dev/") || keep.some((k) => p === k || p.startsWith(`${k}/`));
      const missing = [space.value.workspace, space.value.temp, space.value.control].filter(
        (p) => !covered(p),
      );
      if (!missing.length) return Object.assign(space.value, { helper: helper.value }) satisfies SandboxSpace;
      helper.value.kill();
      return Object.assign(space.value, { helper: await start(missing) }) satisfies SandboxSpace;
    } catch (e) {
      await this.host.cleanupJob(space.value, spec);
      await this.removeLayers(layer);
      throw e;
    }
  }

  private async removeLayers(layer: string): Promise<void> {
    for (const l of [layer, `${layer}-2`]) {
      if (this.support.userns) openWorkDirs(join(l, "w"));
      await rm(l, { recursive: true, force: true });
    }
  }

  private async startHelper(plan: SandboxPlan): Promise<Helper> {
    const h = this.server
      ? await this.served(plan)
      : await spawnHelper(shellHelper(plan, this.support.unshare));
    this.helpers.add(h);
    h.exited.then(() => this.helpers.delete(h));
    return h;
  }

  private async served(plan: SandboxPlan): Promise<Helper> {
    const { pid, exited } = await this.server!.helper(helperArgs(plan));
    const kill = () => {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    };
    return { pid, root: `/proc/${pid}/root`, kill, exited };
  }

  spawn(spec: SpawnSpec): Promise<SpawnResult> {
    const { helper } = spec.space as SandboxSpace;
    const argv0 = spec.argv[0]!;
    // Look for the command as the sandbox sees it: an earlier step may have installed it
    // into the layer.
    if (!argv0.includes("/")) {
      const inside = (spec.env.PATH ?? "")
        .split(":")
        .filter((d) => d.startsWith("/"))
        .map((d) => helper.root + d)
        .join(":");
      if (!which(argv0, inside))
        return Promise.resolve({ exitCode: 127, aborted: false, startError: `'${argv0}' not found` });
    }
    const argv = [
      this.support.nsenter,
      `--target=${helper.pid}`,
      ...(this.support.userns ? ["--user", "--preserve-credentials"] : []),
      "--mount",
      ...(this.network === "none" ? ["--net"] : []),
      // A path opened through the helper's root: nsenter opens it before it enters.
      `--wd=${helper.root}${spec.cwd}`,
      "--",
      ...spec.argv,
    ];
    return this.host.spawn({ ...spec, argv });
  }

  async cleanupJob(space: JobSpace, spec: PrepareSpec): Promise<void> {
    const { helper } = space as SandboxSpace;
    // A helper that does not report its exit within 2 s is not waited for longer.
    const gone = helper ? within(helper.exited, 2000) : Promise.resolve();
    helper?.kill();
    // Steps' processes go first (host cleanup kills their groups).
    await this.host.cleanupJob(space, spec);
    // The layer goes after the job, off its path: removing folders that are still mount
    // points in the dying namespace makes the kernel detach those mounts there and then
    // (10-40 ms a job, measured), so wait until the helper has gone and do it in the
    // background; close() waits for it.
    const layer = join(spec.workRoot, "_layers", spec.jobKey);
    const done = gone.then(() => this.removeLayers(layer)).catch(() => {});
    this.removals.add(done);
    done.finally(() => this.removals.delete(done));
  }

  async close(): Promise<void> {
    await Promise.all(this.removals);
    this.server?.close();
    await this.host.close();
  }

  /** Synchronous, for a process about to exit: the helpers go, and with them the namespaces. */
  abandon(): void {
    for (const h of this.helpers) h.kill();
    this.server?.close();
    this.host.abandon();
  }
}

/** p, or after ms if it takes longer (the timer holds the process only that long). */
function within(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** A helper of its own (no Perl): unshare(1) and a shell script; it says "ready" on stdout. */
function spawnHelper(command: string[]): Promise<Helper> {
  // It reads stdin until Slipway closes it (or dies): then it exits.
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return new Promise((resolve, reject) => {
    let err = "";
    let out = "";
    child.stderr!.on("data", (d) => {
      err += d;
    });
    child.stdout!.on("data", (d) => {
      out += d;
      const pid = child.pid;
      if (out.includes("ready\n") && pid)
        resolve({ pid, root: `/proc/${pid}/root`, kill: () => child.kill("SIGKILL"), exited });
    });
    child.on("error", (e) => reject(new Error(`sandbox: ${e.message}`)));
    child.on("exit", (code) =>
      reject(
        new Error(
          `sandbox: could not set up the job's sandbox (exit ${code}): ${err.trim() || "no message"}`,
        ),
      ),
    );
  });
}
