import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import { main } from "../cli/pin.js";
import { applyEdits, scanUses } from "./pin.js";
import { checkPins, pinRepo } from "./pin-repo.js";
import { pickRef, Resolver } from "./pin-resolve.js";

const fx = join(import.meta.dirname, "../../test/fixtures/pin");
const store = join(fx, "store");
const FILES = [
  ".github/workflows/ci.yml",
  ".github/actions/setup/action.yml",
  ".github/workflows/broken.yml",
];

function copyBefore(): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-pin-"));
  cpSync(join(fx, "before"), dir, { recursive: true });
  return dir;
}

afterEach(() => vi.restoreAllMocks());

/**
 * A git host folder holding acme/tool (bare): one commit with an annotated tag `annotated`
 * and light tags `light`, as `git ls-remote file://host/acme/tool` sees it.
 */
function actionHost(annotated: string, light: string[] = []): { host: string; commit: string } {
  const host = mkdtempSync(join(tmpdir(), "slipway-git-"));
  const work = join(host, "work");
  mkdirSync(work);
  const git = (...a: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...a], {
      cwd: work,
      encoding: "utf8",
    }).trim();
  git("init", "-q");
  writeFileSync(join(work, "action.yml"), "name: x\n");
  git("add", ".");
  git("commit", "-qm", "one");
  git("tag", "-a", annotated, "-m", "release");
  for (const t of light) git("tag", t);
  mkdirSync(join(host, "acme"));
  execFileSync("git", ["clone", "-q", "--bare", work, join(host, "acme", "tool")]);
  return { host, commit: git("rev-parse", "HEAD") };
}

