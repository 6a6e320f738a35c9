import { join } from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import { main } from "../cli/score.js";
import { type ScoreCard, scoreRepo } from "./score.js";
import { renderScore } from "./score-render.js";

const fx = join(import.meta.dirname, "../../test/fixtures/score");
const check = (card: ScoreCard, id: string) =>
  card.categories.flatMap((c) => c.checks).find((k) => k.id === id)!;

const weak = await scoreRepo(join(fx, "weak"), { store: join(fx, "no-store") });
const strong = await scoreRepo(join(fx, "strong"), { store: join(fx, "no-store") });

afterEach(() => vi.restoreAllMocks());

describe("slipway score", () => {
  test("the strong pipeline outscores the weak one in every category", () => {
    expect(strong.score).toBe(100);
    expect(weak.score).toBeLessThan(40);
    for (const c of strong.categories) {
      const w = weak.categories.find((x) => x.id === c.id)!;
      expect(c.points, c.id).toBeGreaterThan(w.points);
    }
  });

  test("the card adds up and has the six categories", () => {
    for (const card of [weak, strong]) {
      expect(card.categories.map((c) => c.id)).toEqual([
        "security",
        "release",
        "testing",
        "efficiency",
        "platforms",
        "maintainability",
      ]);
      expect(card.categories.reduce((n, c) => n + c.max, 0)).toBe(100);
      expect(card.categories.reduce((n, c) => n + c.points, 0)).toBe(card.score);
      for (const k of card.categories.flatMap((c) => c.checks)) {
        expect(k.points).toBeGreaterThanOrEqual(0);
        expect(k.points).toBeLessThanOrEqual(k.max);
        if (k.points < k.max) expect(k.fix, k.id).toBeTruthy();
      }
      expect(card.sources).toEqual({ audit: true, lint: true });
    }
  });

  test("lost points trace to audit findings", () => {
    const tp = check(weak, "trusted-publishing");
    expect(tp.points).toBe(0);
    expect(tp.evidence).toEqual([
      expect.objectContaining({
        file: ".github/workflows/release.yml",
        line: 17,
        detail: expect.stringContaining("long-lived-token"),
      }),
    ]);
    const clean = check(weak, "audit-clean");
    expect(clean.evidence.map((e) => e.detail.split(":")[0])).toEqual([
      "error template-injection",
      "warning cache-poisoning",
      "warning curl-pipe-shell",
    ]);
    expect(clean.points).toBe(8 - 3 - 2);
    expect(check(weak, "sha-pinning")).toMatchObject({
      points: 0,
      reason: "0 of 5 remote uses pinned to a full SHA",
    });
    expect(check(weak, "token-permissions").evidence).toHaveLength(2);
  });

  test("earned points trace to the YAML that shows the feature", () => {
    expect(check(strong, "trusted-publishing").evidence[0]).toMatchObject({
      file: ".github/workflows/release.yml",
      line: 62,
    });
    expect(check(strong, "coverage-gate").evidence[0]!.detail).toContain("--fail-under");
    expect(check(strong, "environments").evidence[0]!.detail).toBe(
      "job publish deploys to environment 'pypi'",
    );
    expect(check(strong, "versioning").evidence[0]!.detail).toContain("release-plz");
    expect(check(strong, "arm64").evidence.map((e) => e.detail)).toContain(
      "job test runs on ubuntu-24.04-arm",
    );
    expect(check(strong, "timeouts").reason).toBe("7 of 7 jobs set timeout-minutes");
    // Caching only in a release workflow is a finding, not a point.
    expect(check(weak, "caching").points).toBe(0);
  });

  test("fixes are ordered by points gained and the strong card needs none", () => {
    const gains = weak.fixes.map((f) => f.gain);
    expect(gains).toEqual([...gains].sort((a, b) => b - a));
    expect(weak.fixes.reduce((n, f) => n + f.gain, 0)).toBe(100 - weak.score);
    expect(strong.fixes).toEqual([]);
    expect(renderScore(weak)).toMatch(/^Pipeline score: \d+\/100\n[\s\S]*Top fixes\n {2}\+5 /);
  });

  test("CLI: --json prints the card, --min sets the exit code", async () => {
    const out: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: string) => void out.push(s));
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["--json", "--store", join(fx, "no-store")], join(fx, "weak"))).toBe(0);
    expect(JSON.parse(out[0]!).score).toBe(weak.score);
    expect(await main(["--json", "--min", "50"], join(fx, "weak"))).toBe(1);
    expect(await main(["--json", "--min", "50"], join(fx, "strong"))).toBe(0);
    expect(await main(["--min", "abc"], join(fx, "strong"))).toBe(2);
    expect(await main([], fx)).toBe(2);
  });
});

describe("slipway score reads the repository before judging", () => {
  test("a linter run by `npm test` (package.json scripts, one level of npm run) counts as static analysis", async () => {
    const card = await scoreRepo(join(fx, "npm-xo"), { store: join(fx, "no-store") });
    const k = check(card, "static-analysis");
    expect(k.points).toBe(k.max);
    expect(k.evidence.map((e) => e.detail)).toEqual(["npm test runs xo (package.json scripts.test)"]);
  });

  test("a crate with no dependencies is not told to cache them; one with dependencies is", async () => {
    const none = check(await scoreRepo(join(fx, "crate-nodeps"), { store: join(fx, "no-store") }), "caching");
    expect(none).toMatchObject({ points: 5, reason: "nothing to cache: Cargo.toml lists no dependencies" });
    const deps = check(await scoreRepo(join(fx, "crate-deps"), { store: join(fx, "no-store") }), "caching");
    expect(deps).toMatchObject({ points: 0, reason: "nothing is cached" });
  });
});

test("an SBOM counts with signatures and provenance; fuzzing counts as a security scan", async () => {
  const { mkdtempSync, mkdirSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const root = mkdtempSync(join(tmpdir(), "slipway-score-"));
  mkdirSync(join(root, ".github/workflows"), { recursive: true });
  writeFileSync(
    join(root, ".github/workflows/release.yml"),
    `on: { push: { tags: ["v*"] } }
jobs:
  sbom:
    runs-on: ubuntu-latest
    steps:
      - uses: anchore/sbom-action@v0
      - run: cargo fuzz run parse -- -max_total_time=60
`,
  );
  const card = await scoreRepo(root, { store: join(fx, "no-store") });
  expect(check(card, "signing").evidence.map((e) => e.detail)).toEqual([
    "signs or attests releases (anchore/sbom-action)",
  ]);
  expect(check(card, "security-scan").evidence.map((e) => e.detail)).toEqual(["scans with cargo fuzz run"]);
});

test("pinning counts container images without a digest and unversioned installs, as Scorecard does", async () => {
  const { mkdtempSync, mkdirSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const root = mkdtempSync(join(tmpdir(), "slipway-score-"));
  mkdirSync(join(root, ".github/workflows"), { recursive: true });
  const sha = "11bd71901bbe5b1630ceea73d27597364c9af683";
  writeFileSync(
    join(root, ".github/workflows/ci.yml"),
    `on: push
permissions: {}
jobs:
  t:
    runs-on: ubuntu-latest
    container: python:3.12
    steps:
      - uses: actions/checkout@${sha} # v4.2.2
      - run: pip install requests
`,
  );
  const k = check(await scoreRepo(root, { store: join(fx, "no-store") }), "sha-pinning");
  expect(k.reason).toBe(
    "1 of 1 remote uses pinned to a full SHA; 1 image(s) without a digest, 1 install(s) without a version",
  );
  expect(k.points).toBe(2);
});
