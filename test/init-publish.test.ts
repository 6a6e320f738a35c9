// The x0x-like fixture's release and publish workflows, as `slipway init` writes them, run by
// `slipway run push --ref refs/tags/v0.2.0` against real registries on loopback (.ci/registries.sh:
// cargo-http-registry, Verdaccio, pypiserver): the crates, then the npm packages, then the
// Python package are published at 0.2.0, each smoke-installed from its registry. The workflows
// are GitHub's as written; the registries come in through repository variables (--var) and the
// tokens through secrets (--secret), standing in for trusted publishing, which needs GitHub's OIDC.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { indexPath } from "../src/publish/cargo.js";
import { BIN, ROOT, slipway } from "./helpers/cli.js";
import { initStore } from "./helpers/init-store.js";
import { registriesMissing } from "./helpers/registries.js";

const env = process.env;
const why = registriesMissing([
  "SLIPWAY_TEST_NPM_REGISTRY",
  "SLIPWAY_TEST_NPM_TOKEN",
  "SLIPWAY_TEST_PYPI_URL",
  "SLIPWAY_TEST_PYPI_USER",
  "SLIPWAY_TEST_PYPI_PASSWORD",
  "SLIPWAY_TEST_CARGO_INDEX",
]);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

const git = (dir: string, ...a: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t.invalid", ...a], {
    cwd: dir,
    encoding: "utf8",
  });

/** The fixture with its package names made unique (the registries live as long as the CI run). */
function fixture(): { dir: string; name: string } {
  const name = `x0xfix${randomBytes(3).toString("hex")}`;
  const dir = join(temp("slipway-init-publish-"), "x0x");
  cpSync(join(ROOT, "test/fixtures/init-x0x"), dir, { recursive: true });
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else writeFileSync(p, readFileSync(p, "utf8").replaceAll("x0xfix", name));
    }
  };
  walk(dir);
  renameSync(join(dir, "python/src/x0xfix"), join(dir, `python/src/${name}`));
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "feat: the x0x-like project");
  const store = initStore();
  dirs.push(store);
  const init = slipway(["init", "--offline", "--store", store], dir);
  expect(init.code, init.stderr).toBe(0);
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "ci: slipway init");
  git(dir, "tag", "-a", "v0.2.0", "-m", "v0.2.0");
  return { dir, name };
}

/** The versions a crate has in the cargo index (a git repository cargo-http-registry commits to). */
function crateVersions(name: string): string[] {
  const repo = new URL(env.SLIPWAY_TEST_CARGO_INDEX!).pathname;
  const r = spawnSync("git", ["-C", repo, "show", `HEAD:${indexPath(name)}`], { encoding: "utf8" });
  return r.status === 0
    ? r.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { vers: string }).vers)
    : [];
}

async function npmVersions(name: string): Promise<string[]> {
  const res = await fetch(new URL(name, env.SLIPWAY_TEST_NPM_REGISTRY));
  return res.status === 404 ? [] : Object.keys(((await res.json()) as { versions: object }).versions);
}

async function pypiFiles(name: string): Promise<string[]> {
  const res = await fetch(new URL(`simple/${name}/`, env.SLIPWAY_TEST_PYPI_URL));
  if (res.status === 404) return [];
  return [...(await res.text()).matchAll(/>([^<]+\.(?:whl|tar\.gz))</g)].map((m) => m[1]!).sort();
}

/** Where a line first appears in the log; -1 when it does not. */
const at = (out: string, line: string | RegExp) =>
  typeof line === "string" ? out.indexOf(line) : (line.exec(out)?.index ?? -1);

