import { type ChildProcess, spawn } from "node:child_process";

// The system call numbers the server needs: mount, umount2, pivot_root, unshare.
const SYSCALLS: Record<string, [number, number, number, number]> = {
  x64: [165, 166, 155, 272],
  arm64: [40, 39, 41, 97],
};

// The server's source: see the protocol in its header. Kept here, not in a .pl file, so
// the bundle stays one file.
const SCRIPT = String.raw`# Slipway's sandbox server: one per run, it forks a helper per job that enters new
# namespaces, mounts the job's sandbox and holds it open until Slipway kills it. A fork
# from this process costs ~0.5 ms; starting a helper from Node costs ~5 ms more.
# Requests on stdin: "id len\n" and len bytes of NUL-separated fields: userns flag,
# network-none flag, overlay options, the new root, then mounts: O lower upper work target,
# B source target, K source target (made if missing), H target (an empty read-only tmpfs).
# Replies on stdout: "R id pid\n" ready (the helper's pid, for nsenter), "F id message\n"
# failed, "X id\n" the helper exited. On end of stdin (Slipway went away) it kills its
# helpers and exits.
use strict;
use POSIX qw(WNOHANG _exit);
my ($MOUNT, $UMOUNT, $PIVOT, $UNSHARE) = @ARGV;
$| = 1;
$SIG{CHLD} = sub { };    # interrupts the read below, so exits are reported at once
my %kids;                # pid -> id

sub mnt { my ($s, $t, $type, $flags, $data) = @_; syscall($MOUNT + 0, $s, $t, $type, $flags + 0, $data) == 0 }
sub mkp { my $p = shift; return if -d $p; (my $up = $p) =~ s{/[^/]+$}{}; mkp($up) if length $up; mkdir $p }
sub put { my ($f, $t) = @_; open(my $h, ">", $f) or die "$f: $!\n"; print $h $t; close $h or die "$f: $!\n" }

# In the forked helper: no exec after unshare, so it keeps the capabilities a new user
# namespace gives and the user can stay who they are inside (uid mapped to itself).
sub helper {
  my ($userns, $net, $opt, $root, @ops) = @_;
  my ($uid, $gid) = ($<, $( + 0);
  my $flags = 0x20000 | ($userns ? 0x10000000 : 0) | ($net ? 0x40000000 : 0);
  syscall($UNSHARE + 0, $flags) == 0 or die "unshare: $!\n";
  if ($userns) { put("/proc/self/setgroups", "deny"); put("/proc/self/uid_map", "$uid $uid 1"); put("/proc/self/gid_map", "$gid $gid 1") }
  # Nothing mounted here may reach the host: every mount private (MS_REC | MS_PRIVATE).
  mnt("none", "/", "none", 0x4000 | 0x40000, 0) or die "private mounts: $!\n";
  my $BIND = 0x1000 | 0x4000;
  mnt($root, $root, "none", $BIND, 0) or die "bind $root: $!\n";
  while (@ops) {
    my $k = shift @ops;
    if ($k eq "O") {
      my ($l, $u, $w, $t) = splice(@ops, 0, 4);
      # A lower layer the overlay refuses (an odd file system) is bound instead.
      mnt("slipway-layer", $t, "overlay", 0, $opt . "lowerdir=$l,upperdir=$u,workdir=$w")
        or mnt($l, $t, "none", $BIND, 0) or die "overlay $l: $!\n";
    } elsif ($k eq "H") {
      my $t = shift @ops;
      mnt("slipway-hidden", $t, "tmpfs", 1, "size=4k") or die "hide $t: $!\n";
    } else {
      my ($s, $t) = splice(@ops, 0, 2);
      mkp($t) if $k eq "K" && !-e $t;
      mnt($s, $t, "none", $BIND, 0) or die "bind $s: $!\n";
    }
  }
  if ($net) {
    # SIOCGIFFLAGS / SIOCSIFFLAGS on "lo" with IFF_UP (struct ifreq: 40 bytes): no ip(8).
    socket(my $sock, 2, 2, 0) or die "socket: $!\n";
    my $ifr = pack("a16 s x22", "lo", 0);
    ioctl($sock, 0x8913, $ifr) or die "loopback: $!\n";
    $ifr = pack("a16 s x22", "lo", unpack("x16 s", $ifr) | 1);
    ioctl($sock, 0x8914, $ifr) or die "loopback up: $!\n";
  }
  chdir $root or die "$root: $!\n";
  my ($new, $old) = (".", ".");    # syscall may write to its string arguments: no literals
  syscall($PIVOT + 0, $new, $old) == 0 or die "pivot_root: $!\n";
  syscall($UMOUNT + 0, $new, 2) == 0 or die "umount old root: $!\n";
  chdir "/";
}

sub reap {
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    my $id = delete $kids{$pid};
    print "X $id\n" if defined $id;
  }
}

my $in = "";
my $rin = "";
vec($rin, fileno(STDIN), 1) = 1;
while (1) {
  reap();
  # select, unlike read, always returns on a signal; the timeout covers an exit that
  # comes just before it starts.
  next if select(my $rout = $rin, undef, undef, %kids ? 0.25 : undef) <= 0;
  my $n = sysread(STDIN, my $buf, 65536);
  if (!defined $n) { next if $!{EINTR}; last }
  last unless $n;
  $in .= $buf;
  while ((my $nl = index($in, "\n")) >= 0) {
    my ($id, $len) = split / /, substr($in, 0, $nl);
    last if length($in) < $nl + 1 + $len;
    my @args = split /\0/, substr($in, $nl + 1, $len), -1;
    $in = substr($in, $nl + 1 + $len);
    my $pid = fork();
    if (!defined $pid) { print "F $id fork: $!\n"; next }
    if ($pid == 0) {
      $SIG{CHLD} = "DEFAULT";
      close STDIN;
      eval { helper(@args); 1 } or do { (my $e = $@) =~ s/\s+$//; $e =~ s/\n/ /g; print "F $id $e\n"; _exit(1) };
      print "R $id $$\n";
      sleep 1_000_000_000 while 1;
    }
    $kids{$pid} = $id;
  }
}
kill 9, keys %kids;
`;

