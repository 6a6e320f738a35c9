import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

const FIX = join(ROOT, "test/fixtures/actions");

interface JobEnd {
  job: string;
  result: string;
}

function run(repo: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = slipway(["run", "push", ...args], repo, {
    XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "slipway-xdg-")),
    ...env,
  });
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
  return r;
}

function jobs(stdout: string): Record<string, string> {
  const out = JSON.parse(stdout) as { jobs: JobEnd[] };
  return Object.fromEntries(out.jobs.map((j) => [j.job, j.result]));
}

describe("composite actions", () => {
  test("inputs, defaults, outputs, nesting, env, working-directory, action_path", () => {
    const repo = tempRepo(join(FIX, "composite"));
    const r = run(repo);
    expect(r.stdout + r.stderr).toMatch(/success/);
    expect(r.code).toBe(0);
  });
});

describe("JavaScript actions", () => {
  test("INPUT_ env, outputs, state, pre/pre-if, post steps in reverse order", () => {
    const repo = tempRepo(join(FIX, "node"));
    const r = run(repo, ["-j", "ok"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("pre ran for first");
    expect(r.stdout).toMatch(/with the host's Node v\d+/);
    expect(r.stdout).toContain("main on node v");
    const second = r.stdout.indexOf("post second state=again-second other=x");
    const first = r.stdout.indexOf("post first state=world-first other=x");
    expect(second).toBeGreaterThan(0);
    expect(first).toBeGreaterThan(second);
  });

  test("post steps run after a failure; post-if success() does not", () => {
    const repo = tempRepo(join(FIX, "node"));
    const r = run(repo, ["-j", "failing"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("post after-failure state=x-after-failure");
    expect(r.stdout).toContain("js2 main");
    expect(r.stdout).not.toContain("js2 pre ran");
    expect(r.stdout).not.toContain("js2 post ran");
  });
});

describe("bad actions fail clearly, naming the step", () => {
  const repo = tempRepo(join(FIX, "bad"));
  const r = run(repo, ["--json"]);
  const all = r.stdout + r.stderr;
  const log = (job: string) => slipway(["logs", "1", job], repo).stdout;

  test("every job fails, the run does not crash", () => {
    expect(r.code).toBe(1);
    expect(Object.values(jobs(r.stdout)).every((x) => x === "failure")).toBe(true);
    expect(all).not.toMatch(/internal error/);
  });
  test("unknown runs.using, with file:line:column", () => {
    expect(log("unknown-using")).toMatch(
      /actions\/unknown-using\/action\.yml:4:10: unknown runs\.using 'node99'/,
    );
  });
  test("required input not given", () => {
    expect(log("required")).toMatch(
      /\.github\/workflows\/\w+\.yml:\d+:\d+: needs a token: .*input 'token' is required/,
    );
  });
  test("composite run step without shell", () => {
    expect(log("no-shell")).toMatch(/action\.yml:6:\d+: a run step of a composite action needs `shell:`/);
  });
  test("missing action.yml", () => {
    expect(log("missing")).toMatch(/no action\.yml or action\.yaml/);
  });
  test("Docker actions and docker:// need a container executor", () => {
    expect(log("docker-action")).toMatch(/Docker action .*container executor/);
    expect(log("docker-url")).toMatch(/docker:\/\/alpine:3\.19' is a Docker action.*container executor/);
  });
  test("an action neither built in nor stored says how to add it", () => {
    expect(log("not-stored")).toMatch(/slipway actions add someone\/something@v1 --from/);
  });
});

describe("action store", () => {
  function actionRepo(): { dir: string; sha: string } {
    const dir = tempRepo(undefined, {
      "action.yml":
        'name: stored\ndescription: d\ninputs:\n  who:\n    default: store\noutputs:\n  said:\n    value: ${{ steps.s.outputs.said }}\nruns:\n  using: composite\n  steps:\n    - id: s\n      shell: bash\n      run: echo "said=from ${{ inputs.who }}" >> $GITHUB_OUTPUT\n',
      "sub/action.yml": "name: sub\ndescription: d\nruns:\n  using: node20\n  main: index.js\n",
      "sub/index.js": "console.log('sub action ran')\n",
    });
    execFileSync("git", ["tag", "v1"], { cwd: dir });
    const sha = execFileSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
    return { dir, sha };
  }

  test("actions add from git, then uses: by tag, SHA and sub-path", () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const src = actionRepo();
    const add = slipway(["actions", "add", "acme/greeter@v1", "--from", src.dir], tmpdir(), {
      SLIPWAY_ACTION_STORE: store,
    });
    expect(add.stderr).toBe("");
    expect(add.stdout).toContain(src.sha);
    const list = slipway(["actions", "list"], tmpdir(), { SLIPWAY_ACTION_STORE: store });
    expect(list.stdout).toContain(`acme/greeter@v1  ${src.sha}`);
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: acme/greeter@v1\n        id: a\n      - uses: acme/greeter@${src.sha}\n        id: b\n        with:\n          who: sha\n      - uses: acme/greeter/sub@v1\n      - run: |\n          test "\${{ steps.a.outputs.said }}" = "from store"\n          test "\${{ steps.b.outputs.said }}" = "from sha"\n`,
    });
    const r = run(repo, [], { SLIPWAY_ACTION_STORE: store });
    expect(r.stdout).toContain("sub action ran");
    expect(r.code).toBe(0);
  });

  test("a SHA that does not match the stored commit fails", () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const src = actionRepo();
    const wrong = "1".repeat(40);
    const plain = mkdtempSync(join(tmpdir(), "slipway-plain-"));
    writeFileSync(
      join(plain, "action.yml"),
      "name: p\ndescription: d\nruns:\n  using: composite\n  steps: []\n",
    );
    expect(
      slipway(["actions", "add", "acme/greeter@v1", "--from", src.dir], tmpdir(), {
        SLIPWAY_ACTION_STORE: store,
      }).code,
    ).toBe(0);
    const bad = slipway(["actions", "add", `acme/greeter@${wrong}`, "--from", src.dir], tmpdir(), {
      SLIPWAY_ACTION_STORE: store,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no tag, branch or commit/);
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: acme/greeter@${wrong}\n`,
    });
    const r = run(repo, [], { SLIPWAY_ACTION_STORE: store });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/slipway actions add acme\/greeter@1{40}/);
  });
});
