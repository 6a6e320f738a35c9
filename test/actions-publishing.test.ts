// The built-ins for publishing actions that need GitHub's OIDC token (trusted publishing,
// Sigstore): what each does under slipway run instead, and the clear failure when it cannot.
// Their uploads to real registries are in init-publish.test.ts.
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function repo(workflow: string, files: Record<string, string> = {}): string {
  const dir = tempRepo(undefined, { ".github/workflows/w.yml": workflow, ...files });
  dirs.push(dir);
  return dir;
}

const run = (dir: string, ...args: string[]) => {
  const r = slipway(["run", "push", "--no-reuse", ...args], dir, { SLIPWAY_HISTORY: "0" });
  return { ...r, out: r.stdout + r.stderr };
};

const AUTH = `on: push
jobs:
  crates:
    runs-on: ubuntu-latest
    steps:
      - uses: rust-lang/crates-io-auth-action@v1
        id: auth
      - run: test "\${{ steps.auth.outputs.token }}" = local-token-5d1e && echo "token \${{ steps.auth.outputs.token }}"
`;

test("crates-io-auth-action hands on CARGO_REGISTRY_TOKEN (masked), and fails saying why without it", () => {
  const dir = repo(AUTH);
  const ok = run(dir, "--secret", "CARGO_REGISTRY_TOKEN=local-token-5d1e");
  expect(ok.out).toContain("Run success");
  expect(ok.out).toContain("the token is CARGO_REGISTRY_TOKEN, not one from trusted publishing");
  expect(ok.out).toContain("token ***");
  expect(ok.out).not.toContain("local-token-5d1e");

  const none = run(dir);
  expect(none.code).toBe(1);
  expect(none.out).toContain(
    "trusted publishing to https://crates.io needs GitHub's OIDC token, and slipway run has no GitHub OIDC token: give a token with --secret CARGO_REGISTRY_TOKEN=..., or publish to a staging registry",
  );
  expect(none.out).not.toMatch(/\n\s+at .*\.js:\d+/);
});

test("gh-action-pypi-publish without a password or a PYPI_TOKEN secret: trusted publishing is not there", () => {
  const dir = repo(
    `on: push
jobs:
  pypi:
    runs-on: ubuntu-latest
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          repository-url: http://127.0.0.1:9/
`,
  );
  const r = run(dir);
  expect(r.code).toBe(1);
  expect(r.out).toContain(
    "trusted publishing to http://127.0.0.1:9/ needs GitHub's OIDC token, and slipway run has no GitHub OIDC token: give the job a secret PYPI_TOKEN (or the password input)",
  );
  // With a token but nothing built: said before anything is sent.
  const empty = run(dir, "--secret", "PYPI_TOKEN=pypi-xyz");
  expect(empty.code).toBe(1);
  expect(empty.out).toContain("no distributions (.whl, .tar.gz) in dist");
});

test("attest-build-provenance writes an unsigned in-toto SLSA statement as the run's artifact, and says so", () => {
  const dir = repo(
    `on: push
jobs:
  attest:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/attest-build-provenance@v2
        id: a
        with:
          subject-path: dist/**
      - run: test -s "\${{ steps.a.outputs.bundle-path }}"
  bad:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/attest-build-provenance@v2
        with:
          subject-digest: md5:abc
          subject-name: x
`,
    { "dist/a.tar.gz": "first\n", "dist/sub/b.whl": "second\n" },
  );
  const r = run(dir, "-j", "attest");
  expect(r.out).toContain("Run success");
  expect(r.out).toMatch(
    /Provenance for 2 subject\(s\) written UNSIGNED to artifact 'provenance-attest'.*Sigstore cannot sign it/,
  );
  const statement = JSON.parse(
    readFileSync(join(dir, ".slipway/runs/1/artifacts/provenance-attest/attest.intoto.jsonl"), "utf8"),
  );
  expect(statement._type).toBe("https://in-toto.io/Statement/v1");
  expect(statement.predicateType).toBe("https://slsa.dev/provenance/v1");
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");
  expect(statement.subject).toEqual([
    { name: "a.tar.gz", digest: { sha256: sha("first\n") } },
    { name: "b.whl", digest: { sha256: sha("second\n") } },
  ]);
  expect(statement.predicate.runDetails.builder.id).toContain("unsigned");

  const bad = run(dir, "-j", "bad");
  expect(bad.code).toBe(1);
  expect(bad.out).toContain("subject-digest must be sha256:<64 hex digits>, got 'md5:abc'");
});
