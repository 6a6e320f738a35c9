import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";

/**
 * How a job's sandbox is built inside a fresh mount namespace (made by `unshare -m`, plus
 * `-U -r` for a user without root): a new root whose directories are overlays of the
 * host's (reads see the host, writes land in the job's layer), kernel file systems bound
 * as they are, and the folders a job must really write (workspace, RUNNER_TEMP, tool
 * cache, download caches) bound through. The helper then pivots into that root, says
 * "ready" and waits on stdin; steps join it with nsenter.
 *
 * overlayfs does not cross mount points, so every mount point gets its own overlay. Without
 * root the kernel also refuses a lower layer that has mounts below it ("failed to clone
 * lowerpath"): then each directory gets its own overlay, going down only along the paths
 * that hold mounts, over a root folder made on the host.
 */
export interface SandboxLayout {
  /** Job's layer folder on the host: the new root, and upper and work dirs of every overlay. */
  layer: string;
  /** Host folders bound writable at the same path. Must exist. */
  keep: string[];
  /** Folders inside kept ones that the job must not see (covered by an empty read-only tmpfs). */
  hide?: string[];
  /** A new network namespace with only loopback. */
  networkNone: boolean;
  /** In a user namespace (no root): overlays keep their metadata in user.* xattrs. */
  userns: boolean;
  /** The kernel takes "volatile" (>= 5.10): the layer is never synced, it is thrown away. */
  volatile?: boolean;
}

export function overlayOptions(layout: Pick<SandboxLayout, "userns" | "volatile">): string {
  return (layout.userns ? "userxattr," : "") + (layout.volatile ? "volatile," : "");
}

/** What the planner needs to know about the host's tree (a seam for tests). */
export interface HostTree {
  /** Mount points, absolute. */
  mounts: string[];
  entries(dir: string): { name: string; kind: "dir" | "link" | "file"; target?: string }[];
}

export type Mount =
  | { kind: "overlay"; lower: string; upper: string; work: string; target: string }
  /** Bound as it is (kernel file systems, odd paths, files beside mounts). */
  | { kind: "bind"; source: string; target: string }
  /** Bound writable on purpose: the target may have to be made first. */
  | { kind: "keep"; source: string; target: string }
  | { kind: "hide"; target: string };

export interface SandboxPlan {
  root: string;
  /** Made on the host before the namespace: mount points and the layers' folders. */
  dirs: string[];
  files: string[];
  links: [target: string, path: string][];
  mounts: Mount[];
  layout: SandboxLayout;
}

/** Kernel file systems a job sees as they are: processes, devices, sysfs. */
const PASS_THROUGH = new Set(["/proc", "/sys", "/dev"]);

/** Overlay options are comma-separated and lowerdir splits on colons. */
const awkward = (p: string) => /[,:\\\n]/.test(p);

export function planSandbox(layout: SandboxLayout, tree: HostTree): SandboxPlan {
  const root = join(layout.layer, "root");
  const plan: SandboxPlan = { root, dirs: [root], files: [], links: [], mounts: [], layout };
  let n = 0;
  const overlay = (lower: string, target: string) => {
    n++;
    const upper = join(layout.layer, "u", String(n));
    const work = join(layout.layer, "w", String(n));
    plan.dirs.push(upper, work);
    plan.mounts.push({ kind: "overlay", lower, upper, work, target });
  };
  const under = (p: string, dir: string) => p === dir || p.startsWith(dir === "/" ? "/" : `${dir}/`);
  if (!layout.userns) {
    // Root may overlay a mount that has others below it: one overlay per mount point,
    // parents first, is the fewest mount calls (each costs ~0.5 ms).
    const depth = (m: string) => (m === "/" ? 0 : m.split("/").length);
    const mounts = [...new Set(tree.mounts)].sort((a, b) => depth(a) - depth(b));
    const bound: string[] = [];
    for (const m of mounts) {
      if (bound.some((b) => under(m, b))) continue;
      if (PASS_THROUGH.has(m) || awkward(m)) {
        bound.push(m);
        plan.mounts.push({ kind: "bind", source: m, target: root + m });
      } else overlay(m, m === "/" ? root : root + m);
    }
  } else {
    const holdsMounts = (dir: string) => tree.mounts.some((m) => m !== dir && under(m, dir));
    const build = (dir: string) => {
      for (const e of tree.entries(dir)) {
        const p = join(dir, e.name);
        const target = root + p;
        if (e.kind === "link") plan.links.push([e.target!, target]);
        else if (e.kind === "file") {
          plan.files.push(target);
          plan.mounts.push({ kind: "bind", source: p, target });
        } else if (PASS_THROUGH.has(p) || awkward(p)) {
          plan.dirs.push(target);
          plan.mounts.push({ kind: "bind", source: p, target });
        } else if (holdsMounts(p)) {
          plan.dirs.push(target);
          build(p);
        } else {
          plan.dirs.push(target);
          overlay(p, target);
        }
      }
    };
    build("/");
  }
  for (const k of layout.keep) plan.mounts.push({ kind: "keep", source: k, target: root + k });
  for (const h of layout.hide ?? []) plan.mounts.push({ kind: "hide", target: root + h });
  return plan;
}

