import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { which } from "../src/run/shells.js";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

// An empty action store and tool cache: what a new machine has.
const cache = mkdtempSync(join(tmpdir(), "slipway-doctor-cache-"));
const env = { XDG_CACHE_HOME: cache, SLIPWAY_ACTION_STORE: join(cache, "actions") };
const repo = tempRepo(join(ROOT, "test/fixtures/lacks"));
const file = ".github/workflows/ci.yml";

interface Lack {
  file: string;
  line: number;
  col: number;
  job: string;
  kind: string;
  message: string;
}

describe("what the run will lack, before it runs", () => {
  test("plan lists missing toolchains (and where Slipway looked), actions, shells and skipped runs-on", () => {
    const r = slipway(["plan"], repo, env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("What the run will lack");
    expect(r.stdout).toMatch(
      new RegExp(
        `${file}:11:15 {2}job 'test': actions/setup-node@v4: Node.js 7.1.0 is not installed.*Looked in: .*PATH`,
      ),
    );
    expect(r.stdout).toContain(
      `${file}:14:15  job 'test': action 'nosuchowner/nosuch-action@v1' is not built in`,
    );
    expect(r.stdout).toContain("slipway actions add nosuchowner/nosuch-action@v1");
    expect(r.stdout).toMatch(/ci\.yml:20:14 {2}job 'win': skipped: runs-on 'windows-latest'/);
    expect(r.stdout).toMatch(/job 'py': actions\/setup-python@v5: Python 2\.1 is not installed/);
    expect(r.stdout).toContain("job 'py': shell 'nosuchshell {0}': 'nosuchshell' is not installed");
    if (!which("pwsh"))
      expect(r.stdout).toContain(`${file}:16:16  job 'test': shell 'pwsh' is not installed`);
  });

  test("plan --json carries them; the matrix leg whose version is installed is not a lack", () => {
    const r = slipway(["plan", "--json"], repo, env);
    const lacks = (JSON.parse(r.stdout) as { lacks: Lack[] }).lacks;
    expect([...new Set(lacks.map((l) => l.kind))].sort()).toEqual([
      "action",
      "runs-on",
      "shell",
      "toolchain",
    ]);
    const node = lacks.filter((l) => l.message.includes("setup-node"));
    expect(node).toHaveLength(1);
    expect(node[0]).toMatchObject({ file, line: 11, col: 15, job: "test" });
  });

  test("doctor says which executor and tools the run gets, and exits 1 when something is missing", () => {
    const r = slipway(["doctor"], repo, env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^executor: (sandbox|host) /m);
    expect(r.stdout).toMatch(/^shells: bash/m);
    expect(r.stdout).toMatch(/✓ actions\/setup-node@v4 \(test \(current\)\): Using .*Node\.js v\d+/);
    expect(r.stdout).toContain("What the run will lack (");
  });

  test("doctor exits 0 when nothing is missing", () => {
    const ok = tempRepo(undefined, {
      [file]:
        // registry-url: the look-up writes an .npmrc as the step would (it has no secrets to read).
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-node@v4\n        with: { registry-url: 'https://npm.pkg.github.com' }\n      - run: echo hi\n",
    });
    const r = slipway(["doctor"], ok, env);
    expect(r.stdout).toContain("Nothing the run needs is missing.");
    expect(r.code).toBe(0);
  });
});