describe("slipway pin", () => {
  test("pins from the store, keeps comments and layout, leaves unparseable files alone", async () => {
    const dir = copyBefore();
    const r = await pinRepo(dir, undefined, { store, offline: true });
    for (const f of FILES)
      expect(readFileSync(join(dir, f), "utf8"), f).toBe(readFileSync(join(fx, "after", f), "utf8"));
    const pinned = r.outcomes.flatMap((o) => o.pinned);
    expect(pinned).toHaveLength(7);
    expect(pinned.every((p) => p.via === "store")).toBe(true);
    const failed = r.outcomes.flatMap((o) => o.failed.map((f) => `${o.file}:${f.site.line}:${f.site.uses}`));
    expect(failed).toEqual([".github/workflows/ci.yml:19:unknown/action@v1"]);
    const broken = r.outcomes.find((o) => o.file.endsWith("broken.yml"))!;
    expect(broken.error?.message).toMatch(/cannot parse, left unchanged/);
    expect(broken.error?.line).toBeGreaterThan(1);
  });

  test("pinning twice changes nothing more", async () => {
    const dir = copyBefore();
    await pinRepo(dir, undefined, { store, offline: true });
    const once = readFileSync(join(dir, FILES[0]!), "utf8");
    const again = await pinRepo(dir, undefined, { store, offline: true });
    expect(readFileSync(join(dir, FILES[0]!), "utf8")).toBe(once);
    expect(again.outcomes.flatMap((o) => o.pinned)).toEqual([]);
  });

  test("without a network, git ls-remote fails once and cleanly", async () => {
    const dir = copyBefore();
    // Port 9 (discard) on localhost refuses connections: the same failure as no network.
    const r = await pinRepo(dir, [FILES[0]!], { store: undefined, gitBase: "http://127.0.0.1:9" });
    const failed = r.outcomes.flatMap((o) => o.failed);
    expect(failed).toHaveLength(7);
    expect(failed[0]!.error).toMatch(
      /not in the action store and git ls-remote failed: .*(connect|refused|access)/i,
    );
    expect(readFileSync(join(dir, FILES[0]!), "utf8")).toBe(
      readFileSync(join(fx, "before", FILES[0]!), "utf8"),
    );
  });

  test("resolves tags with git ls-remote, preferring an annotated tag's commit", async () => {
    const { host, commit } = actionHost("v1.2.0");
    const resolver = new Resolver({ store: undefined, gitBase: `file://${host}` });
    expect(await resolver.resolve("acme", "tool", "v1.2.0")).toEqual({ ok: true, sha: commit, via: "git" });
    expect(await resolver.resolve("acme", "tool", "v9")).toEqual({
      ok: false,
      error: "acme/tool has no tag or branch 'v9'",
    });
  });

  test("a major tag is pinned with the full version of its release in the comment (# v4.2.2, not # v4)", async () => {
    const { host, commit } = actionHost("v4.2.2", ["v4.2", "v4"]);
    const resolver = new Resolver({ store: undefined, gitBase: `file://${host}` });
    expect(await resolver.resolve("acme", "tool", "v4")).toEqual({
      ok: true,
      sha: commit,
      via: "git",
      version: "v4.2.2",
    });
    expect(await resolver.resolve("acme", "tool", "v4.2.2")).toEqual({ ok: true, sha: commit, via: "git" });
    const text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: acme/tool@v4\n";
    const { applyEdits, scanUses } = await import("./pin.js");
    const scan = scanUses(text);
    if (!scan.ok) throw new Error(scan.error);
    expect(applyEdits(text, [{ site: scan.unpinned[0]!, sha: commit, version: "v4.2.2" }]).text).toBe(
      text.replace("acme/tool@v4", `acme/tool@${commit} # v4.2.2`),
    );
  });

  test("pickRef prefers peeled tags, then tags, then branches", () => {
    const refs = new Map([
      ["refs/heads/v1", "a".repeat(40)],
      ["refs/tags/v1", "b".repeat(40)],
      ["refs/tags/v1^{}", "c".repeat(40)],
      ["refs/tags/v2", "d".repeat(40)],
    ]);
    expect(pickRef(refs, "v1")).toBe("c".repeat(40));
    expect(pickRef(refs, "v2")).toBe("d".repeat(40));
    expect(pickRef(refs, "v3")).toBeUndefined();
  });

  test("applyEdits edits only the ref and adds the comment", () => {
    const text = "jobs:\n  a:\n    steps:\n      - uses: a/b@v1\r\n      - uses: a/b@v1 # keep\n";
    const scan = scanUses(text);
    if (!scan.ok) throw new Error(scan.error);
    const sha = "e".repeat(40);
    const out = applyEdits(
      text,
      scan.unpinned.map((site) => ({ site, sha })),
    ).text;
    expect(out).toBe(
      `jobs:\n  a:\n    steps:\n      - uses: a/b@${sha} # v1\r\n      - uses: a/b@${sha} # v1 # keep\n`,
    );
  });

  test("--check lists unpinned uses, writes nothing and exits 1", async () => {
    const dir = copyBefore();
    const logs: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: string) => void logs.push(s));
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["--check", FILES[0]!], dir)).toBe(1);
    expect(logs).toContain(".github/workflows/ci.yml:9:15: not pinned to a commit SHA: actions/checkout@v4");
    expect(logs.at(-1)).toBe("1 pinned, 7 unpinned");
    expect(readFileSync(join(dir, FILES[0]!), "utf8")).toBe(
      readFileSync(join(fx, "before", FILES[0]!), "utf8"),
    );
    const after = join(fx, "after");
    const r = await checkPins(after, [FILES[1]!]);
    expect(r.unpinned).toEqual([]);
    expect(await main(["--check", FILES[1]!], after)).toBe(0);
  });

  test("CLI exit codes: 1 when something stays unpinned, 2 for a file it cannot parse", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(console, "error").mockImplementation(() => {});
    const dir = copyBefore();
    expect(await main(["--store", store, "--offline", FILES[1]!], dir)).toBe(0);
    expect(await main(["--store", store, "--offline", FILES[0]!], dir)).toBe(1);
    expect(await main(["--store", store, "--offline", FILES[2]!], dir)).toBe(2);
    expect(await main(["--bogus"], dir)).toBe(2);
  });
});

test("deep nesting is refused at its place before the YAML parser runs out of stack", () => {
  const scan = scanUses(`on: push\nx:\n  - ${"- ".repeat(3000)}y\n`);
  expect(scan).toMatchObject({ ok: false, line: 3, error: "Maximum object depth exceeded" });
});
