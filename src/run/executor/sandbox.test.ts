import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { which } from "../shells.js";
import { detectSandbox, SandboxExecutor, type SandboxNetwork } from "./sandbox.js";
import { helperArgs, planSandbox, shellHelper } from "./sandbox-mounts.js";
import { SandboxServer } from "./sandbox-server.js";
import type { JobSpace, PrepareSpec } from "./types.js";

describe("planSandbox", () => {
  const tree = {
    // Listed as /proc/self/mountinfo may: not parents first.
    mounts: ["/proc", "/", "/dev", "/dev/shm", "/mnt/a/b"],
    entries(dir: string) {
      const t: Record<string, { name: string; kind: "dir" | "link" | "file"; target?: string }[]> = {
        "/": [
          { name: "bin", kind: "link", target: "usr/bin" },
          { name: "usr", kind: "dir" },
          { name: "proc", kind: "dir" },
          { name: "dev", kind: "dir" },
          { name: "mnt", kind: "dir" },
          { name: ".dockerenv", kind: "file" },
        ],
        "/mnt": [{ name: "a", kind: "dir" }],
        "/mnt/a": [{ name: "b", kind: "dir" }],
      };
      return t[dir] ?? [];
    },
  };
  const plan = planSandbox(
    { layer: "/w/_layers/j", keep: ["/w"], hide: ["/w/_layers"], networkNone: true, userns: false },
    tree,
  );

  const R = "/w/_layers/j/root";

  it("as root: one overlay per mount point, kernel file systems bound, kept folders last", () => {
    expect(plan.mounts).toEqual([
      { kind: "overlay", lower: "/", upper: "/w/_layers/j/u/1", work: "/w/_layers/j/w/1", target: R },
      { kind: "bind", source: "/proc", target: `${R}/proc` },
      { kind: "bind", source: "/dev", target: `${R}/dev` },
      {
        kind: "overlay",
        lower: "/mnt/a/b",
        upper: "/w/_layers/j/u/2",
        work: "/w/_layers/j/w/2",
        target: `${R}/mnt/a/b`,
      },
      { kind: "keep", source: "/w", target: `${R}/w` },
      // The layers sit in the bound work folder: covered inside.
      { kind: "hide", target: `${R}/w/_layers` },
    ]);
  });

  it("without root: a root folder of overlaid directories, going down only along other mounts", () => {
    const u = planSandbox({ layer: "/L", keep: ["/w/ws"], networkNone: false, userns: true }, tree);
    expect(u.links).toEqual([["usr/bin", "/L/root/bin"]]);
    expect(u.mounts).toEqual([
      { kind: "overlay", lower: "/usr", upper: "/L/u/1", work: "/L/w/1", target: "/L/root/usr" },
      { kind: "bind", source: "/proc", target: "/L/root/proc" },
      { kind: "bind", source: "/dev", target: "/L/root/dev" },
      { kind: "overlay", lower: "/mnt/a/b", upper: "/L/u/2", work: "/L/w/2", target: "/L/root/mnt/a/b" },
      { kind: "bind", source: "/.dockerenv", target: "/L/root/.dockerenv" },
      { kind: "keep", source: "/w/ws", target: "/L/root/w/ws" },
    ]);
    expect(u.dirs).toContain("/L/root/mnt/a");
    expect(u.files).toEqual(["/L/root/.dockerenv"]);
  });

  it("is handed to the Perl helper server as fields, or run as mount(8) commands", () => {
    const fields = helperArgs(plan);
    expect(fields.slice(0, 4)).toEqual(["", "1", "", R]);
    expect(fields.slice(4, 9)).toEqual(["O", "/", "/w/_layers/j/u/1", "/w/_layers/j/w/1", R]);
    expect(fields.slice(-2)).toEqual(["H", `${R}/w/_layers`]);
    const shell = shellHelper(plan, "unshare");
    expect(shell.slice(0, 8)).toEqual(["unshare", "-m", "--propagation", "private", "-n", "--", "sh", "-c"]);
    const sh = shell[8]!;
    expect(sh).toMatch(/mount -t overlay slipway-layer -o lowerdir='\/',upperdir='\/w\/_layers\/j\/u\/1'/);
    expect(sh).toContain(`mount --rbind '/proc' '${R}/proc'`);
    expect(sh).toContain(`mount -t tmpfs -o ro,size=4k slipway-hidden '${R}/w/_layers'`);
    expect(sh).toContain("ip link set lo up");
  });

  it("uses user xattrs in a user namespace, and volatile layers where the kernel can", () => {
    const u = planSandbox({ layer: "/L", keep: [], networkNone: false, userns: true, volatile: true }, tree);
    const shell = shellHelper(u, "unshare");
    expect(shell.slice(0, 3)).toEqual(["unshare", "-U", "-r"]);
    expect(shell.at(-1)).toContain("-o userxattr,volatile,lowerdir='/usr'");
    expect(helperArgs(u).slice(0, 3)).toEqual(["1", "", "userxattr,volatile,"]);
  });

  it("has a helper server only where Perl is and the system call numbers are known", () => {
    expect(SandboxServer.start(undefined)).toBeUndefined();
    expect(SandboxServer.start("/usr/bin/perl", "riscv64")).toBeUndefined();
  });
});

