import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

const FIX = join(ROOT, "test/fixtures/actions");

const xdg = () => mkdtempSync(join(tmpdir(), "slipway-xdg-"));

function run(repo: string, args: string[], env: Record<string, string>) {
  // --no-reuse: these runs repeat on purpose, to see what the actions do the second time.
  const r = slipway(["run", "push", "--json", "--no-reuse", ...args], repo, env);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
  const out = JSON.parse(r.stdout) as {
    run: number;
    result: string;
    jobs: { job: string; result: string }[];
  };
  const jobs = Object.fromEntries(out.jobs.map((j) => [j.job, j.result]));
  const log = (job: string) => slipway(["logs", String(out.run), job], repo).stdout;
  return { ...r, jobs, log };
}

const git = (cwd: string, ...a: string[]) => execFileSync("git", a, { cwd, encoding: "utf8" }).trim();

describe("actions/cache", () => {
  test("miss, save at post, exact hit, restore-keys prefix, exclusions, no save on failure", () => {
    const repo = tempRepo(join(FIX, "cache"));
    const env = { XDG_CACHE_HOME: xdg() };
    const first = run(repo, ["-j", "build"], env);
    expect(first.jobs.build).toBe("success");
    const l1 = first.log("build");
    expect(l1).toContain("built-in actions/cache@v4");
    expect(l1).toContain("hit=false matched=");
    expect(l1).toMatch(/Cache saved with key: deps-Linux-[0-9a-f]{64}/);

    const second = run(repo, ["-j", "build"], env);
    const l2 = second.log("build");
    expect(l2).toMatch(/hit=true matched=deps-Linux-/);
    expect(l2).toContain("restored: built from v1");
    expect(l2).toContain("the post step will not save");

    // A new lock file: the primary key misses, the restore key finds the old entry.
    writeFileSync(join(repo, "lock.txt"), "v2\n");
    git(repo, "commit", "-qam", "v2");
    const third = run(repo, ["-j", "build"], { ...env, FAIL_JOB: "yes" });
    const l3 = third.log("build");
    expect(l3).toMatch(/hit=false matched=deps-Linux-/);
    expect(l3).toContain("restored: built from v1");
    expect(third.jobs.build).toBe("failure");
    expect(l3).not.toContain("Cache saved");
  });

  test("lookup-only, fail-on-cache-miss, cache/save", () => {
    const repo = tempRepo(join(FIX, "cache"));
    const env = { XDG_CACHE_HOME: xdg() };
    run(repo, ["-j", "build"], env);
    const r = run(repo, ["-j", "lookup"], env);
    expect(r.jobs.lookup).toBe("success");
    const l = r.log("lookup");
    expect(l).toContain("lookup hit=true");
    expect(l).toContain("lookup-only: not restored");
    expect(l).toMatch(/Cache saved with key: explicit-/);
    const strict = run(repo, ["-j", "lookup", "--env", "STRICT=yes"], env);
    expect(strict.jobs.lookup).toBe("failure");
    expect(strict.log("lookup")).toMatch(/fail-on-cache-miss.*Input key: never-saved/);
  });

  test("bad input: path outside allowed roots, bad hashFiles pattern, missing key", () => {
    const repo = tempRepo(join(FIX, "cache-bad"));
    const r = run(repo, [], { XDG_CACHE_HOME: xdg() });
    expect(r.jobs).toEqual({ outside: "failure", "bad-hash": "failure", "no-key": "failure" });
    expect(r.log("outside")).toMatch(
      /cache etc: cache path '\/etc\/ssl' is outside the folders a cache may use/,
    );
    expect(r.log("bad-hash")).toMatch(/bad pattern: .*hashFiles\('\/etc\/passwd'\).*outside the workspace/);
    expect(r.log("no-key")).toMatch(/Input required and not supplied: key/);
  });
});

describe("artifacts", () => {
  const repo = tempRepo(join(FIX, "artifacts"));
  const r = run(repo, [], { XDG_CACHE_HOME: xdg() });

  test("upload (LCA root, hidden files left out) and download by name, all, pattern + merge", () => {
    expect(r.jobs.upload).toBe("success");
    expect(r.jobs.download).toBe("success");
    expect(r.log("upload")).toMatch(/Artifact 'build' stored: 2 file\(s\).*root .*\/out, kept 5 day\(s\)/);
  });
  test("a name clash fails, overwrite: true replaces", () => {
    expect(r.jobs.clash).toBe("failure");
    expect(r.log("clash")).toMatch(/upload same name: an artifact named 'build' already exists in this run/);
    expect(r.jobs.overwrite).toBe("success");
  });
  test("if-no-files-found: error, and a missing artifact", () => {
    expect(r.jobs["empty-error"]).toBe("failure");
    expect(r.log("empty-error")).toMatch(
      /nothing to upload: No files were found with the provided path: nope\/\*/,
    );
    expect(r.jobs["missing-download"]).toBe("failure");
    expect(r.log("missing-download")).toMatch(/Artifact not found for name: not-there/);
  });
  test("slipway artifacts lists them", () => {
    const list = slipway(["artifacts"], repo);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/build {2}2 file\(s\).*job upload, kept 5 day\(s\)/);
    expect(list.stdout).toMatch(/single {2}1 file\(s\).*job overwrite/);
    const json = JSON.parse(slipway(["artifacts", "--json"], repo).stdout) as {
      name: string;
      path: string;
    }[];
    expect(json.map((a) => a.name).sort()).toEqual(["build", "part-a", "single"]);
    expect(readdirSync(json.find((a) => a.name === "single")!.path)).toEqual(["f.txt"]);
  });
});

