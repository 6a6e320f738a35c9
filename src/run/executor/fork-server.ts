import { type ChildProcess, spawn } from "node:child_process";
import { which } from "../shells.js";

/** What a launched process reports, from Node's own spawn or from the fork server. */
export interface ProcessSink {
  pid(pid: number): void;
  /** `chunk` is valid during the call only (the fork server reuses its buffer): copy to keep. */
  data(stream: "stdout" | "stderr", chunk: Buffer): void;
  eof(stream: "stdout" | "stderr"): void;
  exit(code: number): void;
  /** True while output already read waits to be written: reading pauses (backpressure). */
  hold?(): boolean;
}

export interface Launch {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

// The server's source: see the protocol in its header. Kept here, not in a .pl file, so
// the bundle stays one file.
const SCRIPT = String.raw`# Slipway's fork server: starts step processes for the host executor. A fork from this
# small process costs a fraction of one from Node, whose cost grows with its memory.
# Requests on stdin: "S id len\n" and len bytes of NUL-separated fields (none can hold a
# NUL): cwd, argc, argv..., env as NAME=value...
# Replies on stdout:
#   P id pid\n            started (own session: pid is the process group)
#   O id len\n<bytes>     stdout chunk;   E id len\n<bytes>  stderr chunk
#   C id O|E\n            that stream reached end of file
#   X id status\n         exited: the exit code, or 128 + signal
# Also "F pgid 0\n": that process group is Slipway's no more (its job ended).
# When Slipway goes away (stdin reaches end of file, even after kill -9), the server kills
# every process group it started and every process whose environment carries this run's
# RUNNER_TRACKING_ID prefix (the first argument), then exits: nothing outlives the run.
use strict;
use warnings;
use IO::Handle;
use IO::Select;
use POSIX qw(setsid _exit WNOHANG);

binmode STDOUT;
my $sel = IO::Select->new(\*STDIN);
my %pipe;    # fileno -> [id, "O"|"E", handle]
my %pid;     # pid -> id
my $in = "";
my $out = "";    # replies of one turn of the loop, written at once: fewer wake-ups for Node

my $wsel = IO::Select->new(\*STDOUT);
my $tag = $ARGV[0] // "";
my $poll = $ARGV[1] // 0.05;    # seconds; 0: none (tests prove exits are not missed)
my %group;    # process groups started and not yet forgotten

# Kills what this run started: its process groups, then any process that left them
# (setsid, double fork) but still carries the run's tracking id.
sub end_all {
  kill "KILL", -$_ for keys %group;
  if (length $tag && opendir(my $d, "/proc")) {
    for my $p (readdir $d) {
      next unless $p =~ /^\d+$/ && $p != $$;
      open(my $f, "<", "/proc/$p/environ") or next;
      local $/;
      my $e = <$f>;
      close $f;
      kill "KILL", $p if defined $e && $e =~ /(?:^|\0)RUNNER_TRACKING_ID=\Q$tag\E/;
    }
  }
  exit 0;
}

sub flush {
  while (length $out) {
    my $n = syswrite(STDOUT, $out);
    if (!defined $n) {
      # The pipe may be non-blocking (Node made it): wait until Slipway reads.
      if ($!{EAGAIN} || $!{EINTR}) { $wsel->can_write(1); next }
      end_all();    # Slipway went away
    }
    substr($out, 0, $n) = "";
  }
}
# A child's exit wakes the loop through this pipe: a signal that arrives while the loop is
# busy (not in select) would otherwise wait for the next event or the poll timeout.
pipe(my $wake_r, my $wake_w) or die "pipe: $!";
$wake_r->blocking(0);
$wake_w->blocking(0);
$sel->add($wake_r);
$SIG{CHLD} = sub { syswrite($wake_w, "x") };
$SIG{PIPE} = "IGNORE";
$SIG{INT} = "IGNORE";    # Ctrl-C is Slipway's to handle: it cancels steps itself

sub start {
  my ($id, $payload) = @_;
  my ($cwd, $argc, @rest) = split /\0/, $payload, -1;
  my @argv = @rest[0 .. $argc - 1];
  my @env = @rest[$argc .. $#rest];
  pipe(my $or, my $ow) or die "pipe: $!";
  pipe(my $er, my $ew) or die "pipe: $!";
  my $pid = fork();
  if (!defined $pid) {
    $out .= "X $id 127\n";
    return;
  }
  if ($pid == 0) {
    setsid();
    close $or; close $er;
    open(STDIN, "<", "/dev/null");
    open(STDOUT, ">&", $ow); open(STDERR, ">&", $ew);
    close $ow; close $ew;
    close $wake_r; close $wake_w;
    $SIG{PIPE} = "DEFAULT"; $SIG{CHLD} = "DEFAULT"; $SIG{INT} = "DEFAULT";
    %ENV = ();
    for my $kv (@env) { my $i = index($kv, "="); $ENV{substr($kv, 0, $i)} = substr($kv, $i + 1) }
    chdir($cwd) or do { print STDERR "cannot enter $cwd: $!\n"; _exit(127) };
    { no warnings "exec"; exec { $argv[0] } @argv; }
    print STDERR "cannot run $argv[0]: $!\n";
    _exit(127);
  }
  close $ow; close $ew;
  $pid{$pid} = $id;
  $group{$pid} = 1;
  $pipe{fileno $or} = [$id, "O", $or];
  $pipe{fileno $er} = [$id, "E", $er];
  $sel->add($or, $er);
  $out .= "P $id $pid\n";
}

sub reap {
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    my $id = delete $pid{$pid};
    next unless defined $id;
    my $st = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    $out .= "X $id $st\n";
  }
}

while (1) {
  # The wake pipe covers exits while the loop runs; the short poll covers a signal caught
  # in the instant between Perl's last check and the select call itself.
  my @ready = $sel->can_read(%pid && $poll ? $poll : undef);
  reap();
  for my $h (@ready) {
    if (fileno($h) == fileno($wake_r)) {
      1 while sysread($wake_r, my $drain, 4096);
      next;
    }
    if (fileno($h) == fileno(STDIN)) {
      my $n = sysread(STDIN, my $buf, 65536);
      end_all() unless $n;    # Slipway went away
      $in .= $buf;
      while ((my $nl = index($in, "\n")) >= 0) {
        my ($kind, $id, $len) = split / /, substr($in, 0, $nl);
        last if length($in) < $nl + 1 + $len;
        if ($kind eq "F") { delete $group{$id} }
        else { start($id, substr($in, $nl + 1, $len)) }
        $in = substr($in, $nl + 1 + $len);
      }
      next;
    }
    my $p = $pipe{fileno $h};
    my $n = sysread($h, my $buf, 65536);
    if ($n) {
      $out .= "$p->[1] $p->[0] " . length($buf) . "\n" . $buf;
    } else {
      $out .= "C $p->[0] $p->[1]\n";
      delete $pipe{fileno $h};
      $sel->remove($h);
      close $h;
    }
  }
  reap();
  flush();
}
`;

/**
 * A small Perl process that forks step processes for us. Node forks its whole address
 * space for every child (2-5 ms here, growing with memory); Perl forks in about 0.3 ms.
 * Output comes back framed over the server's stdout.
 */
export class ForkServer {
  private child: ChildProcess;
  private sinks = new Map<string, ProcessSink>();
  /** Per process: how many of its three ends (stdout, stderr, exit) have been seen. */
  private pending = new Map<string, number>();
  private acc: Buffer = Buffer.allocUnsafe(1 << 18);
  /** The unread replies: acc[start, end). */
  private start = 0;
  private end = 0;
  private nextId = 0;
  private dead = false;
  private held = false;

