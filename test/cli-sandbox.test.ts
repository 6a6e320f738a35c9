import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { detectSandbox } from "../src/run/executor/sandbox.js";
import { slipway, tempRepo } from "./helpers/cli.js";

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

  test.skipIf(support.ok)("without namespaces the run falls back to the host with the reason", () => {
    const repo = tempRepo(
      undefined,
      wf("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"),
    );
    const r = slipway(["run"], repo, env);
    expect(r.stdout).toMatch(/executor: host \(no sandbox: .+\)/);
    expect(slipway(["run", "--sandbox"], repo, env).code).toBe(1);
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
