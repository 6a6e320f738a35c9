// A repository the server fetches (`--repo URL-or-path`): a clone of its own, brought up to
// date before each run and checked out at the run's commit, so the workflows that run are the
// ones of that commit (as on GitHub), not whatever a working tree holds. Polling compares the
// remote's branches and tags with the last fetch and makes push events of what moved.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";

const git = (cwd: string, ...args: string[]) =>
  spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 600_000 });

export class MirrorError extends Error {}

export class Mirror {
  readonly root: string;

  constructor(
    readonly source: string,
    dataDir: string,
  ) {
    const name = basename(source.replace(/\/+$/, "")).replace(/\.git$/, "") || "repo";
    this.root = join(dataDir, "repos", name.replace(/[^\w.-]/g, "_"));
  }

  /** Clones it the first time; later starts reuse the clone. */
  open(): void {
    if (existsSync(join(this.root, ".git"))) return;
    mkdirSync(join(this.root, ".."), { recursive: true });
    const r = git(join(this.root, ".."), "clone", "-q", "--no-checkout", this.source, this.root);
    if (r.status !== 0) throw new MirrorError(`cannot clone ${this.source}: ${r.stderr.trim()}`);
    // The run folders and history live in the clone, never in the fetched tree.
    git(this.root, "config", "core.excludesFile", "/dev/null");
    mkdirSync(join(this.root, ".git", "info"), { recursive: true });
    spawnSync("sh", ["-c", "echo .slipway/ >> .git/info/exclude"], { cwd: this.root });
    this.fetch();
    const head = git(this.root, "rev-parse", "-q", "--verify", "origin/HEAD^{commit}").stdout.trim();
    if (head) this.checkout(head);
  }

  /** Branches and tags as the source has them now (branches become local ones, moved by force). */
  fetch(): { ok: boolean; error?: string } {
    const r = git(
      this.root,
      "fetch",
      "-q",
      "--prune",
      "--update-head-ok",
      "origin",
      "+refs/heads/*:refs/heads/*",
      "+refs/tags/*:refs/tags/*",
    );
    git(this.root, "remote", "set-head", "origin", "--auto");
    return r.status === 0 ? { ok: true } : { ok: false, error: r.stderr.trim() };
  }

  /** The working tree at `sha` (detached), the run folders kept. */
  checkout(sha: string): boolean {
    const r = git(this.root, "checkout", "-q", "--detach", "-f", sha);
    if (r.status !== 0) return false;
    git(this.root, "clean", "-q", "-ffdx", "-e", ".slipway");
    return true;
  }

  /** ref → commit of every branch and tag. */
  refs(): Map<string, string> {
    const out = new Map<string, string>();
    // An annotated tag is its commit (peeled), as a push of it names.
    const r = git(
      this.root,
      "for-each-ref",
      "--format=%(refname) %(objectname) %(*objectname)",
      "refs/heads",
      "refs/tags",
    );
    for (const line of r.stdout.split("\n")) {
      const [ref, sha, peeled] = line.split(" ");
      if (ref && sha) out.set(ref, peeled || sha);
    }
    return out;
  }
}

/** What moved between two fetches, as push events (deleted refs are not runs). */
export function pushesBetween(
  before: Map<string, string>,
  after: Map<string, string>,
  repository: string,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [ref, sha] of after) {
    const was = before.get(ref);
    if (was === sha) continue;
    out.push({
      ref,
      before: was ?? "0".repeat(40),
      after: sha,
      created: !was,
      repository: { full_name: repository },
    });
  }
  return out;
}
