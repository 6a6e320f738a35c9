import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { detect } from "./detect.js";
import { defaultSections, generate } from "./generate.js";
import { ACTIONS, Pins } from "./pins.js";
import { dependencyOrder } from "./release.js";
import { q } from "./steps.js";

const FIX = join(import.meta.dirname, "../../test/fixtures");
const store = mkdtempSync(join(tmpdir(), "slipway-gen-store-"));
afterAll(() => rmSync(store, { recursive: true, force: true }));
// Every action at its first ref, at a made-up commit of the test's own.
for (const [i, [action, refs]] of Object.entries(ACTIONS).entries()) {
  const dir = join(store, action, refs[0]!);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, ".slipway-action.json"),
    JSON.stringify({ commit: String(i).padStart(40, "a"), source: "test" }),
  );
}
const pins = () => new Pins({ store, offline: true });

test("the same repository gives the same bytes", async () => {
  const p = detect(join(FIX, "init-x0x"));
  const a = await generate(p, defaultSections(p), pins());
  const b = await generate(p, defaultSections(p), pins());
  expect(a).toEqual(b);
  expect(a.map((f) => f.path)).toEqual([
    ".github/actions/setup-rust/action.yml",
    ".github/dependabot.yml",
    ".github/workflows/ci.yml",
    ".github/workflows/publish.yml",
    ".github/workflows/release.yml",
    ".github/workflows/security.yml",
  ]);
});

test("offline without a store entry an action keeps its tag and is reported", async () => {
  const p = detect(join(FIX, "init-npm"));
  const none = new Pins({ store: join(store, "nothing"), offline: true });
  const files = await generate(p, ["ci"], none);
  const ci = files.find((f) => f.path === ".github/workflows/ci.yml")!.text;
  expect(ci).toContain("actions/checkout@v7 # not pinned: run 'slipway pin' online");
  expect(none.unpinned().map((u) => u.action)).toContain("actions/checkout");
});

test("release calls publish.yml only when publish is written too", async () => {
  const p = detect(join(FIX, "init-rust"));
  const alone = await generate(p, ["release"], pins());
  expect(alone.find((f) => f.path.endsWith("release.yml"))!.text).not.toContain("publish.yml");
  const both = await generate(p, ["release", "publish"], pins());
  expect(both.find((f) => f.path.endsWith("release.yml"))!.text).toContain(
    "uses: ./.github/workflows/publish.yml",
  );
});

test("deploy is a default only with a Dockerfile", () => {
  const p = detect(join(FIX, "init-rust"));
  expect(defaultSections(p)).not.toContain("deploy");
  expect(defaultSections({ ...p, dockerfile: true })).toContain("deploy");
});

test("dependency order puts a package after the repository's packages it needs", () => {
  const items = [
    { n: "main", d: ["linux", "left-pad"] },
    { n: "linux", d: [] },
    { n: "cli", d: ["main"] },
  ];
  expect(
    dependencyOrder(
      items,
      (x) => x.n,
      (x) => x.d,
    ).map((x) => x.n),
  ).toEqual(["linux", "main", "cli"]);
});

test("YAML scalars are quoted only when plain style would change them", () => {
  expect(q("ubuntu-latest")).toBe("ubuntu-latest");
  expect(q("1.95")).toBe('"1.95"');
  expect(q("on")).toBe('"on"');
  expect(q("test (${{ matrix.os }})")).toBe('"test (${{ matrix.os }})"');
});
