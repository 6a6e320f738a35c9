// `slipway init` end to end on the fixture repositories: what it writes passes lint --audit,
// scores at least 95, re-running it changes nothing, hand-written workflows are only shown as a
// diff unless --yes, and bad manifests are errors with their position.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";
import { initStore } from "./helpers/init-store.js";

const store = initStore();
const dirs: string[] = [store];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function repo(fixture: string, files: Record<string, string> = {}): string {
  const dir = tempRepo(join(ROOT, "test/fixtures", fixture), files);
  dirs.push(dir);
  return dir;
}

const init = (dir: string, ...args: string[]) =>
  slipway(["init", "--offline", "--store", store, ...args], dir);

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(join(dir, d), { withFileTypes: true })) {
      const p = d ? `${d}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(join(dir, p), "utf8");
    }
  };
  walk(".github");
  return out;
}

describe.each([
  ["init-rust", "a Rust crate"],
  ["init-pyo3", "Rust + PyO3"],
  ["init-npm", "an npm package"],
  ["init-python", "a Python package"],
  ["init-x0x", "a Rust core with npm and PyPI packages"],
])("%s (%s)", (fixture) => {
  const dir = repo(fixture);
  const first = init(dir);

  test("writes workflows that pass lint --audit and score at least 95", () => {
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("No problems found.");
    const lint = slipway(["lint", "--audit", "--fail-on", "info"], dir, { SLIPWAY_ACTION_STORE: store });
    expect(lint.stdout + lint.stderr).toContain("No problems found.");
    expect(lint.code).toBe(0);
    const score = slipway(["score", "--json", "--store", store], dir);
    expect(score.code).toBe(0);
    const card = JSON.parse(score.stdout) as { score: number };
    expect(card.score).toBeGreaterThanOrEqual(95);
    expect(first.stdout).toContain(`Pipeline score: ${card.score}/100`);
  });

  test("every action is pinned, every job has a timeout and read-only or narrower defaults", () => {
    for (const [path, text] of Object.entries(tree(dir))) {
      for (const m of text.matchAll(/uses: ([^\s#]+)/g))
        if (!m[1]!.startsWith("./")) expect(m[1], path).toMatch(/@[0-9a-f]{40}$/);
      if (path.startsWith(".github/workflows/")) {
        expect(text, path).toContain("permissions: {}");
        expect(text).not.toMatch(/persist-credentials: true/);
      }
    }
  });

  test("running init again changes nothing", () => {
    const before = tree(dir);
    const again = init(dir);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/: (created|changed|differs)/);
    expect(tree(dir)).toEqual(before);
  });
});

test("a crate without dependencies gets no build cache; one with them does", () => {
  const plain = repo("init-rust");
  init(plain);
  expect(readFileSync(join(plain, ".github/actions/setup-rust/action.yml"), "utf8")).not.toContain(
    "uses: Swatinem/rust-cache",
  );
  const withDeps = repo("init-pyo3");
  init(withDeps);
  expect(readFileSync(join(withDeps, ".github/actions/setup-rust/action.yml"), "utf8")).toContain(
    "Swatinem/rust-cache@",
  );
});

test("the MSRV, the codecov target and the benchmarks come from the repository", () => {
  const dir = repo("init-rust");
  init(dir);
  const ci = readFileSync(join(dir, ".github/workflows/ci.yml"), "utf8");
  expect(ci).toContain('toolchain: "1.95"');
  expect(ci).toContain("--fail-under-lines 85");
  expect(ci).toContain('alert-threshold: "110%"');
});

test("the x0x-like repository publishes crates, then npm, then PyPI, platform package first", () => {
  const dir = repo("init-x0x");
  init(dir);
  const pub = readFileSync(join(dir, ".github/workflows/publish.yml"), "utf8");
  expect(pub).toMatch(/for crate in x0xfix-core x0xfix;/);
  expect(pub.indexOf("x0xfix-linux-x64@")).toBeLessThan(pub.indexOf('"x0xfix@'));
  expect(pub).toMatch(/ {2}npm:\n(.*\n)*? {4}needs: \[crates\]/);
  expect(pub).toMatch(/ {2}pypi:\n(.*\n)*? {4}needs: \[npm\]/);
  expect(pub).not.toMatch(/secrets\./);
  const rel = readFileSync(join(dir, ".github/workflows/release.yml"), "utf8");
  expect(rel).toContain('slipway release check-tag "$GITHUB_REF_NAME"');
  expect(rel).toContain("SHA256SUMS");
});

test("a hand-written workflow is shown as a diff and overwritten only with --yes", () => {
  const mine =
    "name: mine\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";
  const dir = repo("init-npm", { ".github/workflows/ci.yml": mine });
  const r = init(dir);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain("--- a/.github/workflows/ci.yml");
  expect(r.stdout).toContain("-name: mine");
  expect(r.stdout).toContain(".github/workflows/ci.yml: differs, not overwritten (use --yes)");
  expect(r.stderr).toContain("run again with --yes");
  expect(readFileSync(join(dir, ".github/workflows/ci.yml"), "utf8")).toBe(mine);
  const yes = init(dir, "--yes");
  expect(yes.code).toBe(0);
  expect(yes.stdout).toContain(".github/workflows/ci.yml: changed");
  expect(readFileSync(join(dir, ".github/workflows/ci.yml"), "utf8")).not.toBe(mine);
});

test("workflows init does not write are kept and named", () => {
  const mine =
    "name: nightly\non: workflow_dispatch\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - run: echo hi\n";
  const dir = repo("init-npm", { ".github/workflows/nightly.yml": mine });
  const r = init(dir);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("kept: .github/workflows/nightly.yml (not written by init");
  expect(readFileSync(join(dir, ".github/workflows/nightly.yml"), "utf8")).toBe(mine);
});

test("--dry-run prints the files and the score and writes nothing", () => {
  const dir = repo("init-python");
  const r = init(dir, "--dry-run");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("--- .github/workflows/ci.yml (new)");
  expect(r.stdout).toContain(".github/workflows/ci.yml: would create");
  expect(r.stdout).toMatch(/Pipeline score: \d+\/100/);
  expect(() => readdirSync(join(dir, ".github"))).toThrow();
});

test("--only writes just those sections (and Dependabot)", () => {
  const dir = repo("init-rust");
  const r = init(dir, "--only", "ci,deploy");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("No problems found.");
  expect(readFileSync(join(dir, ".github/workflows/deploy.yml"), "utf8")).toMatch(
    / {2}production:\n(.*\n)*? {4}needs: \[staging\]\n(.*\n)*? {4}environment: production/,
  );
  expect(Object.keys(tree(dir)).sort()).toEqual([
    ".github/actions/setup-rust/action.yml",
    ".github/dependabot.yml",
    ".github/workflows/ci.yml",
    ".github/workflows/deploy.yml",
    ".github/workflows/rollback.yml",
  ]);
  const bad = init(dir, "--only", "ci,docs");
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("unknown section 'docs'");
});

test("without the actions in the store and offline, it says what it could not pin", () => {
  const dir = repo("init-npm");
  const empty = join(dir, ".no-store");
  const r = slipway(["init", "--offline", "--store", empty, "--dry-run"], dir);
  expect(r.stderr).toMatch(
    /could not pin actions\/checkout \(left at its tag\): .*not in the action store \(offline\)/,
  );
  expect(r.stdout).toContain("# not pinned: run 'slipway pin' online");
  expect(r.stdout).not.toMatch(/actions\/checkout@[0-9a-f]{40}/);
});

test.each([
  ["Cargo.toml", '[package]\nname = "x"\nversion = 1.2.3.4\n', /^slipway init: Cargo\.toml:3:\d+: /],
  ["pyproject.toml", '[project]\nname = "x"\n[project\n', /^slipway init: pyproject\.toml:[34]:\d+: /],
  ["package.json", '{\n  "name": "x",\n  "version": \n}\n', /^slipway init: package\.json:4:\d+: /],
])("an unreadable %s is an error with its position", (file, text, want) => {
  const dir = repo("init-rust");
  writeFileSync(join(dir, file), text);
  const r = init(dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(want);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});
