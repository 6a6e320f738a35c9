// `slipway publish` end to end against real registries on loopback (.ci/registries.sh starts
// Verdaccio, pypiserver and cargo-http-registry): the polyglot example published in order,
// re-runs that change nothing, a failure in the middle and the re-run that finishes it.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  existsSync,
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
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { registriesFrom } from "../src/cli/publish.js";
import { fetchAgain } from "../src/publish/adapter.js";
import { type Context, credentialsFrom } from "../src/publish/context.js";
import { discover } from "../src/publish/discover.js";
import { npm } from "../src/publish/npm.js";
import { pypi, upload } from "../src/publish/pypi.js";
import { Masker } from "../src/run/mask.js";
import { ROOT, slipway } from "./helpers/cli.js";
import { registriesMissing } from "./helpers/registries.js";

const env = process.env;
const why = registriesMissing([
  "SLIPWAY_TEST_NPM_REGISTRY",
  "SLIPWAY_TEST_NPM_TOKEN",
  "SLIPWAY_TEST_PYPI_URL",
  "SLIPWAY_TEST_CARGO_INDEX",
  "SLIPWAY_TEST_PYTHON_BIN",
]);
const hasGpg = spawnSync("gpg", ["--version"]).status === 0;
// Several publishes of five packages each, with smoke installs: on a loaded 2-core machine
// one test takes up to a minute; the default 60 s would make them flaky.
const SLOW = 240_000;

const gitEnv = {
  GIT_AUTHOR_NAME: "Slipway Test",
  GIT_AUTHOR_EMAIL: "test@slipway.invalid",
  GIT_COMMITTER_NAME: "Slipway Test",
  GIT_COMMITTER_EMAIL: "test@slipway.invalid",
};
function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", env: { ...env, ...gitEnv } });
}

