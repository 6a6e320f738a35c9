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

// The system call numbers Perl needs: mount, umount2, pivot_root, unshare.
const SYSCALLS: Record<string, [number, number, number, number]> = {
  x64: [165, 166, 155, 272],
  arm64: [40, 39, 41, 97],
};

/**
 * The helper as one Perl process making the calls itself: ~25 `mount` processes from a
 * shell cost ~90 ms a job, this ~5 ms. It enters its own namespaces (no exec after, so it
 * keeps the capabilities a new user namespace gives, and the user can stay who they are
 * inside: uid mapped to itself), mounts, raises loopback with an ioctl (no `ip` needed),
 * pivots and waits. The mounts come as arguments (no quoting).
 */
const PERL = String.raw`use strict;    # no other modules: each costs milliseconds per job
my ($MOUNT, $UMOUNT, $PIVOT, $UNSHARE, $userns, $net, $opt, $root, @ops) = @ARGV;
my ($uid, $gid) = ($<, $( + 0);
my $flags = 0x20000 | ($userns ? 0x10000000 : 0) | ($net ? 0x40000000 : 0);
syscall($UNSHARE + 0, $flags) == 0 or die "unshare: $!
";
sub put { my ($f, $t) = @_; open(my $h, ">", $f) or die "$f: $!
"; print $h $t; close $h or die "$f: $!
" }
if ($userns) { put("/proc/self/setgroups", "deny"); put("/proc/self/uid_map", "$uid $uid 1"); put("/proc/self/gid_map", "$gid $gid 1") }
sub mnt { my ($s, $t, $type, $flags, $data) = @_; syscall($MOUNT + 0, $s, $t, $type, $flags + 0, $data) == 0 }
sub mkp { my $p = shift; return if -d $p; (my $up = $p) =~ s{/[^/]+$}{}; mkp($up) if length $up; mkdir $p }
# Nothing mounted here may reach the host: every mount private (MS_REC | MS_PRIVATE).
mnt("none", "/", "none", 0x4000 | 0x40000, 0) or die "private mounts: $!
";
my $BIND = 0x1000 | 0x4000;
mnt($root, $root, "none", $BIND, 0) or die "bind $root: $!
";
while (@ops) {
  my $k = shift @ops;
  if ($k eq "O") {
    my ($l, $u, $w, $t) = splice(@ops, 0, 4);
    mnt("slipway-layer", $t, "overlay", 0, $opt . "lowerdir=$l,upperdir=$u,workdir=$w")
      or mnt($l, $t, "none", $BIND, 0) or die "overlay $l: $!
";
  } elsif ($k eq "H") {
    my $t = shift @ops;
    mnt("slipway-hidden", $t, "tmpfs", 1, "size=4k") or die "hide $t: $!\n";
  } else {
    my ($s, $t) = splice(@ops, 0, 2);
    mkp($t) if $k eq "K" && !-e $t;
    mnt($s, $t, "none", $BIND, 0) or die "bind $s: $!
";
  }
}
if ($net) {
  # SIOCGIFFLAGS / SIOCSIFFLAGS on "lo" with IFF_UP: struct ifreq is 40 bytes.
  socket(my $sock, 2, 2, 0) or die "socket: $!
";
  my $ifr = pack("a16 s x22", "lo", 0);
  ioctl($sock, 0x8913, $ifr) or die "loopback: $!
";
  $ifr = pack("a16 s x22", "lo", unpack("x16 s", $ifr) | 1);
  ioctl($sock, 0x8914, $ifr) or die "loopback up: $!
";
}
chdir $root or die "$root: $!
";
my ($new, $old) = (".", ".");    # syscall may write to its string arguments: no literals
syscall($PIVOT + 0, $new, $old) == 0 or die "pivot_root: $!
";
syscall($UMOUNT + 0, $new, 2) == 0 or die "umount old root: $!
";
chdir "/";
$| = 1;
print "ready
";
while (sysread(STDIN, my $b, 4096)) {}
`;

function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The same steps with mount(8), where there is no Perl or the system call numbers are unknown. */
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

export interface HelperTools {
  /** Perl: the fast path. */
  perl?: string;
  /** util-linux unshare: the fallback with mount(8). */
  unshare: string;
  arch?: string;
}

/**
 * The command that enters new namespaces, builds the sandbox and then holds it open.
 * Without Perl (or on an architecture whose call numbers we do not know): unshare(1) and
 * mount(8), where a user without root is root inside.
 */
export function helperCommand(plan: SandboxPlan, tools: HelperTools): string[] {
  const calls = SYSCALLS[tools.arch ?? process.arch];
  const { userns, networkNone } = plan.layout;
  if (!tools.perl || !calls)
    return [
      tools.unshare,
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
  const ops: string[] = [];
  for (const m of plan.mounts) {
    if (m.kind === "overlay") ops.push("O", m.lower, m.upper, m.work, m.target);
    else if (m.kind === "hide") ops.push("H", m.target);
    else ops.push(m.kind === "keep" ? "K" : "B", m.source, m.target);
  }
  return [
    tools.perl,
    "-e",
    PERL,
    ...calls.map(String),
    userns ? "1" : "",
    networkNone ? "1" : "",
    overlayOptions(plan.layout),
    plan.root,
    ...ops,
  ];
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