/** A job's sandbox helper, as the server started it. */
export interface ServedHelper {
  pid: number;
  /** Resolves when the helper has exited (its namespaces go with its last process). */
  exited: Promise<void>;
}

/**
 * The per-run Perl process that forks each job's sandbox helper. Only on architectures
 * whose system call numbers are known; otherwise undefined and helpers start one by one.
 */
export class SandboxServer {
  private child: ChildProcess;
  private pending = new Map<string, { resolve: (h: ServedHelper) => void; reject: (e: Error) => void }>();
  private exits = new Map<string, () => void>();
  private buf = "";
  private nextId = 0;
  private dead = false;

  private constructor(perl: string, calls: number[]) {
    this.child = spawn(perl, ["-e", SCRIPT, ...calls.map(String)], { stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (d: string) => this.read(d));
    this.child.on("exit", () => this.die());
    this.child.on("error", () => this.die());
    this.child.stdin!.on("error", () => this.die());
    // Idle, it must not keep Slipway alive; waiting for a reply, it must (see hold).
    this.child.unref();
    (this.child.stdin as unknown as { unref?(): void }).unref?.();
    this.hold();
  }

  /** Keeps Slipway running while a helper or an exit report is awaited, not longer. */
  private hold(): void {
    const out = this.child.stdout as unknown as { ref?(): void; unref?(): void };
    if (this.pending.size || this.exits.size) out.ref?.();
    else out.unref?.();
  }

  static possible(perl: string | undefined, arch: string = process.arch): boolean {
    return !!perl && arch in SYSCALLS;
  }

  static start(perl: string | undefined, arch: string = process.arch): SandboxServer | undefined {
    return SandboxServer.possible(perl, arch) ? new SandboxServer(perl!, SYSCALLS[arch]!) : undefined;
  }

  /** Builds a sandbox from helperArgs(plan). */
  helper(args: string[]): Promise<ServedHelper> {
    if (this.dead) return Promise.reject(new Error("sandbox: the helper server stopped"));
    const id = String(++this.nextId);
    const payload = Buffer.from(args.join("\0"), "utf8");
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.hold();
      this.child.stdin!.write(`${id} ${payload.length}\n`);
      this.child.stdin!.write(payload);
    });
  }

  close(): void {
    this.dead = true;
    this.child.stdin!.end();
  }

  private read(d: string): void {
    this.buf += d;
    for (let nl = this.buf.indexOf("\n"); nl >= 0; nl = this.buf.indexOf("\n")) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const [kind, id, ...rest] = line.split(" ");
      if (kind === "R") {
        const p = this.pending.get(id!);
        this.pending.delete(id!);
        const exited = new Promise<void>((r) => this.exits.set(id!, r));
        p?.resolve({ pid: Number(rest[0]), exited });
      } else if (kind === "F") {
        this.pending
          .get(id!)
          ?.reject(new Error(`sandbox: could not set up the job's sandbox: ${rest.join(" ")}`));
        this.pending.delete(id!);
      } else if (kind === "X") {
        this.exits.get(id!)?.();
        this.exits.delete(id!);
      }
    }
    this.hold();
  }

  private die(): void {
    this.dead = true;
    for (const p of this.pending.values()) p.reject(new Error("sandbox: the helper server stopped"));
    this.pending.clear();
    // Its helpers were killed with it (or will be by the job's clean-up): none is waited for.
    for (const r of this.exits.values()) r();
    this.exits.clear();
  }
}