const scratch = mkdtempSync(join(tmpdir(), "slipway-sandbox-"));
const support = detectSandbox(join(scratch, "probe"), "none");

/** The same tests for both ways of starting a helper. */
const realTests = (perl: string | undefined) => () => {
  const caches = join(scratch, "caches");
  const toolCache = join(scratch, "tools");
  const repo = join(scratch, "repo");
  const id = randomBytes(4).toString("hex");
  const probe = `/usr/local/slipway-probe-${id}`;
  const globalPkg = `/usr/local/lib/node_modules/slipway-probe-${id}`;
  let n = 0;

  beforeAll(() => {
    mkdirSync(repo, { recursive: true });
    mkdirSync(join(caches, "npm"), { recursive: true });
    writeFileSync(join(repo, "README"), "hi\n");
  });
  afterAll(() => {
    rmSync(probe, { force: true });
    rmSync(globalPkg, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  const open = (network: SandboxNetwork = "host") => {
    if (!support.ok) throw new Error("unreachable");
    return new SandboxExecutor(
      support,
      network,
      [
        join(caches, "npm", "_cacache"),
        join(caches, "pip"),
        // No ~/.cargo here: not made, not shared.
        join(caches, "cargo", "registry"),
      ],
      perl,
    );
  };
  const prep = (): PrepareSpec => ({
    jobKey: `job${++n}`,
    repoRoot: repo,
    bind: true,
    workRoot: join(scratch, "work"),
    toolCache,
  });
  const sh = async (ex: SandboxExecutor, space: JobSpace, script: string, cwd = space.workspace) => {
    const lines: string[] = [];
    const r = await ex.spawn({
      argv: ["sh", "-c", script],
      cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" },
      onLine: (_s, l) => lines.push(l),
      signal: new AbortController().signal,
      space,
    });
    return { code: r.exitCode, out: lines.join("\n"), startError: r.startError };
  };

  it("keeps writes outside the workspace in the job's layer and drops them at job end", async () => {
    const ex = open();
    const spec = prep();
    const space = await ex.prepareJob(spec);
    const a = await sh(
      ex,
      space,
      `touch ${probe} && mkdir -p ${globalPkg} && echo made > ${globalPkg}/index.js && pwd`,
    );
    expect(a).toMatchObject({ code: 0, out: repo });
    // The same job sees its own writes (a later step uses what an earlier one installed).
    expect((await sh(ex, space, `cat ${globalPkg}/index.js && ls ${probe}`)).out).toBe(`made\n${probe}`);
    expect(existsSync(probe)).toBe(false);
    expect(existsSync(globalPkg)).toBe(false);
    // The layers are in the run's work folder, which is bound through, but hidden inside.
    const layers = join(spec.workRoot, "_layers");
    expect((await sh(ex, space, `ls -A ${layers} | wc -l`)).out).toBe("0");
    expect(existsSync(join(layers, spec.jobKey))).toBe(true);
    await ex.cleanupJob(space, spec);
    // The next job starts from the host as it was.
    const spec2 = prep();
    const next = await ex.prepareJob(spec2);
    expect((await sh(ex, next, `ls ${probe}`)).code).not.toBe(0);
    await ex.cleanupJob(next, spec2);
    expect(existsSync(probe)).toBe(false);
    // Layers go in the background after their job; close() waits for them.
    await ex.close();
    expect(existsSync(join(layers, spec.jobKey))).toBe(false);
    expect(existsSync(join(layers, spec2.jobKey))).toBe(false);
  });

  it("lets the workspace, RUNNER_TEMP, tool cache and download caches write through", async () => {
    const ex = open();
    const spec = prep();
    const space = await ex.prepareJob(spec);
    const cacheFile = join(caches, "npm", "_cacache", `entry-${id}`);
    const r = await sh(
      ex,
      space,
      `echo built > out.txt && echo t > "$0/t" && echo c > ${cacheFile} && mkdir -p ${toolCache}/node/18 && echo p > ${join(caches, "pip", "wheel")}`.replace(
        '"$0/t"',
        join(space.temp, "t"),
      ),
    );
    expect(r.code).toBe(0);
    expect((await sh(ex, space, "cat out.txt")).out).toBe("built");
    expect(readFileSync(join(repo, "out.txt"), "utf8")).toBe("built\n");
    expect(readFileSync(join(space.temp, "t"), "utf8")).toBe("t\n");
    await ex.cleanupJob(space, spec);
    expect(readFileSync(cacheFile, "utf8")).toBe("c\n");
    expect(readFileSync(join(caches, "pip", "wheel"), "utf8")).toBe("p\n");
    expect(existsSync(join(toolCache, "node", "18"))).toBe(true);
    expect(existsSync(join(caches, "cargo"))).toBe(false);
    rmSync(join(repo, "out.txt"));
    await ex.close();
  });

  it("says when a step's shell is missing, as the sandbox sees it", async () => {
    const ex = open();
    const spec = prep();
    const space = await ex.prepareJob(spec);
    const r = await ex.spawn({
      argv: ["no-such-shell-xyz", "x"],
      cwd: space.workspace,
      env: { PATH: "/usr/bin:/bin" },
      onLine: () => {},
      signal: new AbortController().signal,
      space,
    });
    expect(r).toMatchObject({ exitCode: 127, startError: "'no-such-shell-xyz' not found" });
    await ex.cleanupJob(space, spec);
    await ex.close();
  });

  it("--network none: a new network namespace where only its own loopback answers", async () => {
    const server = createServer((c) => c.end("hello\n"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const connect = `node -e 'require("net").connect(${port},"127.0.0.1").on("data",d=>{process.stdout.write(d);process.exit(0)}).on("error",e=>{console.log(e.code);process.exit(3)})'`;
    try {
      for (const network of ["host", "none"] as const) {
        const ex = open(network);
        const spec = prep();
        const space = await ex.prepareJob(spec);
        const r = await sh(ex, space, connect);
        if (network === "host") expect(r).toMatchObject({ code: 0, out: "hello" });
        else expect(r).toMatchObject({ code: 3, out: "ECONNREFUSED" });
        if (network === "none") {
          // Its own loopback works: a server inside is reachable inside.
          const inside = await sh(
            ex,
            space,
            `node -e 'const s=require("net").createServer(c=>c.end("in\\n")).listen(0,"127.0.0.1",()=>require("net").connect(s.address().port,"127.0.0.1").on("data",d=>{process.stdout.write(d);process.exit(0)}))'`,
          );
          expect(inside).toMatchObject({ code: 0, out: "in" });
        }
        await ex.cleanupJob(space, spec);
        await ex.close();
      }
    } finally {
      server.close();
    }
  });
};

describe.skipIf(!support.ok)("SandboxExecutor (real namespaces)", () => {
  describe.skipIf(!which("perl"))("helpers forked by the Perl server", realTests(which("perl")));
  describe("helpers made with unshare(1) and mount(8)", realTests(undefined));
});