const dirs: string[] = [];
let gnupg = "";
afterAll(() => {
  // gpg started an agent for the throw-away home: it goes with it.
  if (gnupg) spawnSync("gpgconf", ["--homedir", gnupg, "--kill", "gpg-agent"]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function temp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/**
 * A copy of examples/polyglot whose packages carry `tag` in their names, so each test has
 * registry names of its own on the shared servers.
 */
function example(name: string): { dir: string; tag: string } {
  // The servers live as long as the CI run: a random part keeps a re-run's names new.
  const tag = `${name}${randomBytes(3).toString("hex")}`;
  const dir = join(temp("slipway-polyglot-"), "polyglot");
  cpSync(join(ROOT, "examples/polyglot"), dir, { recursive: true });
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else
        writeFileSync(
          p,
          readFileSync(p, "utf8")
            .replaceAll("slipway-polyglot", `slipway-polyglot-${tag}`)
            .replaceAll("slipway_polyglot", `slipway_polyglot_${tag}`),
        );
    }
  };
  walk(dir);
  renameSync(join(dir, "python/src/slipway_polyglot"), join(dir, `python/src/slipway_polyglot_${tag}`));
  return { dir, tag };
}

const registryFlags = () => [
  "--registry",
  `crates=${env.SLIPWAY_TEST_CARGO_INDEX}`,
  "--registry",
  `npm=${env.SLIPWAY_TEST_NPM_REGISTRY}`,
  "--registry",
  `pypi=${env.SLIPWAY_TEST_PYPI_URL}`,
];

const credentials = (npmToken = env.SLIPWAY_TEST_NPM_TOKEN!) => ({
  NPM_TOKEN: npmToken,
  TWINE_USERNAME: env.SLIPWAY_TEST_PYPI_USER ?? "",
  TWINE_PASSWORD: env.SLIPWAY_TEST_PYPI_PASSWORD ?? "",
  // The test venv's python3 has `build`; no twine on PATH, so the upload is Slipway's own.
  SLIPWAY_PYTHON: join(env.SLIPWAY_TEST_PYTHON_BIN ?? "", "python3"),
});

interface Result {
  ok: boolean;
  packages: { ecosystem: string; name: string; version: string; status: string; note?: string }[];
  out?: string;
  signed: boolean;
}

function publish(dir: string, extra: string[] = [], over: Record<string, string> = {}) {
  const r = slipway(["publish", "--json", ...registryFlags(), ...extra], dir, { ...credentials(), ...over });
  let json: Result | undefined;
  try {
    json = JSON.parse(r.stdout) as Result;
  } catch {}
  return { ...r, json: json! };
}

/** The commits of the cargo index: one per crate version ever published. */
function cargoCommits(): number {
  const repo = new URL(env.SLIPWAY_TEST_CARGO_INDEX!).pathname;
  return Number(
    execFileSync("git", ["-C", repo, "rev-list", "--count", "HEAD"], { encoding: "utf8" }).trim(),
  );
}

async function npmVersions(name: string): Promise<string[]> {
  const res = await fetchAgain(new URL(name, env.SLIPWAY_TEST_NPM_REGISTRY).toString(), {});
  if (res.status === 404) return [];
  return Object.keys(((await res.json()) as { versions: Record<string, unknown> }).versions);
}

async function pypiFiles(name: string): Promise<string[]> {
  const res = await fetchAgain(new URL(`simple/${name}/`, env.SLIPWAY_TEST_PYPI_URL).toString(), {});
  if (res.status === 404) return [];
  return [...(await res.text()).matchAll(/>([^<]+\.(?:whl|tar\.gz))</g)].map((m) => m[1]!);
}

describe.skipIf(why)(`publish to real registries${why ? ` (skipped: ${why})` : ""}`, () => {
  beforeAll(() => {
    if (!hasGpg) return;
    // A throw-away key in a throw-away GNUPGHOME: no passphrase, signing only.
    gnupg = temp("slipway-gnupg-");
    execFileSync(
      "gpg",
      [
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Slipway Test <publish@slipway.invalid>",
        "ed25519",
        "sign",
        "never",
      ],
      {
        env: { ...env, GNUPGHOME: gnupg },
        stdio: "ignore",
      },
    );
  });

  test(
    "released, then published crates → npm → PyPI, signed; a re-run changes nothing; the next release too",
    async () => {
      const { dir, tag } = example("e2e");
      git(dir, "init", "-q");
      git(dir, "add", "-A");
      git(dir, "commit", "-qm", "feat: the polyglot example");
      expect(slipway(["release"], dir, gitEnv).code).toBe(0);
      expect(git(dir, "tag", "--points-at", "HEAD")).toBe("v0.1.0\n");
      const sign = hasGpg ? ["--gpg-key", "publish@slipway.invalid"] : [];
      const first = publish(dir, sign, { GNUPGHOME: gnupg });
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(first.json.packages.map((p) => `${p.ecosystem} ${p.name} ${p.status}`)).toEqual([
        `crates slipway-polyglot-${tag}-types published`,
        `crates slipway-polyglot-${tag}-core published`,
        `npm slipway-polyglot-${tag}-linux-x64 published`,
        `npm slipway-polyglot-${tag} published`,
        `pypi slipway-polyglot-${tag} published`,
      ]);
      expect(await npmVersions(`slipway-polyglot-${tag}`)).toEqual(["0.1.0"]);
      expect((await pypiFiles(`slipway-polyglot-${tag}`)).sort()).toEqual([
        `slipway_polyglot_${tag}-0.1.0-py3-none-any.whl`,
        `slipway_polyglot_${tag}-0.1.0.tar.gz`,
      ]);

      // Every artifact is in SHA256SUMS, and the sums and the provenance verify with gpg.
      const out = join(dir, ".slipway/publish");
      expect(
        execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: out, encoding: "utf8" }).match(/: OK/g),
      ).toHaveLength(6);
      const statement = JSON.parse(readFileSync(join(out, "provenance.intoto.json"), "utf8"));
      expect(statement.predicateType).toBe("https://slsa.dev/provenance/v1");
      expect(statement.subject).toHaveLength(6);
      if (hasGpg) {
        expect(first.json.signed).toBe(true);
        for (const f of ["SHA256SUMS", "provenance.intoto.json"])
          execFileSync("gpg", ["--verify", `${f}.asc`, f], {
            cwd: out,
            env: { ...env, GNUPGHOME: gnupg },
            stdio: "ignore",
          });
      }

      const commits = cargoCommits();
      const again = publish(dir);
      expect(again.code).toBe(0);
      expect(again.json.packages.map((p) => p.status)).toEqual(Array(5).fill("skipped"));
      expect(again.json.packages[0]!.note).toMatch(/already published with the same content/);
      expect(cargoCommits()).toBe(commits);
      await refusals(dir, tag);

      // Same version, other content: refused before anything is uploaded.
      appendFileSync(join(dir, "crates/types/src/lib.rs"), "pub const CHANGED: u8 = 1;\n");
      git(dir, "commit", "-qam", "fix: a changed constant");
      const changed = publish(dir);
      expect(changed.code).toBe(1);
      expect(changed.json.packages[0]!.note).toMatch(/already published with different content/);
      expect(cargoCommits()).toBe(commits);

      // A release tag the manifests do not carry: nothing is even built.
      git(dir, "tag", "v9.9.9");
      const mismatch = publish(dir);
      expect(mismatch.code).toBe(1);
      expect(mismatch.stderr).toContain(
        "crates/core/Cargo.toml:3:11: package.version is 0.1.0, tag v9.9.9 says 9.9.9",
      );
      git(dir, "tag", "-d", "v9.9.9");

      // The next release bumps every manifest (and the pins between them); all of it goes out.
      expect(slipway(["release"], dir, gitEnv).code).toBe(0);
      const next = publish(dir);
      expect(next.code).toBe(0);
      expect(next.json.packages.map((p) => `${p.version} ${p.status}`)).toEqual(
        Array(5).fill("0.1.1 published"),
      );
      expect(await npmVersions(`slipway-polyglot-${tag}`)).toEqual(["0.1.0", "0.1.1"]);
    },
    SLOW,
  );

  test(
    "a dry run builds and checks everything and publishes nothing",
    async () => {
      const { dir, tag } = example("dry");
      const commits = cargoCommits();
      const r = publish(dir, ["--dry-run"]);
      expect(r.code).toBe(0);
      expect(r.json.packages.map((p) => p.status)).toEqual(Array(5).fill("would-publish"));
      expect(cargoCommits()).toBe(commits);
      expect(await npmVersions(`slipway-polyglot-${tag}`)).toEqual([]);
      expect(await pypiFiles(`slipway-polyglot-${tag}`)).toEqual([]);
      expect(existsSync(join(dir, ".slipway"))).toBe(false);
      // Nothing left in the tree either: the Python build's scratch folders are gone.
      expect(readdirSync(join(dir, "python")).sort()).toEqual([
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "src",
      ]);
      expect(readdirSync(join(dir, "python/src"))).toEqual([`slipway_polyglot_${tag}`]);
    },
    SLOW,
  );

  test(
    "npm refuses a wrong token; the re-run finishes without republishing the crates",
    async () => {
      const { dir, tag } = example("retry");
      const wrong = "wrong-token-4f9a0c";
      const outputs = join(temp("slipway-outputs-"), "out");
      const failed = publish(dir, [], { NPM_TOKEN: wrong, GITHUB_OUTPUT: outputs });
      expect(failed.code).toBe(1);
      expect(failed.json.packages.map((p) => p.status)).toEqual([
        "published",
        "published",
        "failed",
        "not-reached",
        "not-reached",
      ]);
      expect(failed.json.packages[2]!.note).toMatch(/refused/);
      expect(failed.stdout + failed.stderr).not.toContain(wrong);
      // As step outputs, for the workflow's later steps.
      const name = `slipway-polyglot-${tag}`;
      expect(readFileSync(outputs, "utf8")).toBe(
        `published=${name}-types@0.1.0 ${name}-core@0.1.0\nskipped=\nfailed=${name}-linux-x64@0.1.0\n`,
      );
      const commits = cargoCommits();

      // twine on PATH this time: the upload goes through it rather than Slipway's own.
      const rerun = publish(dir, [], { PATH: `${env.SLIPWAY_TEST_PYTHON_BIN}:${env.PATH}` });
      expect(rerun.code).toBe(0);
      expect(rerun.json.packages.map((p) => p.status)).toEqual([
        "skipped",
        "skipped",
        "published",
        "published",
        "published",
      ]);
      expect(cargoCommits()).toBe(commits);
    },
    SLOW,
  );
});

