// publish.yml: called by release.yml. Crates first, then npm packages, then Python distributions
// (each needs the one before), each registry through trusted publishing (OIDC, no stored token),
// each package skipped when that version is already there (a re-run finishes a half-done release),
// and a smoke install from the registry after each.
import { dependencyOrder, localSecrets, publishableCrates, publishableNpm } from "./release.js";
import { checkout, type Gen, header, job, type OutFile } from "./steps.js";

const VERSION = 'version="${GITHUB_REF_NAME#v}"';

export function publish(g: Gen): OutFile[] {
  const { project: p, uses } = g;
  const crates = dependencyOrder(
    publishableCrates(p),
    (c) => c.name,
    (c) => c.internal,
  );
  const npm = dependencyOrder(
    publishableNpm(p),
    (x) => x.name,
    (x) => x.deps,
  );
  const py = p.python;
  const jobs: string[] = [];
  let prev: string | undefined;
  const needs = () => (prev ? [prev] : undefined);
  if (crates.length) {
    jobs.push(
      job(
        {
          id: "crates",
          why: "crates.io, in dependency order. Trusted publishing: add this repository and release.yml\nas a trusted publisher of each crate on crates.io; no token is stored.",
          name: "publish crates",
          timeout: 30,
          environment: "crates-io",
          permissions: { contents: "read", "id-token": "write" },
        },
        [
          checkout(uses),
          `- uses: ${uses("dtolnay/rust-toolchain")}\n  with:\n    toolchain: stable`,
          `- uses: ${uses("rust-lang/crates-io-auth-action")}\n  id: auth`,
          `- name: Registry (crates.io, or the staging registry vars.CARGO_REGISTRY_INDEX names)
  # The repository variable (or 'slipway run --var CARGO_REGISTRY_INDEX=URL') names a staging
  # registry's index. It stands in for crates.io (source replacement), so the crates'
  # dependencies on each other resolve from it as they will from crates.io.
  env:
    INDEX: \${{ vars.CARGO_REGISTRY_INDEX }}
  run: |
    if [ -n "$INDEX" ]; then
      printf '[registries.staging]\\nindex = "%s"\\n[source.crates-io]\\nreplace-with = "staging"\\n' "$INDEX" > "$RUNNER_TEMP/registry.toml"
      echo "REGISTRY=staging" >> "$GITHUB_ENV"
    else
      : > "$RUNNER_TEMP/registry.toml"
      echo "REGISTRY=crates-io" >> "$GITHUB_ENV"
    fi`,
          `- name: Publish (skipping versions the registry already has)
  env:
    CARGO_REGISTRY_TOKEN: \${{ steps.auth.outputs.token }}
  run: |
    ${VERSION}
    export CARGO_REGISTRIES_STAGING_TOKEN="$CARGO_REGISTRY_TOKEN"
    for crate in ${crates.map((c) => c.name).join(" ")}; do
      if cargo info "$crate@$version" --registry "$REGISTRY" --config "$RUNNER_TEMP/registry.toml" >/dev/null 2>&1; then
        echo "$crate $version is already on $REGISTRY"
        continue
      fi
      # cargo publish waits until the index serves the crate, so the next one can depend on it.
      cargo publish -p "$crate" --registry "$REGISTRY" --config "$RUNNER_TEMP/registry.toml"
    done`,
          `- name: Smoke test (the published crates resolve and build)
  run: |
    ${VERSION}
    cargo new --lib "$RUNNER_TEMP/smoke" && cd "$RUNNER_TEMP/smoke"
    for crate in ${crates.map((c) => c.name).join(" ")}; do cargo add "$crate@=$version" --config "$RUNNER_TEMP/registry.toml"; done
    cargo check --config "$RUNNER_TEMP/registry.toml"`,
        ],
      ),
    );
    prev = "crates";
  }
  if (npm.length) {
    jobs.push(
      job(
        {
          id: "npm",
          why: "npm, after the crates (the packages wrap them), platform packages before the main one.\nTrusted publishing with provenance: add release.yml as a trusted publisher of each package\non npmjs.com (npm 11.5 or newer, as in Node.js 24); no NPM_TOKEN is stored.",
          name: "publish npm packages",
          ...(needs() ? { needs: needs()! } : {}),
          timeout: 20,
          environment: "npm",
          permissions: { contents: "read", "id-token": "write" },
        },
        [
          `- uses: ${uses("actions/setup-node")}
  with:
    node-version: 24
    # A staging registry instead of npmjs.com: the repository variable, or 'slipway run --var'.
    registry-url: \${{ vars.NPM_REGISTRY_URL || 'https://registry.npmjs.org' }}`,
          `- uses: ${uses("actions/download-artifact")}\n  with:\n    name: dist-npm\n    path: dist/npm`,
          `- name: Publish (skipping versions the registry already has)
  # Trusted publishing adds the provenance attestation by itself (no --provenance needed).
  run: |
    ${VERSION}
${npm
  .map(
    (x) => `    if npm view "${x.name}@$version" version >/dev/null 2>&1; then
      echo "${x.name} $version is already there"
    else
      npm publish "dist/npm/${x.name.replace(/^@/, "").replace("/", "-")}-$version.tgz" --access public
    fi`,
  )
  .join("\n")}`,
          `- name: Smoke test (install from the registry, with retries while it propagates)
  run: |
    ${VERSION}
    cd "$RUNNER_TEMP"
${npm
  .map(
    (x) =>
      `    for i in 1 2 3 4 5 6; do npm install --no-save "${x.name}@$version" && break; sleep 20; done\n    npm ls "${x.name}@$version"`,
  )
  .join("\n")}`,
        ],
      ),
    );
    prev = "npm";
  }
  if (py.length) {
    jobs.push(
      job(
        {
          id: "pypi",
          why: "PyPI, last. Trusted publishing: add this repository, release.yml and the 'pypi'\nenvironment as a trusted publisher on pypi.org; uploads get attestations, no token is stored.",
          name: "publish to PyPI",
          ...(needs() ? { needs: needs()! } : {}),
          timeout: 20,
          environment: "pypi",
          permissions: { contents: "read", "id-token": "write" },
        },
        [
          `- uses: ${uses("actions/download-artifact")}\n  with:\n    pattern: dist-python-*\n    path: dist\n    merge-multiple: true`,
          `- uses: ${uses("pypa/gh-action-pypi-publish")}
  with:
    packages-dir: dist/
    skip-existing: true
    # A staging index instead of PyPI: the repository variables, or 'slipway run --var'.
    repository-url: \${{ vars.PYPI_REPOSITORY_URL || 'https://upload.pypi.org/legacy/' }}
    user: \${{ vars.PYPI_USER || '__token__' }}`,
          `- uses: ${uses("actions/setup-python")}\n  with:\n    python-version: 3.x`,
          `- name: Smoke test (install into a new venv from the index, with retries while it propagates)
  env:
    INDEX: \${{ vars.PYPI_INDEX_URL || 'https://pypi.org/simple/' }}
  run: |
    ${VERSION}
    python -m venv "$RUNNER_TEMP/smoke"
${py
  .map(
    (x) =>
      `    for i in 1 2 3 4 5 6; do "$RUNNER_TEMP/smoke/bin/python" -m pip install --no-cache-dir --index-url "$INDEX" "${x.name}==$version" && break; sleep 20; done\n    "$RUNNER_TEMP/smoke/bin/python" -c "import ${x.module}"`,
  )
  .join("\n")}`,
        ],
      ),
    );
  }
  if (!jobs.length) return [];
  const secrets = localSecrets(g)
    .map((n) => `      ${n}:\n        required: false`)
    .join("\n");
  const text = `${header(
    "Publish: called by release.yml once the GitHub release exists; crates.io, then npm, then PyPI.",
    "A failed registry: re-run the failed jobs of the Release run; versions already published are skipped.",
  )}
name: Publish

on:
  workflow_call:
    # Tokens for 'slipway run' only: it has no OIDC token for trusted publishing, so its
    # built-in publishing actions use these instead. Nothing reads them on GitHub.
    secrets:
${secrets}

permissions: {}

jobs:
${jobs.join("\n\n")}
`;
  return [{ path: ".github/workflows/publish.yml", text }];
}
