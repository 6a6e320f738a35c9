import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { JobAssignment } from "../assignment.js";
import { canonical, type KeyInputs, namesRead, reuseKey } from "./key.js";
import { setupActions, ToolPrints } from "./tools.js";
import { RepoTree } from "./tree.js";

// A real git repository: two commits, the second changing only docs/.
let root: string;
let first: string;
let second: string;
const git = (...a: string[]) => execFileSync("git", a, { cwd: root, encoding: "utf8" }).trim();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "slipway-key-"));
  git("init", "-q", "-b", "main");
  execFileSync("mkdir", ["-p", join(root, "src"), join(root, "docs")]);
  writeFileSync(join(root, "src/a.ts"), "a\n");
  writeFileSync(join(root, "docs/x.md"), "x\n");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "one");
  first = git("rev-parse", "HEAD");
  writeFileSync(join(root, "docs/x.md"), "y\n");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "two");
  second = git("rev-parse", "HEAD");
});

const str = (value: string) => ({ type: "string" as const, value });
function assignment(over: Partial<JobAssignment> = {}, run = 1): JobAssignment {
  return {
    key: "build",
    jobId: "build",
    name: "build",
    workflow: { file: ".github/workflows/ci.yml", name: "ci" },
    body: {
      type: "mapping",
      pairs: [
        [str("steps"), { type: "sequence", items: [str("echo ${{ secrets.TOKEN }} ${{ vars.LEVEL }}")] }],
      ],
      range: [3, 3, 5, 9],
    },
    steps: [],
    contexts: {
      github: {
        run_id: `id-${run}`,
        run_number: String(run),
        sha: first,
        ref: "refs/heads/main",
        token: `t${run}`,
      },
      vars: { LEVEL: "1", OTHER: "o" },
      needs: {},
    },
    secretNames: ["TOKEN", "UNUSED"],
    secrets: { TOKEN: "s3cret-value", UNUSED: "u", GITHUB_TOKEN: `gh${run}` },
    workflowEnv: {},
    runnerEnv: { CI: "true", GITHUB_RUN_ID: `id-${run}`, RUNNER_TEMP: `/tmp/${run}` },
    prepare: { repoRoot: "/r", sha: first, bind: false, workRoot: `/tmp/w${run}`, toolCache: "/tc" },
    runsOn: ["ubuntu-latest"],
    continueOnError: false,
    verbose: false,
    ...over,
  };
}

const secret = Buffer.alloc(32, 7);
let tree: RepoTree;
const inputs = (a: JobAssignment, over: Partial<KeyInputs> = {}): KeyInputs => ({
  assignment: a,
  secret,
  tree,
  event: { name: "push", payload: { after: "x" } },
  platform: { os: "linux", arch: "x64", slipway: "0.1.0" },
  ...over,
});