/** Makes the plan's folders, files and links on the host (cheap calls, no processes). */
export function makeRoot(plan: SandboxPlan): void {
  for (const d of plan.dirs) mkdirSync(d, { recursive: true });
  for (const f of plan.files) closeSync(openSync(f, "a"));
  for (const [target, path] of plan.links) symlinkSync(target, path);
}

function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The sandbox built with mount(8) commands. */
function shellScript(plan: SandboxPlan): string {
  const opts = overlayOptions(plan.layout);
  const r = q(plan.root);
  const lines = ["set -e", `mount --rbind ${r} ${r}`];
  for (const m of plan.mounts) {
    if (m.kind === "hide") lines.push(`mount -t tmpfs -o ro,size=4k slipway-hidden ${q(m.target)}`);
    else if (m.kind === "overlay")
      lines.push(
        `mount -t overlay slipway-layer -o ${opts}lowerdir=${q(m.lower)},upperdir=${q(m.upper)},workdir=${q(m.work)} ${q(m.target)} 2>/dev/null || mount --rbind ${q(m.lower)} ${q(m.target)}`,
      );
    else {
      if (m.kind === "keep") lines.push(`mkdir -p ${q(m.target)}`);
      lines.push(`mount --rbind ${q(m.source)} ${q(m.target)}`);
    }
  }
  if (plan.layout.networkNone) lines.push("ip link set lo up");
  lines.push(`cd ${r}`, "pivot_root . .", "umount -l .", "cd /", "echo ready", "read -r _ || true");
  return lines.join("\n");
}

/**
 * The command that enters new namespaces with unshare(1), builds the sandbox with mount(8)
 * and then holds it open: where the Perl helper server cannot run (see sandbox-server.ts).
 * A user without root is root inside.
 */
export function shellHelper(plan: SandboxPlan, unshare: string): string[] {
  const { userns, networkNone } = plan.layout;
  return [
    unshare,
    ...(userns ? ["-U", "-r"] : []),
    "-m",
    "--propagation",
    "private",
    ...(networkNone ? ["-n"] : []),
    "--",
    "sh",
    "-c",
    shellScript(plan),
  ];
}

/** The plan as the Perl helper server takes it: flags, then one op per mount. */
export function helperArgs(plan: SandboxPlan): string[] {
  const { userns, networkNone } = plan.layout;
  const ops: string[] = [];
  for (const m of plan.mounts) {
    if (m.kind === "overlay") ops.push("O", m.lower, m.upper, m.work, m.target);
    else if (m.kind === "hide") ops.push("H", m.target);
    else ops.push(m.kind === "keep" ? "K" : "B", m.source, m.target);
  }
  return [userns ? "1" : "", networkNone ? "1" : "", overlayOptions(plan.layout), plan.root, ...ops];
}

/** Mount points from /proc/self/mountinfo (field 5, with its octal escapes undone). */
export function mountPoints(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length > 5)
      out.push(f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))));
  }
  return out;
}

/** The real tree of this machine. */
export function hostTree(): HostTree {
  const mounts = mountPoints(readFileSync("/proc/self/mountinfo", "utf8"));
  return {
    mounts,
    entries(dir) {
      const out: ReturnType<HostTree["entries"]> = [];
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return out;
      }
      for (const name of names) {
        const p = join(dir, name);
        try {
          const st = lstatSync(p);
          if (st.isSymbolicLink()) out.push({ name, kind: "link", target: readlinkSync(p) });
          else if (st.isDirectory()) out.push({ name, kind: "dir" });
          else out.push({ name, kind: "file" });
        } catch {}
      }
      return out;
    },
  };
}