describe("actions/checkout", () => {
  function repoWithHistory(): string {
    const lib = tempRepo(undefined, { "lib.txt": "library\n" });
    const repo = tempRepo(join(FIX, "checkout"), { "version.txt": "one\n" });
    git(repo, "tag", "v1");
    writeFileSync(join(repo, "version.txt"), "two\n");
    git(repo, "commit", "-qam", "two");
    git(repo, "-c", "protocol.file.allow=always", "submodule", "-q", "add", lib, "lib");
    git(repo, "commit", "-qm", "submodule");
    return repo;
  }
  const repo = repoWithHistory();
  const r = run(repo, [], { XDG_CACHE_HOME: xdg() });

  test("default: event commit, depth 1, on the branch, cleaned", () => {
    expect(r.jobs.default).toBe("success");
    expect(r.log("default")).toContain("built-in actions/checkout@v4");
  });
  test("fetch-depth 0 has history and tags; persist-credentials is noted", () => {
    expect(r.jobs.full).toBe("success");
    expect(r.log("full")).not.toContain("persist-credentials: ignored");
    expect(r.log("default")).toContain("persist-credentials: ignored");
  });
  test("ref and path", () => expect(r.jobs["other-ref"]).toBe("success"));
  test("submodules from local git", () => expect(r.jobs.submodule).toBe("success"));
  test("a bad ref and another repository fail clearly", () => {
    expect(r.log("bad-ref")).toMatch(/checkout nowhere: ref 'no-such-branch' is not a branch, tag or commit/);
    expect(r.log("other-repo")).toMatch(/repository 'octo\/other' is not the repository this run is for/);
  });
});

describe("setup actions use the host's toolchains", () => {
  const hostPy = execFileSync("python3", ["-c", "import sys;print('%d.%d'%sys.version_info[:2])"], {
    encoding: "utf8",
  }).trim();
  const nodeMajor = process.versions.node.split(".")[0]!;
  const javaOut = (() => {
    try {
      return (
        execFileSync("java", ["-version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) || ""
      );
    } catch {
      return "";
    }
  })();
  const repo = tempRepo(join(FIX, "setup"), { ".python-version": `${hostPy}\n`, ".nvmrc": `${nodeMajor}\n` });
  const java =
    /version "(\d+)/.exec(
      execFileSync("sh", ["-c", "java -version 2>&1 || true"], { encoding: "utf8" }),
    )?.[1] ?? "17";
  const r = run(repo, [], {
    XDG_CACHE_HOME: xdg(),
    PATH: `${join(process.execPath, "..")}:${process.env.PATH}`,
    PY_WANT: `${hostPy}`,
    JAVA_WANT: java,
  });
  void javaOut;

  test("setup-python: version range, .python-version, python and pip on PATH", () => {
    expect(r.jobs.python).toBe("success");
    expect(r.jobs["python-file"]).toBe("success");
  });
  test("setup-node: .nvmrc, registry-url", () => expect(r.jobs.node).toBe("success"));
  test("missing versions fail with what was found", () => {
    expect(r.log("node-missing")).toMatch(
      /ancient node: Node\.js 4\.x is not installed on this machine.*Found: .*v?\d+\.\d+\.\d+/,
    );
    // The hint names the tool cache, the first place searched (it used to name the last, e.g. volta).
    expect(r.log("node-missing")).toMatch(
      /Install it, or unpack it into \S*tool-cache\/node\/<version>\/x64\./,
    );
    expect(r.log("go-missing")).toMatch(/Go 1\.0\.1 is not installed on this machine/);
    expect(r.log("rust-missing")).toMatch(
      /Rust toolchain '1\.2\.0' is not installed|rustup is not installed/,
    );
  });
  test.runIf(existsSync("/usr/bin/java") || !!process.env.JAVA_HOME)("setup-java", () =>
    expect(r.jobs.java).toBe("success"),
  );
  test.runIf(existsSync(join(homedir(), ".cargo/bin/rustup")))("dtolnay/rust-toolchain@stable", () =>
    expect(r.jobs.rust).toBe("success"),
  );
  test("setup-uv: used when installed, a clear failure when not", () => {
    if (r.jobs.uv === "failure")
      expect(r.log("uv")).toMatch(/uv \(any version\) is not installed on this machine/);
    else expect(r.jobs.uv).toBe("success");
  });
});
