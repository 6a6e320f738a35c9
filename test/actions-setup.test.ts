import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

const FIX = join(ROOT, "test/fixtures/actions");
const ARCH = process.arch === "arm64" ? "arm64" : "x64";

function run(repo: string, env: Record<string, string>) {
  const r = slipway(["run", "push", "--json"], repo, env);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
  const out = JSON.parse(r.stdout) as { run: number; jobs: { job: string; result: string }[] };
  const jobs = Object.fromEntries(out.jobs.map((j) => [j.job, j.result]));
  const log = (job: string) => slipway(["logs", String(out.run), job], repo).stdout;
  return { jobs, log };
}

function script(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${text}\n`);
  chmodSync(path, 0o755);
}

/** A Node.js installation laid out as actions/tool-cache does, with an npm of its own. */
function toolCacheNode(toolCache: string): string {
  const root = join(toolCache, "node", process.versions.node, ARCH);
  mkdirSync(join(root, "bin"), { recursive: true });
  // A second name for the running Node.js: same version, another installation.
  try {
    linkSync(process.execPath, join(root, "bin", "node"));
  } catch {
    copyFileSync(process.execPath, join(root, "bin", "node"));
  }
  const npm = join(root, "lib", "node_modules", "npm");
  script(join(npm, "bin", "npm-cli.js"), 'echo "npm of the tool cache"');
  writeFileSync(join(npm, "package.json"), '{"name":"npm","version":"9.9.9"}');
  symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(root, "bin", "npm"));
  return root;
}

const systemNode = existsSync("/usr/bin/node")
  ? /^v(\d+)/.exec(execFileSync("/usr/bin/node", ["--version"], { encoding: "utf8" }))?.[1]
  : undefined;
const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), ".pyenv"), "versions");
const pyenvPython = existsSync(pyenv) ? readdirSync(pyenv).find((v) => /^3\.\d+\.\d+$/.test(v)) : undefined;

describe.runIf(systemNode && process.platform === "linux")("setup-* actions and PATH", () => {
  const xdg = mkdtempSync(join(tmpdir(), "slipway-xdg-"));
  const cached = toolCacheNode(join(xdg, "slipway", "tool-cache"));
  const fake = mkdtempSync(join(tmpdir(), "slipway-fake-bin-"));
  script(join(fake, "python3"), 'echo "fake python3"');
  script(join(fake, "cargo"), 'echo "fake cargo"');
  const repo = tempRepo(join(FIX, "setup-path"), {
    "system-node.txt": `${systemNode}\n`,
    "cached-node.txt": `${process.versions.node}\n`,
    ...(pyenvPython ? { ".python-version": `${pyenvPython}\n` } : {}),
  });
  const r = run(repo, {
    XDG_CACHE_HOME: xdg,
    // The running Node.js is left off PATH: the tool cache's copy of it must still win.
    PATH: `${fake}:/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin`,
  });

  test("a tool in /usr/bin does not put /usr/bin ahead of the folders before it", () => {
    expect(r.jobs["node-system"], r.log("node-system")).toBe("success");
    expect(r.log("node-system")).toMatch(/Put first on PATH: .*_slipway_tools\/node-/);
  });

  test("a Node.js from the tool cache runs with its own npm, and the log names both", () => {
    expect(r.jobs["node-toolcache"], r.log("node-toolcache")).toBe("success");
    const log = r.log("node-toolcache");
    expect(log).toContain(`Using Node.js v${process.versions.node}: ${join(cached, "bin", "node")}`);
    expect(log).toContain(`Using npm 9.9.9: ${join(cached, "bin", "npm")}`);
  });

  test.runIf(existsSync("/usr/local/go/bin/go"))("setup-go keeps the PATH order", () => {
    expect(r.jobs.go, r.log("go")).toBe("success");
    expect(r.log("go")).toMatch(/Using Go \d+\.\d+\.\d+: \/usr\/local\/go\/bin\/go/);
  });

  test.runIf(pyenvPython)("setup-python keeps the PATH order", () => {
    expect(r.jobs.python, r.log("python")).toBe("success");
    expect(r.log("python")).toMatch(/Using Python \d+\.\d+\.\d+: /);
  });
});

const rustup = join(homedir(), ".cargo", "bin", "rustup");
const nightlyClippy =
  existsSync(rustup) &&
  /^clippy/m.test(
    (() => {
      try {
        return execFileSync(rustup, ["component", "list", "--installed", "--toolchain", "nightly"], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        });
      } catch {
        return "";
      }
    })(),
  );

describe.runIf(nightlyClippy)("dtolnay/rust-toolchain refs on a host with nightly and clippy", () => {
  const r = run(
    tempRepo(join(FIX, "rust-refs"), { "rust-toolchain.toml": '[toolchain]\nchannel = "nightly"\n' }),
    {
      XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "slipway-xdg-")),
    },
  );

  test("@clippy is nightly with clippy", () => {
    expect(r.jobs.clippy, r.log("clippy")).toBe("success");
    expect(r.log("clippy")).toMatch(/Using Rust nightly-\S+: rustc \S+.*components clippy/);
  });

  test("@miri asks for miri and rust-src, and says how to add what is missing", () => {
    const log = r.log("miri");
    if (r.jobs.miri === "failure")
      expect(log).toMatch(/component\(s\) .*not installed for nightly-\S+; run 'rustup component add/);
    else expect(log).toMatch(/components miri, rust-src/);
  });

  test("a rust-toolchain.toml in the repository still chooses the toolchain, as on GitHub", () => {
    expect(r.jobs["toolchain-file"], r.log("toolchain-file")).toBe("success");
  });
});
