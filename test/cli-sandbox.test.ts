import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { detectSandbox } from "../src/run/executor/sandbox.js";
import { which } from "../src/run/shells.js";
import { BIN, slipway, tempRepo } from "./helpers/cli.js";

const wf = (body: string) => ({ ".github/workflows/ci.yml": body });
const support = detectSandbox(mkdtempSync(join(tmpdir(), "slipway-sbx-")), "host");
// Runs as the user would: no SLIPWAY_SANDBOX from the caller's environment.
const env = { SLIPWAY_SANDBOX: "" };

describe("slipway run: executor choice", () => {
  test("--no-sandbox / --host run on the host and say so", () => {
    const repo = tempRepo(
      undefined,
      wf("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"),
    );
    for (const flag of ["--no-sandbox", "--host"]) {
      const r = slipway(["run", flag], repo, env);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("executor: host (--no-sandbox)");
    }
  });

  test("--network takes host or none; none needs the sandbox", () => {
    const repo = tempRepo(
      undefined,
      wf("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"),
    );
    const bad = slipway(["run", "--network", "wifi"], repo, env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--network expects host or none, got 'wifi'");
    const both = slipway(["run", "--network", "none", "--no-sandbox"], repo, env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--network none needs the sandbox");
  });

  test("where no sandbox can be made the run falls back to the host and says why; --sandbox fails", () => {
    const repo = tempRepo(
      undefined,
      wf("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"),
    );
    // A PATH without util-linux's unshare and nsenter.
    const bin = mkdtempSync(join(tmpdir(), "slipway-path-"));
    for (const tool of ["git", "sh", "bash", "echo", "tar"]) symlinkSync(which(tool)!, join(bin, tool));
    const r = slipway(["run"], repo, { ...env, PATH: bin });
    expect(r.stdout).toContain(
      "executor: host (no sandbox: unshare/nsenter not found (util-linux); jobs can change this machine)",
    );
    expect(r.code).toBe(0);
    const forced = slipway(["run", "--sandbox"], repo, { ...env, PATH: bin });
    expect(forced.stderr).toContain("slipway run: the sandbox cannot run here: unshare/nsenter not found");
    expect(forced.code).toBe(1);
    // Refused before a run folder is made: only the first run's.
    expect(readdirSync(join(repo, ".slipway", "runs"))).toEqual(["1"]);
  });
});

describe.skipIf(!support.ok)("slipway run in the sandbox (the default here)", () => {
  const probe = `/usr/local/slipway-cli-probe-${randomBytes(4).toString("hex")}`;
  afterAll(() => rmSync(probe, { force: true }));

  test("a job's writes to the machine are gone for the next job and after the run; the workspace persists within the job", () => {
    const repo = tempRepo(
      undefined,
      wf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: touch ${probe} && mkdir -p /usr/local/lib/node_modules/slipway-fake && echo built > out.txt
      - run: ls ${probe} /usr/local/lib/node_modules/slipway-fake && cat out.txt
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: test ! -e ${probe} && echo clean
`),
    );
    const r = slipway(["run"], repo, env);
    expect(r.stdout).toMatch(/^executor: sandbox \(overlay.*, network: host\)$/m);
    expect(r.stdout).toContain("| built");
    expect(r.stdout).toContain("| clean");
    expect(r.code).toBe(0);
    expect(existsSync(probe)).toBe(false);
    expect(existsSync("/usr/local/lib/node_modules/slipway-fake")).toBe(false);
  });

  test("--network none: the job cannot reach the network, its own loopback works", () => {
    const repo = tempRepo(
      undefined,
      wf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          ip -o link show | grep -vc ' lo: ' || true
      - run: |
          ip -o link show lo | grep -q UP && echo lo-up
`),
    );
    const r = slipway(["run", "--network", "none"], repo, {
      ...env,
      PATH: `${process.env.PATH}:/usr/sbin:/sbin`,
    });
    expect(r.stdout).toContain("executor: sandbox (overlay, network: none)");
    expect(r.stdout).toContain("| 0");
    expect(r.stdout).toContain("| lo-up");
    expect(r.code).toBe(0);
  });
});

describe.skipIf(!support.ok)("slipway run in the sandbox: real package managers", () => {
  const name = `slipway-probe-${randomBytes(4).toString("hex")}`;
  const cache = mkdtempSync(join(tmpdir(), "slipway-npm-cache-"));
  afterAll(() => {
    // Only if the sandbox failed: the host must not keep the package.
    spawnSync("npm", ["rm", "-g", name], { stdio: "ignore" });
    rmSync(cache, { recursive: true, force: true });
  });

  test.skipIf(!which("npm"))(
    "npm install -g in one job is gone for the next job and the host; npm's download cache is kept",
    () => {
      const repo = tempRepo(undefined, {
        "pkg/package.json": JSON.stringify({ name, version: "1.0.0", bin: { [name]: "cli.js" } }),
        "pkg/cli.js": "#!/usr/bin/env node\nconsole.log('probe ran');\n",
        ".github/workflows/ci.yml": `on: push
jobs:
  install:
    runs-on: ubuntu-latest
    steps:
      - run: cd pkg && npm pack --silent && npm install -g --offline ./${name}-1.0.0.tgz --silent
      - run: ${name}
  after:
    needs: install
    runs-on: ubuntu-latest
    steps:
      - run: command -v ${name} || echo "no ${name}"
`,
      });
      const r = slipway(["run"], repo, { ...env, npm_config_cache: cache });
      expect(r.stdout).toContain("| probe ran");
      expect(r.stdout).toContain(`| no ${name}`);
      expect(r.code).toBe(0);
      const prefix = execFileSync("npm", ["prefix", "-g"], { encoding: "utf8" }).trim();
      expect(existsSync(join(prefix, "lib", "node_modules", name))).toBe(false);
      expect(existsSync(join(prefix, "bin", name))).toBe(false);
      // npm pack / install wrote the tarball into the shared content cache.
      expect(existsSync(join(cache, "_cacache"))).toBe(true);
    },
  );
});

// Without root: the same sandbox in an unprivileged user namespace, the user staying who they are.
const setpriv = which("setpriv");
describe.skipIf(!support.ok || process.getuid?.() !== 0 || !setpriv)(
  "slipway run in the sandbox without root",
  () => {
    test("a user's writes to their home stay in the job; the download cache is kept", () => {
      // A folder the user 'nobody' can reach (the test run's TMPDIR is private to root).
      const base = mkdtempSync("/tmp/slipway-nobody-");
      chmodSync(base, 0o755);
      try {
        const repo = tempRepo(undefined, {
          ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: id -u && mkdir -p ~/.local/lib && echo x > ~/.local/lib/pkg && mkdir -p ~/.npm/_cacache && echo c > ~/.npm/_cacache/entry
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: test ! -e ~/.local/lib/pkg && echo clean
`,
        });
        const home = join(base, "home");
        // A user who has used npm: ~/.npm exists, so its cache is shared.
        execFileSync("mkdir", ["-p", join(home, ".npm")]);
        execFileSync("cp", ["-r", repo, join(base, "repo")]);
        execFileSync("chown", ["-R", "65534:65534", base]);
        const r = spawnSync(
          setpriv!,
          ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, BIN, "run", "--bind"],
          {
            cwd: join(base, "repo"),
            encoding: "utf8",
            env: { HOME: home, PATH: "/usr/local/bin:/usr/bin:/bin", TMPDIR: base, CI: "true" },
          },
        );
        expect(r.stdout).toContain("executor: sandbox (overlay in a user namespace, network: host)");
        expect(r.stdout).toContain("| 65534");
        expect(r.stdout).toContain("| clean");
        expect(r.status).toBe(0);
        expect(existsSync(join(home, ".local"))).toBe(false);
        expect(existsSync(join(home, ".npm", "_cacache", "entry"))).toBe(true);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    });
  },
);
