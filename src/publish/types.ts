export type Ecosystem = "crates" | "npm" | "pypi";

/** The order the seeds publish in: the Rust core first, its bindings after it. */
export const ECOSYSTEM_ORDER: Ecosystem[] = ["crates", "npm", "pypi"];

/** A package found in the repository, before anything is built. */
export interface Pkg {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** The folder of its manifest (Cargo.toml, package.json, pyproject.toml). */
  dir: string;
  manifest: string;
  /** Names of packages of the same ecosystem in this repository that it depends on. */
  deps: string[];
  /** crates: the workspace root, where `cargo package` runs for all its crates at once. */
  workspace?: string;
  /** npm: the platforms a per-platform (napi-style) package is for. */
  os?: string[];
  cpu?: string[];
}

/** What each package is published as: its archive(s) and what they contain. */
export interface Artifact {
  /** The file on disk (a .crate, an npm .tgz, a wheel or sdist). */
  file: string;
  sha256: string;
  size: number;
  files: string[];
}

/** Where each ecosystem publishes; defaults are the public registries. */
export interface Registries {
  /** A cargo index: sparse+http(s)://, file:// or a git URL; undefined: crates.io. */
  crates?: string;
  npm: string;
  /** The upload URL (PyPI's legacy API, or a pypiserver root). */
  pypi: string;
  /** The simple index matching `pypi`. */
  pypiIndex: string;
}

export const PUBLIC_REGISTRIES: Registries = {
  npm: "https://registry.npmjs.org/",
  pypi: "https://upload.pypi.org/legacy/",
  pypiIndex: "https://pypi.org/simple/",
};

export class PublishError extends Error {}