describe.skipIf(why)(`slipway init's release and publish workflows${why ? ` (skipped: ${why})` : ""}`, () => {
  test("a release tag publishes the crates, then npm, then PyPI, to the local registries, each smoke-installed", async () => {
    const { dir, name } = fixture();
    // The workflows run `slipway` from PATH (the tag guard), as on a machine that has it installed.
    const bin = temp("slipway-bin-");
    writeFileSync(join(bin, "slipway"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, "slipway"), 0o755);
    const pypi = env.SLIPWAY_TEST_PYPI_URL!;
    const args = [
      "run",
      "push",
      "--ref",
      "refs/tags/v0.2.0",
      "--approve",
      "*",
      // On the host: the cargo index is a git repository on this disk (file://) that the
      // registry commits to while the job reads it, and the sandbox's overlay shows a job the
      // disk as it was when the job started (cargo would wait for its crate forever).
      "--no-sandbox",
      "--var",
      `CARGO_REGISTRY_INDEX=${env.SLIPWAY_TEST_CARGO_INDEX}`,
      "--var",
      `NPM_REGISTRY_URL=${env.SLIPWAY_TEST_NPM_REGISTRY}`,
      "--var",
      `PYPI_REPOSITORY_URL=${pypi}`,
      "--var",
      `PYPI_INDEX_URL=${new URL("simple/", pypi)}`,
      "--var",
      `PYPI_USER=${env.SLIPWAY_TEST_PYPI_USER}`,
      // cargo-http-registry checks no token, but cargo insists on one.
      "--secret",
      "CARGO_REGISTRY_TOKEN=local-registry-token",
      "--secret",
      `NPM_TOKEN=${env.SLIPWAY_TEST_NPM_TOKEN}`,
      "--secret",
      `PYPI_TOKEN=${env.SLIPWAY_TEST_PYPI_PASSWORD}`,
    ];
    const run = () => {
      const r = slipway(args, dir, { SLIPWAY_REUSE: "0", PATH: `${bin}:${env.PATH}` });
      return { ...r, out: r.stdout + r.stderr };
    };
    const r = run();
    const out = r.out;
    expect(out).toContain("Run success");
    expect(r.code).toBe(0);

    // On the registries at 0.2.0.
    expect(crateVersions(`${name}-core`)).toEqual(["0.2.0"]);
    expect(crateVersions(name)).toEqual(["0.2.0"]);
    expect(await npmVersions(`${name}-linux-x64`)).toEqual(["0.2.0"]);
    expect(await npmVersions(name)).toEqual(["0.2.0"]);
    expect(await pypiFiles(name)).toEqual([`${name}-0.2.0-py3-none-any.whl`, `${name}-0.2.0.tar.gz`]);

    // In order: each registry's job starts after the one before has published and smoke-tested,
    // and the crates go out in dependency order.
    const steps = [
      `${name}-core v0.2.0 at registry \`staging\``,
      ` ${name} v0.2.0 at registry \`staging\``,
      "[publish / publish crates] ✓ Smoke test",
      "[publish / publish npm packages] ⏵ job started",
      `+ ${name}-linux-x64@0.2.0`,
      `+ ${name}@0.2.0`,
      "[publish / publish npm packages] ✓ Smoke test",
      "[publish / publish to PyPI] ⏵ job started",
      `Uploaded ${name}-0.2.0-py3-none-any.whl`,
      `Successfully installed ${name}-0.2.0`,
      "[publish / publish to PyPI] ✓ Smoke test",
    ];
    const where = steps.map((l) => at(out, l));
    for (const [i, w] of where.entries()) expect(w, steps[i]).toBeGreaterThan(-1);
    expect([...where].sort((a, b) => a - b)).toEqual(where);

    // What GitHub alone can do is said, not faked.
    expect(out).toContain("no GitHub release created");
    expect(out).toMatch(/Provenance for 7 subject\(s\) written UNSIGNED/);
    expect(out).toContain("the token is CARGO_REGISTRY_TOKEN, not one from trusted publishing");
    expect(out).toContain("with the secret PYPI_TOKEN instead of trusted publishing");
    expect(out).toContain("NODE_AUTH_TOKEN is the secret NPM_TOKEN");
    expect(out).not.toContain(env.SLIPWAY_TEST_NPM_TOKEN!);
    expect(out).not.toContain(env.SLIPWAY_TEST_PYPI_PASSWORD!);
    const statement = JSON.parse(
      readFileSync(
        join(dir, ".slipway/runs/1/artifacts/provenance-github-release/github-release.intoto.jsonl"),
        "utf8",
      ),
    );
    expect(statement.predicateType).toBe("https://slsa.dev/provenance/v1");
    expect(statement.subject.map((x: { name: string }) => x.name)).toContain(`${name}-0.2.0.tar.gz`);

    // The same tag again (a re-run after a failure): every version is there, nothing is published twice.
    const again = run();
    expect(again.out).toContain("Run success");
    expect(again.out).toContain(`${name}-core 0.2.0 is already on staging`);
    expect(again.out).toContain(`${name} 0.2.0 is already there`);
    expect(again.out).toContain(`Skipped ${name}-0.2.0.tar.gz`);
    expect(crateVersions(name)).toEqual(["0.2.0"]);
  }, 600_000);
});
