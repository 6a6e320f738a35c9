// release.yml: on a version tag — the tag must match every manifest (slipway release check-tag),
// the packages are built once, and a GitHub release gets them with SHA256SUMS, provenance and the
// tag's CHANGELOG section; then publish.yml publishes the same files.
import type { Project } from "./detect.js";
import { checkout, type Gen, header, installSlipway, job, type OutFile, pyTool } from "./steps.js";

const WHEEL_OSES = ["ubuntu-latest", "ubuntu-24.04-arm", "macos-latest", "windows-latest"];

/** Packages in an order where each comes after the repository's own packages it depends on. */
export function dependencyOrder<T>(items: T[], name: (t: T) => string, deps: (t: T) => string[]): T[] {
  const byName = new Map(items.map((t) => [name(t), t]));
  const out: T[] = [];
  const seen = new Set<string>();
  const visit = (t: T, path: Set<string>) => {
    const n = name(t);
    if (seen.has(n) || path.has(n)) return;
    path.add(n);
    for (const d of [...deps(t)].sort()) {
      const dep = byName.get(d);
      if (dep) visit(dep, path);
    }
    seen.add(n);
    out.push(t);
  };
  for (const t of [...items].sort((a, b) => (name(a) < name(b) ? -1 : 1))) visit(t, new Set());
  return out;
}

export const publishableNpm = (p: Project) => (p.npm?.packages ?? []).filter((x) => !x.private);
export const publishableCrates = (p: Project) => (p.rust?.crates ?? []).filter((c) => c.publish);
/** Pure-Python projects and maturin projects: every Python project is a distribution. */
export const publishablePython = (p: Project) => p.python;

/** The secrets a local run (no OIDC) publishes with, one per registry the project uses. */
export function localSecrets(g: Gen): string[] {
  const p = g.project;
  return [
    ...(publishableCrates(p).length ? ["CARGO_REGISTRY_TOKEN"] : []),
    ...(publishableNpm(p).length ? ["NPM_TOKEN"] : []),
    ...(p.python.length ? ["PYPI_TOKEN"] : []),
  ];
}

export function hasPackages(p: Project): boolean {
  return publishableCrates(p).length + publishableNpm(p).length + publishablePython(p).length > 0;
}

function buildSteps(g: Gen): string[] {
  const { project: p, uses } = g;
  const steps: string[] = [checkout(uses)];
  const crates = publishableCrates(p);
  const npm = publishableNpm(p);
  const pure = p.python.filter((x) => !x.maturin);
  const maturin = p.python.filter((x) => x.maturin);
  if (crates.length)
    steps.push(
      `- uses: ${uses("dtolnay/rust-toolchain")}\n  with:\n    toolchain: stable`,
      `- name: Package the crates
  # cargo package builds each .crate exactly as crates.io will receive it, in dependency order.
  run: |
    cargo package --workspace
    mkdir -p dist/crates
    cp target/package/*.crate dist/crates/`,
      `- uses: ${uses("actions/upload-artifact")}\n  with:\n    name: dist-crates\n    path: dist/crates/\n    if-no-files-found: error`,
    );
  if (npm.length)
    steps.push(
      `- uses: ${uses("actions/setup-node")}\n  with:\n    node-version: lts/*`,
      `- name: Pack the npm packages
  run: |${p.npm?.root && p.npm.scripts.build ? "\n    npm ci\n    npm run build" : ""}
    mkdir -p dist/npm
${npm.map((x) => `    npm pack ${x.dir === "." ? "." : `./${x.dir}`} --pack-destination dist/npm`).join("\n")}`,
      `- uses: ${uses("actions/upload-artifact")}\n  with:\n    name: dist-npm\n    path: dist/npm/\n    if-no-files-found: error`,
    );
  if (pure.length || maturin.length) {
    steps.push(`- uses: ${uses("actions/setup-python")}\n  with:\n    python-version: 3.x`);
    const lines = [
      ...(pure.length ? [`python -m pip install ${pyTool("build")}`] : []),
      ...(maturin.length ? [`python -m pip install ${pyTool("maturin")}`] : []),
      ...pure.map((x) => `python -m build --outdir dist/python ${x.dir === "." ? "." : `./${x.dir}`}`),
      ...maturin.map(
        (x) =>
          `maturin sdist --out dist/python${x.dir === "." ? "" : ` --manifest-path ${x.dir}/Cargo.toml`}`,
      ),
    ];
    steps.push(
      `- name: Build the Python distributions${maturin.length ? " (the sdist; wheels are built per platform)" : ""}
  run: |
${lines.map((l) => `    ${l}`).join("\n")}`,
      `- uses: ${uses("actions/upload-artifact")}\n  with:\n    name: dist-python-sdist\n    path: dist/python/\n    if-no-files-found: error`,
    );
  }
  return steps;
}