describe("reuse key", () => {
  beforeAll(() => {
    tree = new RepoTree(root);
  });

  test("the same job in another run (ids, token, paths differ) has the same key", () => {
    const a = reuseKey(inputs(assignment({}, 1)));
    const b = reuseKey(inputs(assignment({}, 2)));
    expect(b).toEqual(a);
    expect(a.key).toMatch(/^[0-9a-f]{64}$/);
  });

  test("moving the job in its file is no change; editing it is", () => {
    const base = reuseKey(inputs(assignment()));
    const body = assignment().body as Extract<JobAssignment["body"], { type: "mapping" }>;
    expect(reuseKey(inputs(assignment({ body: { ...body, range: [9, 3, 11, 9] } }))).key).toBe(base.key);
    const edited = reuseKey(
      inputs(assignment({ body: { ...body, pairs: [[str("steps"), str("echo other")]] } })),
    );
    expect(edited.key).not.toBe(base.key);
    expect(edited.parts.job).not.toBe(base.parts.job);
  });

  test("each part changes the key, and only its own part", () => {
    const base = reuseKey(inputs(assignment()));
    const changed = (k: ReturnType<typeof reuseKey>) =>
      Object.keys(k.parts).filter((p) => k.parts[p] !== base.parts[p]);
    const a = assignment();
    const cases: [string, ReturnType<typeof reuseKey>][] = [
      ["content", reuseKey(inputs(assignment({ prepare: { ...a.prepare, sha: second } })))],
      [
        "needs",
        reuseKey(
          inputs(
            assignment({
              contexts: { ...a.contexts, needs: { x: { result: "success", outputs: { v: "2" } } } },
            }),
          ),
        ),
      ],
      ["secrets", reuseKey(inputs(assignment({ secrets: { ...a.secrets, TOKEN: "other" } })))],
      [
        "vars",
        reuseKey(inputs(assignment({ contexts: { ...a.contexts, vars: { LEVEL: "2", OTHER: "o" } } }))),
      ],
      ["event", reuseKey(inputs(a, { event: { name: "pull_request", payload: {} } }))],
      ["platform", reuseKey(inputs(a, { platform: { os: "darwin", arch: "arm64", slipway: "0.1.0" } }))],
      ["platform", reuseKey(inputs(assignment({ runsOn: ["macos-latest"] })))],
    ];
    for (const [part, k] of cases) {
      expect(k.key, part).not.toBe(base.key);
      expect(changed(k), part).toEqual([part]);
    }
  });

  test("what the job does not read does not change it", () => {
    const base = reuseKey(inputs(assignment()));
    const a = assignment();
    // An unused secret, an unused variable, the run's GITHUB_TOKEN, the event payload (not read).
    expect(
      reuseKey(inputs(assignment({ secrets: { ...a.secrets, UNUSED: "v", GITHUB_TOKEN: "new" } }))).key,
    ).toBe(base.key);
    expect(
      reuseKey(inputs(assignment({ contexts: { ...a.contexts, vars: { LEVEL: "1", OTHER: "p" } } }))).key,
    ).toBe(base.key);
    expect(reuseKey(inputs(a, { event: { name: "push", payload: { after: "y" } } })).key).toBe(base.key);
  });

  test("declared inputs: only the matching files count", () => {
    const a = assignment();
    const src = { inputs: ["src/**"] };
    const docs = { inputs: ["docs/**"] };
    const at = (sha: string, settings: { inputs: string[] }) =>
      reuseKey(inputs(assignment({ prepare: { ...a.prepare, sha } }), { settings })).key;
    expect(at(second, src)).toBe(at(first, src));
    expect(at(second, docs)).not.toBe(at(first, docs));
  });

  test("a job that reads the commit id gets a new key every commit", () => {
    const a = assignment();
    const body = {
      type: "mapping" as const,
      pairs: [[str("run"), str("echo $GITHUB_SHA")]] as [ReturnType<typeof str>, ReturnType<typeof str>][],
    };
    const at = (sha: string) =>
      reuseKey(
        inputs(assignment({ body, prepare: { ...a.prepare, sha } }), { settings: { inputs: ["src/**"] } }),
      ).key;
    expect(at(second)).not.toBe(at(first));
  });

  test("a job that reads the run's number or id is new every run", () => {
    const body = {
      type: "mapping" as const,
      pairs: [[str("run"), str("echo ${{ github.run_number }}")]] as [
        ReturnType<typeof str>,
        ReturnType<typeof str>,
      ][],
    };
    expect(reuseKey(inputs(assignment({ body }, 2))).key).not.toBe(
      reuseKey(inputs(assignment({ body }, 1))).key,
    );
  });

  test("a re-run (a new attempt) keeps the key of a job that reads the run's number, not of one that reads the attempt", () => {
    const reading = (text: string) => ({
      type: "mapping" as const,
      pairs: [[str("run"), str(text)]] as [ReturnType<typeof str>, ReturnType<typeof str>][],
    });
    const keyAt = (text: string, attempt: string) => {
      const a = assignment({ body: reading(text) });
      const github = { ...(a.contexts.github as Record<string, string>), run_attempt: attempt };
      return reuseKey(inputs({ ...a, contexts: { ...a.contexts, github } })).key;
    };
    expect(keyAt("echo ${{ github.run_number }}", "2")).toBe(keyAt("echo ${{ github.run_number }}", "1"));
    expect(keyAt("echo $GITHUB_RUN_ID", "2")).toBe(keyAt("echo $GITHUB_RUN_ID", "1"));
    expect(keyAt("echo ${{ github.run_attempt }}", "2")).not.toBe(
      keyAt("echo ${{ github.run_attempt }}", "1"),
    );
    expect(keyAt("echo $GITHUB_RUN_ATTEMPT", "2")).not.toBe(keyAt("echo $GITHUB_RUN_ATTEMPT", "1"));
  });

  test("secret values are hashed with the repository's key, never stored raw", () => {
    const k = reuseKey(inputs(assignment()));
    expect(JSON.stringify(k)).not.toContain("s3cret-value");
    // Another repository's key gives other hashes for the same value.
    const other = reuseKey(inputs(assignment(), { secret: Buffer.alloc(32, 8) }));
    expect(other.parts.secrets).not.toBe(k.parts.secrets);
  });
});