  private constructor(perl: string, tag: string, poll?: number) {
    const args = ["-e", SCRIPT, tag, ...(poll === undefined ? [] : [String(poll)])];
    this.child = spawn(perl, args, { stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdout!.on("data", (d: Buffer) => this.read(d));
    this.child.on("exit", () => this.die());
    this.child.on("error", () => this.die());
    this.child.stdin!.on("error", () => this.die());
    this.idle(true);
  }

  /** Idle, it must not keep Slipway alive; busy, its replies must. */
  private idle(yes: boolean): void {
    const m = yes ? "unref" : "ref";
    this.child[m]();
    (this.child.stdout as unknown as Record<string, (() => void) | undefined>)[m]?.();
    (this.child.stdin as unknown as Record<string, (() => void) | undefined>)[m]?.();
  }

  /**
   * A server when Perl is installed and not turned off with SLIPWAY_FORK_SERVER=0. `tag`:
   * the RUNNER_TRACKING_ID prefix of this run's processes, killed when Slipway dies;
   * `poll`: seconds between checks for exits the server may have missed (0: none).
   */
  static start(tag = "", poll?: number): ForkServer | undefined {
    if (process.env.SLIPWAY_FORK_SERVER === "0") return undefined;
    const perl = which("perl");
    return perl ? new ForkServer(perl, tag, poll) : undefined;
  }

  /** The server's own pid (tests kill it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The process group is gone (its job ended): the server must not kill it later. */
  forget(pgid: number): void {
    if (!this.dead) this.child.stdin!.write(`F ${pgid} 0\n`);
  }

  /**
   * Stops reading step output until `ready` says so: the server then stops reading the
   * steps' pipes and the steps block on write, so output waits in the kernel, not here.
   */
  hold(ready: () => boolean): void {
    if (this.held || this.dead) return;
    this.held = true;
    this.child.stdout!.pause();
    const check = () => {
      if (!ready() && !this.dead) return void setTimeout(check, 5);
      this.held = false;
      this.child.stdout!.resume();
    };
    setTimeout(check, 5);
  }

  get alive(): boolean {
    return !this.dead;
  }

  launch(l: Launch, sink: ProcessSink): void {
    const id = String(++this.nextId);
    if (!this.sinks.size) this.idle(false);
    this.sinks.set(id, sink);
    const fields = [l.cwd, String(l.argv.length), ...l.argv];
    for (const k in l.env) fields.push(`${k}=${l.env[k]}`);
    // No field can hold a NUL (the kernel would cut it there): they separate the fields.
    const payload = Buffer.from(fields.map((f) => f.replaceAll("\0", "")).join("\0"), "utf8");
    this.child.stdin!.write(`S ${id} ${payload.length}\n`);
    this.child.stdin!.write(payload);
  }

  close(): void {
    this.dead = true;
    this.child.stdin!.end();
  }

  private die(): void {
    if (this.dead && this.sinks.size === 0) return;
    this.dead = true;
    // Whatever was running can no longer be watched: report it as failed.
    for (const s of this.sinks.values()) {
      s.data(
        "stderr",
        Buffer.from("slipway: the process that started this step (Perl fork server) stopped\n"),
      );
      s.eof("stdout");
      s.eof("stderr");
      s.exit(1);
    }
    this.sinks.clear();
    this.idle(true);
  }

  /**
   * Replies are gathered in one reused buffer, not a new one per read: 1 GB of step output
   * would otherwise allocate gigabytes of short-lived buffers (memory the process keeps).
   */
  private read(d: Buffer): void {
    if (this.end + d.length > this.acc.length) {
      const used = this.end - this.start;
      if (used + d.length > this.acc.length) {
        const bigger = Buffer.allocUnsafe(Math.max(this.acc.length * 2, used + d.length));
        this.acc.copy(bigger, 0, this.start, this.end);
        this.acc = bigger;
      } else this.acc.copyWithin(0, this.start, this.end);
      this.start = 0;
      this.end = used;
    }
    d.copy(this.acc, this.end);
    this.end += d.length;
    for (;;) {
      const nl = this.acc.subarray(this.start, this.end).indexOf(10);
      if (nl < 0) break;
      const head = this.start;
      const [kind, id, arg] = this.acc.toString("latin1", head, head + nl).split(" ");
      const sink = this.sinks.get(id!);
      if (kind === "O" || kind === "E") {
        const len = Number(arg);
        if (this.end - head < nl + 1 + len) break; // the rest of the chunk is still coming
        this.start = head + nl + 1 + len;
        sink?.data(kind === "O" ? "stdout" : "stderr", this.acc.subarray(head + nl + 1, this.start));
        if (sink?.hold?.()) this.hold(() => !sink.hold!());
        continue;
      }
      this.start = head + nl + 1;
      if (!sink) continue;
      if (kind === "P") sink.pid(Number(arg));
      else if (kind === "C") sink.eof(arg === "O" ? "stdout" : "stderr");
      else if (kind === "X") sink.exit(Number(arg));
      // Output can follow the exit (the server reaps before it drains the pipes).
      if (kind === "C" || kind === "X") {
        const n = (this.pending.get(id!) ?? 0) + 1;
        if (n === 3) {
          this.pending.delete(id!);
          this.sinks.delete(id!);
          if (!this.sinks.size) this.idle(true);
        } else this.pending.set(id!, n);
      }
    }
    if (this.start === this.end) this.start = this.end = 0;
  }
}