export function release(g: Gen): OutFile[] {
  const { project: p, uses } = g;
  if (!hasPackages(p)) return [];
  const maturin = p.python.filter((x) => x.maturin);
  const jobs = [
    job(
      {
        id: "check-tag",
        why: "The tag must be the version in every manifest (Cargo.toml, package.json, pyproject.toml):\na tag pushed without 'slipway release' stops here, before anything is built.",
        name: "check tag",
        timeout: 5,
      },
      [checkout(uses), installSlipway(), '- run: slipway release check-tag "$GITHUB_REF_NAME"'],
    ),
    job(
      {
        id: "build",
        why: "Build every package once; the release and every registry get these same files.",
        name: "build packages",
        needs: ["check-tag"],
        timeout: 30,
      },
      buildSteps(g),
    ),
  ];
  const needs = ["build"];
  if (maturin.length) {
    needs.push("wheels");
    jobs.push(
      job(
        {
          id: "wheels",
          why: "Binary wheels for each platform (Linux x64/ARM64, macOS, Windows), each installed and\nimported before it is uploaded.",
          name: "wheels (${{ matrix.os }})",
          needs: ["check-tag"],
          runsOn: "${{ matrix.os }}",
          timeout: 45,
          extra: `strategy:
  fail-fast: false
  matrix:
    os: [${WHEEL_OSES.join(", ")}]`,
        },
        [
          checkout(uses),
          `- uses: ${uses("dtolnay/rust-toolchain")}\n  with:\n    toolchain: stable`,
          `- uses: ${uses("actions/setup-python")}\n  with:\n    python-version: 3.x`,
          `- name: Build and smoke-test the wheels
  shell: bash
  run: |
    python -m pip install ${pyTool("maturin")}
${maturin
  .map(
    (
      x,
    ) => `    maturin build --release --out dist${x.dir === "." ? "" : ` --manifest-path ${x.dir}/Cargo.toml`}
    python -m pip install --no-index --find-links dist ${x.name}
    python -c "import ${x.module}"`,
  )
  .join("\n")}`,
          `- uses: ${uses("actions/upload-artifact")}\n  with:\n    name: dist-python-wheels-\${{ matrix.os }}\n    path: dist/\n    if-no-files-found: error`,
        ],
      ),
    );
  }
  jobs.push(
    job(
      {
        id: "github-release",
        why: "The GitHub release: every package, SHA256SUMS, build provenance (attestations) and the\ntag's section of CHANGELOG.md as notes. contents: write creates the release; id-token and\nattestations sign the provenance.",
        name: "GitHub release",
        needs,
        timeout: 15,
        permissions: { contents: "write", "id-token": "write", attestations: "write" },
      },
      [
        checkout(uses),
        `- uses: ${uses("actions/download-artifact")}\n  with:\n    pattern: dist-*\n    path: dist\n    merge-multiple: true`,
        `- name: Checksums
  working-directory: dist
  run: find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS`,
        `- uses: ${uses("actions/attest-build-provenance")}\n  with:\n    subject-path: dist/**`,
        `- name: Release notes from CHANGELOG.md
  run: |
    version="\${GITHUB_REF_NAME#v}"
    if [ -f CHANGELOG.md ]; then
      awk -v v="$version" '/^## /{on = index($0, "[" v "]") || index($0, " " v)} on' CHANGELOG.md > notes.md
    fi
    [ -s notes.md ] || echo "Release $GITHUB_REF_NAME" > notes.md`,
        `- name: Create the release
  env:
    GH_TOKEN: \${{ github.token }}
  run: |
    if [ "\${SLIPWAY:-}" = true ]; then
      # Under 'slipway run' there is no GitHub to create the release on.
      echo "::notice::slipway run: no GitHub release created; the files are this run's artifacts (slipway artifacts)"
      exit 0
    fi
    gh release create "$GITHUB_REF_NAME" --verify-tag --notes-file notes.md $(find dist -type f | sort)`,
      ],
    ),
  );
  const publish = `  # Publishing runs after the release exists, with the files built above (publish.yml).
  publish:
    needs: [github-release]
    permissions:
      contents: read
      id-token: write
    uses: ./.github/workflows/publish.yml
    # For 'slipway run' only (no OIDC there); unset and unused on GitHub.
    secrets:
${localSecrets(g)
  .map((n) => `      ${n}: \${{ secrets.${n} }}`)
  .join("\n")}`;
  const text = `${header(
    "Release: on a version tag (vX.Y.Z), made by 'slipway release' (version bump, CHANGELOG.md, tag).",
    "Run 'slipway release' locally, push the commit and the tag; this workflow does the rest.",
  )}
name: Release

on:
  push:
    tags: ["v*"]

permissions: {}

# One release per tag at a time; a release in progress is never cancelled.
concurrency:
  group: \${{ github.workflow }}-\${{ github.ref }}
  cancel-in-progress: false

jobs:
${jobs.join("\n\n")}
${g.sections.has("publish") ? `\n${publish}\n` : ""}`;
  return [{ path: ".github/workflows/release.yml", text }];
}
