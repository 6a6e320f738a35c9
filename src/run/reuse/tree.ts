// What a commit holds, from git's own hashes: its tree id, or the blob ids of the files a job
// declares as inputs. Nothing is read but git's index of the commit; each commit is asked once.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import picomatch from "picomatch";

export class RepoTree {
  private trees = new Map<string, string>();
  private listings = new Map<string, [string, string][]>();

  constructor(private readonly root: string) {}

  private git(args: string[]): string {
    return execFileSync("git", args, { cwd: this.root, encoding: "utf8", maxBuffer: 1 << 30 });
  }

  /** The commit's tree id. */
  treeOf(sha: string): string {
    let t = this.trees.get(sha);
    if (t === undefined) {
      t = this.git(["rev-parse", `${sha}^{tree}`]).trim();
      this.trees.set(sha, t);
    }
    return t;
  }

  /** Every file of the commit: [path, blob id], sorted by path. */
  listing(sha: string): [string, string][] {
    let l = this.listings.get(sha);
    if (!l) {
      l = [];
      for (const entry of this.git(["ls-tree", "-r", "-z", "--full-tree", sha]).split("\0")) {
        // <mode> SP <type> SP <object> TAB <path>
        const tab = entry.indexOf("\t");
        if (tab < 0) continue;
        const [, , id] = entry.slice(0, tab).split(" ");
        l.push([entry.slice(tab + 1), id!]);
      }
      this.listings.set(sha, l);
    }
    return l;
  }

  /** One hash of the files matching the globs (paths and blob ids): it changes when one of them does. */
  files(sha: string, globs: readonly string[]): string {
    const match = picomatch(globs as string[], { dot: true });
    const h = createHash("sha256");
    for (const [path, id] of this.listing(sha)) if (match(path)) h.update(`${path}\0${id}\n`);
    return h.digest("hex");
  }
}