/**
 * Each registry's own refusal of a version it already has, met straight through the clients
 * past the look-up that normally skips them: what a race with another publisher meets.
 */
async function refusals(dir: string, tag: string) {
  const masker = new Masker();
  const ctx: Context = {
    root: dir,
    tmp: temp("slipway-again-"),
    registries: registriesFrom(registryFlags().filter((f) => f !== "--registry")),
    credentials: credentialsFrom({
      NPM_TOKEN: env.SLIPWAY_TEST_NPM_TOKEN,
      TWINE_USERNAME: env.SLIPWAY_TEST_PYPI_USER,
      TWINE_PASSWORD: env.SLIPWAY_TEST_PYPI_PASSWORD,
    }),
    masker,
    waitMs: 10_000,
    log: () => {},
  };
  const pkgs = await discover(dir);
  const [npmMain] = await npm.prepare(
    pkgs.filter((p) => p.name === `slipway-polyglot-${tag}` && p.ecosystem === "npm"),
    ctx,
  );
  // The Python build runs in this process: the test venv's python3, which has `build`.
  process.env.SLIPWAY_PYTHON = credentials().SLIPWAY_PYTHON;
  const [py] = await pypi
    .prepare(
      pkgs.filter((p) => p.ecosystem === "pypi"),
      ctx,
    )
    .finally(() => delete process.env.SLIPWAY_PYTHON);
  expect(await npm.publish(npmMain!, ctx)).toMatchObject({ ok: false, alreadyExists: true });
  // pypiserver answers 409 Conflict, as PyPI answers 400 "File already exists".
  const wheel = py!.artifacts.find((a) => a.file.endsWith(".whl"))!;
  expect((await upload(wheel.file, wheel.entries, ctx)).status).toBe(409);
  expect(await npm.presence(npmMain!, ctx)).toBe("same");
  expect(await pypi.presence(py!, ctx)).toBe("same");
}