test("namesRead: dotted and indexed names; the whole context means all of them", () => {
  const all = ["A", "B_1", "c"];
  expect(namesRead("${{ secrets.A }} ${{ secrets['B_1'] }} ${{ SECRETS.C }}", "secrets", all)).toEqual([
    "A",
    "B_1",
    "c",
  ]);
  expect(namesRead("${{ toJSON(secrets) }}", "secrets", all)).toEqual(["A", "B_1", "c"]);
  expect(namesRead("echo no", "secrets", all)).toEqual([]);
});

test("canonical: sorted keys, no token positions", () => {
  expect(canonical({ b: 1, a: [{ range: [1, 2, 3, 4], file: 2, v: "x" }] })).toBe('{"a":[{"v":"x"}],"b":1}');
  expect(canonical({ file: "ci.yml" })).toBe('{"file":"ci.yml"}');
});

describe("reuse key: tools the setup steps choose from", () => {
  const withSetup = (tc: string) =>
    assignment({
      body: {
        type: "mapping",
        pairs: [
          [
            str("steps"),
            {
              type: "sequence",
              items: [
                {
                  type: "mapping",
                  pairs: [
                    [str("uses"), str("actions/setup-node@v4")],
                    [str("with"), { type: "mapping", pairs: [[str("node-version"), str("22")]] }],
                  ],
                },
              ],
            },
          ],
        ],
      },
      prepare: { repoRoot: "/r", sha: first, bind: false, workRoot: "/tmp/w", toolCache: tc },
    });

  test("a new version in the tool cache changes the key of a job that sets the tool up, not of others", () => {
    const tc = mkdtempSync(join(tmpdir(), "slipway-tc-"));
    const env = { PATH: "/nowhere" };
    const before = reuseKey(inputs(withSetup(tc), { tools: new ToolPrints(env) }));
    const plain = reuseKey(inputs(assignment(), { tools: new ToolPrints(env) }));
    expect(before.parts.tools).not.toBe(plain.parts.tools);
    // The same machine, another run: the same key.
    expect(reuseKey(inputs(withSetup(tc), { tools: new ToolPrints(env) })).key).toBe(before.key);
    mkdirSync(join(tc, "node", "22.99.0", "x64", "bin"), { recursive: true });
    const after = reuseKey(inputs(withSetup(tc), { tools: new ToolPrints(env) }));
    expect(after.parts.tools).not.toBe(before.parts.tools);
    expect(after.parts.job).toBe(before.parts.job);
    expect(reuseKey(inputs(assignment(), { tools: new ToolPrints(env) })).key).toBe(plain.key);
  });

  test("another node binary on PATH changes the key", () => {
    const tc = mkdtempSync(join(tmpdir(), "slipway-tc-"));
    const bin = mkdtempSync(join(tmpdir(), "slipway-bin-"));
    const env = { PATH: bin };
    const before = reuseKey(inputs(withSetup(tc), { tools: new ToolPrints(env) }));
    writeFileSync(join(bin, "node"), "#!/bin/sh\n", { mode: 0o755 });
    const after = reuseKey(inputs(withSetup(tc), { tools: new ToolPrints(env) }));
    expect(after.parts.tools).not.toBe(before.parts.tools);
  });

  test("setupActions finds the setup actions a job uses", () => {
    expect(
      setupActions(
        canonical(["x", { uses: "Actions/Setup-Python@v5" }, { uses: "dtolnay/rust-toolchain@stable" }]),
      ),
    ).toEqual(["actions/setup-python", "dtolnay/rust-toolchain"]);
    expect(setupActions(canonical({ run: "echo actions/setup-node@v4" }))).toEqual([]);
  });
});
