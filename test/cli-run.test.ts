import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { BIN, slipway, tempRepo } from "./helpers/cli.js";

const wf = (body: string) => ({ ".github/workflows/ci.yml": body });

interface Result {
  result: string;
  folder?: string;
  jobs: { job: string; name: string; result: string; reason?: string; outputs: Record<string, string> }[];
}

function runJson(files: Record<string, string>, args: string[] = []) {
  const repo = tempRepo(undefined, files);
  const r = slipway(["run", ...args, "--json"], repo);
  let out: Result | undefined;
  try {
    out = JSON.parse(r.stdout) as Result;
  } catch {}
  const dir = out?.folder ? join(out.folder, "logs") : undefined;
  const logs =
    dir && existsSync(dir)
      ? readdirSync(dir)
          .map((f) => readFileSync(join(dir, f), "utf8"))
          .join("\n")
      : "";
  return { ...r, out, logs, repo };
}

describe("slipway run", () => {
  test("env precedence, GITHUB_ENV, outputs across steps and jobs, needs context", () => {
    const r = runJson(
      wf(`on: push
env: { A: wf, B: wf, C: wf }
jobs:
  first:
    runs-on: ubuntu-latest
    env: { B: job, C: job }
    outputs:
      value: \${{ steps.set.outputs.value }}
    steps:
      - run: |
          [ "$A" = wf ] && [ "$B" = job ] && [ "$C" = step ]
        env: { C: step }
      - id: set
        run: |
          echo "value=hello world" >> "$GITHUB_OUTPUT"
          echo "FROM_ENV_FILE=yes" >> "$GITHUB_ENV"
      - run: |
          [ "$FROM_ENV_FILE" = yes ] && [ "\${{ steps.set.outputs.value }}" = "hello world" ]
          [ "\${{ env.FROM_ENV_FILE }}" = yes ]
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: '[ "\${{ needs.first.outputs.value }}" = "hello world" ] && [ "\${{ needs.first.result }}" = success ]'
`),
    );
    expect(r.out?.result, r.logs + r.stderr).toBe("success");
    expect(r.out?.jobs.find((j) => j.name === "first")?.outputs).toEqual({ value: "hello world" });
    expect(r.code).toBe(0);
  });

  test("secrets and ::add-mask:: values never reach the console or saved logs", () => {
    const repo = tempRepo(
      undefined,
      wf(`on: push
jobs:
  leak:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "token=\${{ secrets.TOKEN }}"
          echo "multi: $MULTI"
          echo "::add-mask::dynamic-value-42"
          echo "later dynamic-value-42"
          echo "### \${{ secrets.TOKEN }}" >> "$GITHUB_STEP_SUMMARY"
        env:
          MULTI: \${{ secrets.MULTI }}
`),
    );
    const r = slipway(
      ["run", "--secret", "TOKEN=sup3r-s3cret", "--secret", "MULTI=line-one\nline-two"],
      repo,
    );
    const saved = readdirSync(join(repo, ".slipway/runs/1/logs"))
      .map((f) => readFileSync(join(repo, ".slipway/runs/1/logs", f), "utf8"))
      .join("\n");
    const events = readFileSync(join(repo, ".slipway/runs/1/events.jsonl"), "utf8");
    for (const text of [r.stdout, r.stderr, saved, events]) {
      expect(text).not.toContain("sup3r-s3cret");
      expect(text).not.toContain("line-two");
      expect(text).not.toContain("dynamic-value-42");
    }
    expect(r.stdout).toContain("token=***");
    expect(r.stdout).toContain("later ***");
    expect(r.code).toBe(0);
  });

  test("matrix include/exclude legs, fail-fast cancels siblings, continue-on-error", () => {
    const r = runJson(
      wf(`on: push
jobs:
  m:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [1, 2, 3]
        exclude: [{ n: 2 }]
        include: [{ n: 3, extra: yes }]
    steps:
      - run: echo "n=\${{ matrix.n }} extra=\${{ matrix.extra }}"
      - run: exit 1
        continue-on-error: true
      - id: s
        run: echo ok
`),
    );
    expect(r.out?.result, r.logs).toBe("success");
    const legs = r.out!.jobs.filter((j) => j.job.startsWith("m."));
    expect(legs.map((j) => j.name).sort()).toEqual(["m (1)", "m (3, yes)"]);
    expect(r.logs).toContain("n=3 extra=yes");
  });

  test("a failing step fails the job, skips later steps, and if: failure()/always() run", () => {
    const r = runJson(
      wf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: exit 3
      - run: echo should-not-run
      - if: failure()
        run: echo failure-ran
      - if: always()
        run: echo always-ran
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: echo never
  c:
    needs: a
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo c-ran
`),
    );
    expect(r.code).toBe(1);
    expect(r.out?.result).toBe("failure");
    expect(r.logs).not.toMatch(/^should-not-run$/m);
    expect(r.logs).toContain("failure-ran");
    expect(r.logs).toContain("always-ran");
    expect(r.logs).toContain("exit code 3");
    const byName = Object.fromEntries(r.out!.jobs.map((j) => [j.name, j]));
    expect(byName.b?.result).toBe("skipped");
    expect(byName.c?.result).toBe("success");
  });

  test("Ctrl-C cancels the run and kills every process of the running step", async () => {
    const pids = join(mkdtempSync(join(tmpdir(), "slipway-int-")), "pids");
    const repo = tempRepo(
      undefined,
      wf(`on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: |
          sleep 300 &
          echo "$$ $!" > "${pids}.tmp" && mv "${pids}.tmp" "${pids}"
          sleep 300
`),
    );
    // Its own process group, so the signal goes to the whole group as a terminal's Ctrl-C does.
    // The step reports its pids through a file outside the workspace: on the host, since the
    // sandbox keeps such writes in the job's layer.
    const child = spawn(process.execPath, [BIN, "run", "--json", "--no-sandbox"], {
      cwd: repo,
      env: { ...process.env, CI: "true" },
      detached: true,
    });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((res) => child.on("close", res));
    for (let i = 0; i < 200 && !existsSync(pids); i++) await new Promise((r) => setTimeout(r, 50));
    const procs = readFileSync(pids, "utf8").trim().split(" ").map(Number);
    expect(procs.every(alive)).toBe(true);
    process.kill(-child.pid!, "SIGINT");
    const code = await exited;
    expect(code).not.toBe(0);
    expect((JSON.parse(stdout) as Result).result).toBe("cancelled");
    for (let i = 0; i < 50 && procs.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(procs.filter(alive)).toEqual([]);
  });

  test("step timeout kills the process tree", () => {
    const r = runJson(
      wf(`on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 300 & sleep 300
        timeout-minutes: 0.02
`),
    );
    expect(r.out?.result).toBe("failure");
    expect(r.logs).toMatch(/timed out/);
  });

  test("workflow_dispatch inputs with defaults and types; required inputs", () => {
    const files = wf(`on:
  workflow_dispatch:
    inputs:
      name: { required: true }
      flag: { type: boolean, default: false }
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: '[ "\${{ inputs.name }}" = bob ] && [ "\${{ inputs.flag }}" = true ] && [ "\${{ github.event.inputs.flag }}" = true ]'
`);
    expect(
      runJson(files, ["workflow_dispatch", "--input", "name=bob", "--input", "flag=true"]).out?.result,
    ).toBe("success");
    const missing = runJson(files, ["workflow_dispatch"]);
    expect(missing.stderr).toContain("input 'name' is required");
    expect(missing.code).not.toBe(0);
  });

  test("push filters: branches, tags and paths decide what runs", () => {
    const files = {
      ".github/workflows/main-only.yml":
        "on: { push: { branches: [main] } }\njobs: { a: { runs-on: ubuntu-latest, steps: [{ run: echo main-only }] } }\n",
      ".github/workflows/tags.yml":
        "on: { push: { tags: ['v*'] } }\njobs: { a: { runs-on: ubuntu-latest, steps: [{ run: echo tag-run }] } }\n",
      ".github/workflows/docs.yml":
        "on: { push: { paths: ['docs/**'] } }\njobs: { a: { runs-on: ubuntu-latest, steps: [{ run: echo docs-run }] } }\n",
    };
    const branch = runJson(files);
    expect(branch.out?.jobs.length).toBe(1);
    expect(branch.logs).toContain("main-only");
    const tag = runJson(files, ["--ref", "refs/tags/v1.2.3"]);
    expect(tag.logs).toContain("tag-run");
    expect(tag.logs).not.toContain("main-only");
  });

  test("jobs on macOS/Windows labels are skipped with the reason; container jobs too", () => {
    const r = runJson(
      wf(`on: push
jobs:
  mac: { runs-on: macos-latest, steps: [{ run: echo mac }] }
  box: { runs-on: ubuntu-latest, container: node:20, steps: [{ run: echo box }] }
  here: { runs-on: ubuntu-latest, steps: [{ run: echo here }] }
`),
    );
    const byName = Object.fromEntries(r.out!.jobs.map((j) => [j.name, j]));
    expect(byName.mac).toMatchObject({ result: "skipped", reason: expect.stringContaining("macos-latest") });
    expect(byName.box).toMatchObject({ result: "skipped", reason: expect.stringContaining("container") });
    expect(byName.here?.result).toBe("success");
  });

  test("concurrency groups: jobs and workflows wait their turn; cancel-in-progress cancels", () => {
    const log = join(mkdtempSync(join(tmpdir(), "slipway-conc-")), "order.log");
    const step = (id: string, secs: number) =>
      `{ run: 'echo ${id}-start >> "$LOG"; sleep ${secs}; echo ${id}-end >> "$LOG"' }`;
    const r = runJson(
      {
        ".github/workflows/a.yml": `on: push\nconcurrency: deploy\njobs:\n  a: { runs-on: ubuntu-latest, steps: [${step("a", 0.4)}] }\n`,
        ".github/workflows/b.yml": `on: push\nconcurrency: { group: deploy }\njobs:\n  b: { runs-on: ubuntu-latest, steps: [${step("b", 0)}] }\n`,
        ".github/workflows/c.yml": `on: push
jobs:
  j1: { runs-on: ubuntu-latest, concurrency: "jobs-\${{ github.ref }}", steps: [${step("j1", 0.4)}] }
  j2: { runs-on: ubuntu-latest, concurrency: "jobs-\${{ github.ref }}", steps: [${step("j2", 0)}] }
`,
      },
      // The log is outside the workspace: on the host, the sandbox would keep it per job.
      ["--jobs", "6", "--env", `LOG=${log}`, "--no-sandbox"],
    );
    expect(r.out?.result, r.logs).toBe("success");
    const lines = readFileSync(log, "utf8").trim().split("\n");
    // Each holder of a group finishes before the next one starts.
    for (const pair of [
      ["a", "b"],
      ["j1", "j2"],
    ]) {
      const at = (x: string) => lines.indexOf(x);
      const [first, second] = at(`${pair[0]}-start`) < at(`${pair[1]}-start`) ? pair : [pair[1]!, pair[0]!];
      expect(at(`${first}-end`), lines.join(",")).toBeLessThan(at(`${second}-start`));
    }

    const c = runJson({
      ".github/workflows/1-old.yml": `on: push\nconcurrency: release\njobs:\n  old: { runs-on: ubuntu-latest, steps: [{ run: sleep 20 }] }\n`,
      ".github/workflows/2-new.yml": `on: push\nconcurrency: { group: release, cancel-in-progress: true }\njobs:\n  new: { runs-on: ubuntu-latest, steps: [{ run: "true" }] }\n`,
    });
    const result = Object.fromEntries((c.out?.jobs ?? []).map((j) => [j.job, j.result]));
    expect(result["1-old.old"], c.logs).toBe("cancelled");
    expect(result["2-new.new"]).toBe("success");
    expect(c.logs).toContain("cancelled by a newer run in concurrency group 'release'");
  });

  test("environments run only when approved; services need a container executor", () => {
    const files = wf(`on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: { name: "prod-\${{ github.ref_name }}", url: "https://example.com/\${{ github.ref_name }}" }
    steps: [{ run: echo deploying }]
  db:
    runs-on: ubuntu-latest
    services: { redis: { image: redis } }
    steps: [{ run: echo never }]
  test:
    runs-on: ubuntu-latest
    steps: [{ run: echo testing }]
`);
    const r = runJson(files);
    const by = Object.fromEntries((r.out?.jobs ?? []).map((j) => [j.job, j]));
    expect(by.test?.result).toBe("success");
    expect(by.deploy).toMatchObject({
      result: "skipped",
      reason: expect.stringContaining("--approve prod-main"),
    });
    expect(by.db).toMatchObject({ result: "skipped", reason: expect.stringContaining("services:") });
    const plan = slipway(["plan"], r.repo);
    expect(plan.stdout).toMatch(
      /deploy {2}\(runs-on ubuntu-latest; environment prod-main\)\n\s+skipped: deploys to environment 'prod-main'/,
    );

    const ok = slipway(["run", "--approve", "prod-main", "--json"], r.repo);
    const deploy = (JSON.parse(ok.stdout) as Result).jobs.find((j) => j.job === "deploy");
    expect(deploy?.result).toBe("success");
    expect(slipway(["logs", "2", "deploy"], r.repo).stdout).toContain(
      "environment 'prod-main' approved by --approve; url: https://example.com/main",
    );
  });

  test("environment.url may read the job's steps: evaluated after them, as GitHub does", () => {
    const r = runJson(
      wf(`on: push
jobs:
  pages:
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: \${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        run: echo "page_url=https://acme.example/\${{ github.ref_name }}/" >> "$GITHUB_OUTPUT"
`),
      ["--approve", "github-pages"],
    );
    const job = (r.out?.jobs ?? []).find((j) => j.job === "pages");
    expect(job?.result, r.logs).toBe("success");
    expect(r.logs).toContain("environment url: https://acme.example/main/");
  });

  test.each([
    ["the fork server", "1"],
    ["Node's spawn", "0"],
  ])(
    "step processes started by %s: output, exit codes, background children, missing programs",
    (_n, flag) => {
      const repo = tempRepo(
        undefined,
        wf(`on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - run: for i in $(seq 20000); do echo "ligne-é-$i"; done; echo "no newline at the end" >&2; printf tail
      - id: three
        continue-on-error: true
        run: exit 3
      - run: '[ "\${{ steps.three.outcome }}" = failure ]'
      - run: sleep 30 & echo started
        timeout-minutes: 0.1
      - run: echo never
        shell: no-such-shell {0}
`),
      );
      const r = slipway(["run", "--json"], repo, { SLIPWAY_FORK_SERVER: flag });
      const log = slipway(["logs", "1", "p"], repo).stdout;
      expect(log.match(/ligne-é-\d+/g)?.length).toBe(20000);
      expect(log).toContain("ligne-é-20000");
      expect(log).toContain("no newline at the end");
      expect(log).toMatch(/\btail\b/);
      expect(log).toMatch(/exit code 3/);
      expect(log).toContain("started");
      expect(log).toMatch(/'no-such-shell' not found/);
      expect((JSON.parse(r.stdout) as Result).result).toBe("failure");
    },
  );

  test.skipIf(!existsSync("/usr/bin/pkill"))(
    "if the fork server dies, its step fails saying so and later steps still run",
    () => {
      const r = runJson(
        wf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: '[ "$(cat /proc/$PPID/comm)" = perl ] && kill $PPID; sleep 2'
      - if: always()
        run: echo after-the-server
`),
      );
      expect(r.out?.result).toBe("failure");
      expect(r.logs).toContain("Perl fork server) stopped");
      expect(r.logs).toContain("after-the-server");
    },
  );

  test("keys with no meaning on this machine are named, not silently dropped", () => {
    const r = runJson(
      wf("on: push\njobs:\n  a: { runs-on: ubuntu-latest, snapshot: img, steps: [{ run: echo }] }\n"),
    );
    expect(r.out?.result).toBe("success");
    expect(r.logs).toContain("snapshot: ignored");
  });

  test("every step starts with empty, existing file-command files", () => {
    const files = wf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    outputs: { first: "\${{ steps.one.outputs.x }}", second: "\${{ steps.two.outputs.x }}" }
    steps:
      - id: one
        run: echo x=1 >> "$GITHUB_OUTPUT"; echo "A=1" >> "$GITHUB_ENV"; rm "$GITHUB_STATE"
      - id: two
        run: |
          for f in "$GITHUB_OUTPUT" "$GITHUB_ENV" "$GITHUB_PATH" "$GITHUB_STATE" "$GITHUB_STEP_SUMMARY"; do
            test -f "$f" && test ! -s "$f"
          done
          [ "$A" = 1 ]
      - id: three
        run: test -f "$GITHUB_STATE" && test ! -s "$GITHUB_OUTPUT"
`);
    const r = runJson(files);
    expect(r.out?.result, r.logs).toBe("success");
    expect(r.out?.jobs[0]?.outputs).toEqual({ first: "1", second: "" });
  });

  test("each job gets its own copy of the commit, also jobs prepared while their needs run", () => {
    const step = (id: string) =>
      `{ run: 'test -f .github/workflows/ci.yml && test ! -e from-* && touch from-${id}' }`;
    const r = runJson(
      wf(`on: push
jobs:
  a: { runs-on: ubuntu-latest, steps: [${step("a")}] }
  b: { needs: a, runs-on: ubuntu-latest, steps: [${step("b")}] }
  c: { needs: [a, b], runs-on: ubuntu-latest, steps: [${step("c")}] }
`),
    );
    expect(r.out?.result, r.logs).toBe("success");
    expect(r.out?.jobs.map((j) => j.result)).toEqual(["success", "success", "success"]);
  });

  test("the default clean checkout leaves the working tree alone; --bind uses it", () => {
    const files = wf(`on: push
jobs:
  w: { runs-on: ubuntu-latest, steps: [{ run: 'test -f .github/workflows/ci.yml && touch made-by-job' }] }
`);
    const r = runJson(files);
    expect(r.out?.result, r.logs).toBe("success");
    expect(existsSync(join(r.repo, "made-by-job"))).toBe(false);
    const b = slipway(["run", "--bind"], r.repo);
    expect(b.code).toBe(0);
    expect(existsSync(join(r.repo, "made-by-job"))).toBe(true);
  });

  test.skipIf(!existsSync("/usr/bin/script"))("on a terminal: the live job block, then the summary", () => {
    const repo = tempRepo(
      undefined,
      wf("on: push\njobs:\n  a: { runs-on: ubuntu-latest, steps: [{ name: Hello, run: echo hi-there }] }\n"),
    );
    // script(1) gives the command a pseudo-terminal, as a user's shell would.
    const r = spawnSync("script", ["-qec", `"${process.execPath}" "${BIN}" run`, "/dev/null"], {
      cwd: repo,
      env: { ...process.env, CI: "", COLUMNS: "80", LINES: "24" },
      encoding: "utf8",
    });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain("\x1b[0J");
    expect(r.stdout).toMatch(/1 running, 0 queued/);
    expect(r.stdout).toContain("[a]   | hi-there");
    expect(r.stdout).toMatch(/Run success in/);
  });

  test("--junit writes the jobs as JUnit XML, secrets masked", () => {
    const repo = tempRepo(
      undefined,
      wf(`on: push
jobs:
  ok: { runs-on: ubuntu-latest, steps: [{ run: echo fine }] }
  bad: { runs-on: ubuntu-latest, steps: [{ run: 'echo "::error::leaked \${{ secrets.T }}"; exit 1' }] }
`),
    );
    const out = join(mkdtempSync(join(tmpdir(), "slipway-junit-")), "report.xml");
    const r = slipway(["run", "--junit", out, "--secret", "T=hunter22"], repo);
    expect(r.code).toBe(1);
    const xml = readFileSync(out, "utf8");
    expect(xml).toMatch(/<testsuite name="\.github\/workflows\/ci\.yml" tests="2" failures="1"/);
    expect(xml).toContain('<testcase classname=".github/workflows/ci.yml" name="ok"');
    expect(xml).toMatch(/<failure message="leaked \*\*\*">/);
    expect(xml).not.toContain("hunter22");
  });

  test.skipIf(!existsSync("/usr/bin/script"))(
    "on a terminal, a deployment not approved with --approve is asked about",
    () => {
      const repo = tempRepo(
        undefined,
        wf(`on: push
jobs:
  build: { runs-on: ubuntu-latest, steps: [{ run: echo built }] }
  staging: { needs: build, environment: staging, runs-on: ubuntu-latest, steps: [{ run: echo to-staging }] }
  prod: { needs: build, environment: production, runs-on: ubuntu-latest, steps: [{ run: echo to-prod }] }
`),
      );
      const tty = (answers: string) =>
        spawnSync("script", ["-qec", `"${process.execPath}" "${BIN}" run --jobs 1`, "/dev/null"], {
          cwd: repo,
          env: { ...process.env, CI: "", COLUMNS: "100", LINES: "30" },
          input: answers,
          encoding: "utf8",
        });
      // A lost second answer would read as "no": so the second one is the yes.
      const r = tty("n\ny\n");
      expect(r.stdout).toMatch(/Job 'staging' deploys to environment 'staging'\. Approve\? \[y\/N\]/);
      expect(r.stdout).toMatch(/Job 'prod' deploys to environment 'production'\. Approve\? \[y\/N\]/);
      expect(r.stdout).toMatch(/staging +- skipped +\(the job deploys to environment 'staging'/);
      expect(r.stdout).toMatch(/prod +✓ success/);
      expect(slipway(["logs", "1", "prod"], repo).stdout).toContain("approved by you, at the prompt");
    },
  );

  test("logs shows a saved run", () => {
    const r = runJson(
      wf("on: push\njobs: { a: { runs-on: ubuntu-latest, steps: [{ run: echo saved-line }] } }\n"),
    );
    const l = slipway(["logs"], r.repo);
    expect(l.stdout).toContain("saved-line");
    expect(slipway(["logs", "99"], r.repo).code).toBe(2);
  });
});

describe("bad input: one clear message, non-zero exit, no stack trace", () => {
  const cases: [string, Record<string, string>, RegExp, string[]?][] = [
    ["malformed YAML", wf("on: push\njobs:\n  a: [\n"), /ci\.yml:\d+:\d+: /],
    [
      "unknown key",
      wf("on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n"),
      /ci\.yml:5:5: Unexpected value 'stepz'/,
    ],
    [
      "needs cycle",
      wf(
        "on: push\njobs:\n  a: { needs: b, runs-on: x, steps: [{run: x}] }\n  b: { needs: a, runs-on: x, steps: [{run: x}] }\n",
      ),
      /ci\.yml:\d+:\d+: .*(cycle|at least one job)/,
    ],
    [
      "bad expression",
      wf("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ github.( }}\n"),
      /ci\.yml:6:\d+: /,
    ],
    [
      "empty matrix",
      wf(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    strategy: { matrix: { x: [] } }\n    steps: [{ run: echo }]\n",
      ),
      /ci\.yml:5:\d+: Matrix vector 'x' does not contain any values/,
    ],
    [
      "matrix excluded to nothing",
      wf(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    strategy: { matrix: { x: [1], exclude: [{ x: 1 }] } }\n    steps: [{ run: echo }]\n",
      ),
      /matrix expands to no jobs/,
    ],
    [
      "missing working-directory",
      wf(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo, working-directory: nope }]\n",
      ),
      /ci\.yml:5:\d+: working-directory 'nope' does not exist/,
    ],
    [
      "unknown shell",
      wf("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo, shell: fish }]\n"),
      /ci\.yml:5:\d+: unknown shell 'fish'/,
    ],
    ["bad flag", wf("on: push\njobs: {}\n"), /slipway run: Unknown option/, ["--no-such-flag"]],
    ["unknown --limit", wf("on: push\njobs: {}\n"), /--limit: unknown limit 'nope'/, ["--limit", "nope=1"]],
  ];
  test.each(cases)("%s", (_name, files, message, extra) => {
    const repo = tempRepo(undefined, files);
    const r = slipway(["run", ...(extra ?? [])], repo);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
  });

  test("an error in a called workflow is named once, in the called file", () => {
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": "on: push\njobs:\n  call:\n    uses: ./.github/workflows/lib.yml\n",
      ".github/workflows/lib.yml":
        "on: workflow_call\njobs:\n  b:\n    runs-on: ubuntu-latest\n    bogus: 1\n    steps: [{ run: echo }]\n",
    });
    const r = slipway(["plan"], repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr.match(/lib\.yml:5:5: Unexpected value 'bogus'/g)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/ci\.yml:5/);
  });

  test("a folder that is not a git repository", () => {
    const r = slipway(["run"], "/tmp");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a git repository/);
  });
});

/** Running, not a zombie waiting for whoever adopted it to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
