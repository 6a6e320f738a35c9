// Local composite actions for the set-up that three or more CI jobs repeat: one place to change
// a toolchain, a cache key or an install command.
import type { Project } from "./detect.js";
import type { OutFile, Uses } from "./steps.js";

export const SETUP_RUST = "./.github/actions/setup-rust";
export const SETUP_NODE = "./.github/actions/setup-node-deps";
export const SETUP_PYTHON = "./.github/actions/setup-python-deps";

export function setupRust(p: Project, uses: Uses): OutFile {
  const cache = p.rust?.hasDeps
    ? `
    # Caches ~/.cargo and target/ keyed by Cargo.lock and the toolchain. Not for fmt, which builds nothing.
    - if: inputs.cache == 'true'
      uses: ${uses("Swatinem/rust-cache")}
      with:
        key: \${{ inputs.toolchain }}`
    : `
    # No cache step: the workspace has no dependencies, so there is nothing worth caching
    # (add Swatinem/rust-cache here when it gets some).`;
  return {
    path: ".github/actions/setup-rust/action.yml",
    text: `# Written by 'slipway init': the Rust set-up shared by the CI jobs.
name: Set up Rust
description: Installs a Rust toolchain with components${p.rust?.hasDeps ? " and restores the build cache" : ""}.
inputs:
  toolchain:
    description: The toolchain (stable, nightly, or a version such as 1.85).
    default: stable
  components:
    description: Extra components, comma-separated (rustfmt, clippy, llvm-tools-preview).
    default: ""
  cache:
    description: Whether to cache the build (false for jobs that build nothing).
    default: "true"
runs:
  using: composite
  steps:
    - uses: ${uses("dtolnay/rust-toolchain")}
      with:
        toolchain: \${{ inputs.toolchain }}
        components: \${{ inputs.components }}${cache}
`,
  };
}

export function setupNode(uses: Uses): OutFile {
  return {
    path: ".github/actions/setup-node-deps/action.yml",
    text: `# Written by 'slipway init': the Node.js set-up shared by the CI jobs.
name: Set up Node.js and dependencies
description: Installs Node.js, restores the npm cache and installs the locked dependencies.
inputs:
  node-version:
    description: The Node.js version (a major such as 22, or lts/*).
    default: lts/*
runs:
  using: composite
  steps:
    - uses: ${uses("actions/setup-node")}
      with:
        node-version: \${{ inputs.node-version }}
        cache: npm
    # npm ci installs exactly package-lock.json and fails when it is out of date.
    - run: npm ci
      shell: bash
`,
  };
}

export function setupPython(uses: Uses, install: string): OutFile {
  return {
    path: ".github/actions/setup-python-deps/action.yml",
    text: `# Written by 'slipway init': the Python set-up shared by the CI jobs.
name: Set up Python and dependencies
description: Installs Python, restores the pip cache and installs the project with its test tools.
inputs:
  python-version:
    description: The Python version (3.x for the newest).
    default: 3.x
runs:
  using: composite
  steps:
    - uses: ${uses("actions/setup-python")}
      with:
        python-version: \${{ inputs.python-version }}
        cache: pip
    - run: ${install}
      shell: bash
`,
  };
}
