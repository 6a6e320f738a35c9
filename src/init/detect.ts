// What `slipway init` reads from a repository to choose jobs: Cargo crates, PyO3/maturin and pure
// Python projects, npm packages, Go modules, existing workflows, codecov.yml, deny.toml, Dockerfile.
// Manifests are parsed for real (TOML, JSON); one that does not parse is an error with its position.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { type ParseError, parse as parseJson, printParseErrorCode } from "jsonc-parser";
import { readGit } from "../plan/git.js";
import type { BadFile } from "../release/span.js";
import { parseToml } from "../release/toml-doc.js";

export interface Crate {
  name: string;
  /** Folder relative to the root ("." for the root crate). */
  dir: string;
  publish: boolean;
  /** Names of the repository's crates it depends on by path (publishing order). */
  internal: string[];
}

export interface Rust {
  crates: Crate[];
  workspace: boolean;
  /** `rust-version` of the root package or `[workspace.package]`. */
  msrv?: string;
  /** Any dependency table with an entry: then a build cache pays. */
  hasDeps: boolean;
  benches: boolean;
  buildRs: boolean;
}

export interface Python {
  name: string;
  dir: string;
  /** Import name: maturin's module-name or the project name with '-' as '_'. */
  module: string;
  maturin: boolean;
  pytest: boolean;
  ruff: boolean;
  /** Lowest Python of `requires-python = ">=3.X"`, when given. */
  minPython?: string;
}

export interface NpmPackage {
  name: string;
  dir: string;
  private: boolean;
  /** Names it depends on (all kinds); publishing puts the repository's own first. */
  deps: string[];
}

export interface Npm {
  packages: NpmPackage[];
  scripts: { test: boolean; lint: boolean; build: boolean; coverage: boolean; typecheck: boolean };
  /** What scripts.test runs: coverage is measured with that runner. */
  runner: "vitest" | "jest" | "node" | "other";
  /** A coverage provider among the devDependencies (@vitest/coverage-v8 or -istanbul). */
  vitestCoverage: boolean;
  lockfile: boolean;
  /** A package.json at the root: CI installs and tests there. */
  root: boolean;
  /** Lowest Node.js major of engines.node (">=20" -> "20"), when given. */
  minNode?: string;
}

export interface Go {
  module: string;
  dir: string;
}

export interface Project {
  root: string;
  name: string;
  defaultBranch: string;
  rust?: Rust;
  python: Python[];
  npm?: Npm;
  go?: Go;
  /** Existing workflow files (relative paths). */
  workflows: string[];
  coverage: { target: number; from: string };
  deny: boolean;
  dockerfile: boolean;
}

export class DetectError extends Error {
  constructor(readonly bad: BadFile) {
    super(`${bad.file}:${bad.line}:${bad.col}: ${bad.message}`);
  }
}

const SKIP = new Set(["node_modules", "target", "dist", "build", "vendor", "__pycache__", "venv"]);

/** Files named `name` at the root and up to two folders below it, shallow first. */
function find(root: string, name: string, depth = 2): string[] {
  const out: string[] = [];
  const walk = (dir: string, d: number) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === name)) out.push(relative(root, join(dir, name)));
    if (d === depth) return;
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1)))
      if (e.isDirectory() && !e.name.startsWith(".") && !SKIP.has(e.name)) walk(join(dir, e.name), d + 1);
  };
  walk(root, 0);
  return out.sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1));
}

function read(root: string, file: string): string {
  try {
    return readFileSync(join(root, file), "utf8");
  } catch (e) {
    throw new DetectError({ file, line: 1, col: 1, message: `cannot read: ${(e as Error).message}` });
  }
}

function toml(root: string, file: string): Record<string, unknown> {
  const doc = parseToml(file, read(root, file));
  if ("message" in doc) throw new DetectError(doc);
  return doc.data;
}

const obj = (x: unknown): Record<string, unknown> =>
  x && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
const strOf = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);

const DEP_TABLES = ["dependencies", "dev-dependencies", "build-dependencies"];

/** Dependency tables of a manifest, including `[target.'cfg(..)'.dependencies]`. */
function depTables(data: Record<string, unknown>): Record<string, unknown>[] {
  const out = DEP_TABLES.map((t) => obj(data[t]));
  for (const t of Object.values(obj(data.target))) out.push(...DEP_TABLES.map((k) => obj(obj(t)[k])));
  out.push(obj(obj(data.workspace).dependencies));
  return out;
}

function rust(root: string): Rust | undefined {
  if (!existsSync(join(root, "Cargo.toml"))) return undefined;
  const top = toml(root, "Cargo.toml");
  const ws = obj(top.workspace);
  const members = Array.isArray(ws.members) ? ws.members.filter((m) => typeof m === "string") : [];
  const dirs: string[] = [];
  if (top.package) dirs.push(".");
  for (const m of members as string[]) {
    if (m.endsWith("/*")) {
      const parent = m.slice(0, -2);
      for (const d of readdirSync(join(root, parent), { withFileTypes: true }).sort((a, b) =>
        a.name < b.name ? -1 : 1,
      ))
        if (d.isDirectory() && existsSync(join(root, parent, d.name, "Cargo.toml")))
          dirs.push(`${parent}/${d.name}`);
    } else if (existsSync(join(root, m, "Cargo.toml"))) dirs.push(m);
  }
  const datas = new Map(dirs.map((d) => [d, d === "." ? top : toml(root, join(d, "Cargo.toml"))]));
  const names = new Map<string, string>();
  for (const [d, data] of datas) names.set(d, strOf(obj(data.package).name) ?? basename(d));
  const crates: Crate[] = [];
  let hasDeps = depTables(top).some((t) => Object.keys(t).length > 0);
  let benches = false;
  let buildRs = false;
  for (const [d, data] of datas) {
    const pkg = obj(data.package);
    if (depTables(data).some((t) => Object.keys(t).length > 0)) hasDeps = true;
    if (Array.isArray(data.bench) || existsSync(join(root, d, "benches"))) benches = true;
    if (pkg.build !== undefined || existsSync(join(root, d, "build.rs"))) buildRs = true;
    const internal: string[] = [];
    for (const t of depTables(data))
      for (const [k, v] of Object.entries(t)) {
        const path = strOf(obj(v).path);
        if (!path) continue;
        const target = relative(root, join(root, d, path)) || ".";
        const n = names.get(target);
        if (n) internal.push(n);
        else if (k) internal.push(k);
      }
    crates.push({
      name: names.get(d)!,
      dir: d,
      publish: pkg.publish !== false && !(Array.isArray(pkg.publish) && pkg.publish.length === 0),
      internal: [...new Set(internal)].filter((n) => [...names.values()].includes(n)).sort(),
    });
  }
  const msrv = strOf(obj(top.package)["rust-version"]) ?? strOf(obj(ws.package)["rust-version"]);
  return {
    crates,
    workspace: top.workspace !== undefined,
    ...(msrv ? { msrv } : {}),
    hasDeps,
    benches,
    buildRs,
  };
}

function python(root: string, skip: (dir: string) => boolean): Python[] {
  const out: Python[] = [];
  for (const file of find(root, "pyproject.toml")) {
    const dir = dirname(file);
    if (skip(dir)) continue;
    const data = toml(root, file);
    const project = obj(data.project);
    // Poetry before 2 kept the name in [tool.poetry].
    const name = strOf(project.name) ?? strOf(obj(obj(data.tool).poetry).name);
    if (!name) continue;
    const maturin = strOf(obj(data["build-system"])["build-backend"]) === "maturin";
    const tool = obj(data.tool);
    const text = read(root, file);
    const moduleName = strOf(obj(tool.maturin)["module-name"])?.split(".").pop();
    const min = /^\s*>=\s*(3\.\d+)/.exec(strOf(project["requires-python"]) ?? "")?.[1];
    out.push({
      name,
      dir,
      module: moduleName ?? name.replace(/[-.]/g, "_").toLowerCase(),
      maturin,
      pytest:
        tool.pytest !== undefined ||
        /\bpytest\b/.test(text) ||
        existsSync(join(root, dir, "tests")) ||
        existsSync(join(root, dir, "test")),
      ruff: tool.ruff !== undefined || /\bruff\b/.test(text),
      ...(min ? { minPython: min } : {}),
    });
  }
  return out;
}

function json(root: string, file: string): Record<string, unknown> {
  const text = read(root, file);
  const errors: ParseError[] = [];
  const data = parseJson(text, errors, { allowTrailingComma: false, disallowComments: true });
  const e = errors[0];
  if (e) {
    const before = text.slice(0, e.offset);
    throw new DetectError({
      file,
      line: before.split("\n").length,
      col: e.offset - before.lastIndexOf("\n"),
      message: `not valid JSON: ${printParseErrorCode(e.error)}`,
    });
  }
  return obj(data);
}

function npm(root: string): Npm | undefined {
  const files = find(root, "package.json");
  if (!files.length) return undefined;
  const packages: NpmPackage[] = [];
  const scripts = { test: false, lint: false, build: false, coverage: false, typecheck: false };
  let runner: Npm["runner"] = "other";
  let vitestCoverage = false;
  let minNode: string | undefined;
  for (const file of files) {
    const pj = json(root, file);
    const name = strOf(pj.name);
    if (!name) continue;
    const deps = Object.keys({
      ...obj(pj.dependencies),
      ...obj(pj.optionalDependencies),
      ...obj(pj.peerDependencies),
    }).sort();
    packages.push({ name, dir: dirname(file), private: pj.private === true, deps });
    if (file === "package.json") {
      const s = obj(pj.scripts);
      const real = (k: string) => typeof s[k] === "string" && !/no test specified/.test(s[k] as string);
      Object.assign(scripts, {
        test: real("test"),
        lint: real("lint"),
        build: real("build"),
        coverage: real("coverage"),
        typecheck: real("typecheck"),
      });
      const test = strOf(s.test) ?? "";
      runner = /\bvitest\b/.test(test)
        ? "vitest"
        : /\bjest\b/.test(test)
          ? "jest"
          : /\bnode\s+--test\b/.test(test)
            ? "node"
            : "other";
      vitestCoverage = Object.keys(obj(pj.devDependencies)).some((d) => d.startsWith("@vitest/coverage-"));
      minNode = /^\s*>=?\s*v?(\d+)/.exec(strOf(obj(pj.engines).node) ?? "")?.[1];
    }
  }
  if (!packages.length) return undefined;
  return {
    packages,
    scripts,
    runner,
    vitestCoverage,
    lockfile: existsSync(join(root, "package-lock.json")),
    root: files.includes("package.json"),
    ...(minNode ? { minNode } : {}),
  };
}

function go(root: string): Go | undefined {
  const file = find(root, "go.mod", 1)[0];
  if (!file) return undefined;
  const module = /^module\s+(\S+)/m.exec(read(root, file))?.[1];
  if (!module) {
    throw new DetectError({ file, line: 1, col: 1, message: "no 'module' line" });
  }
  return { module, dir: dirname(file) };
}

/** A coverage target from codecov.yml (`target: 85%`), else 80. */
function coverage(root: string): { target: number; from: string } {
  for (const f of ["codecov.yml", ".codecov.yml", ".github/codecov.yml"]) {
    if (!existsSync(join(root, f))) continue;
    const m = /^\s*target:\s*["']?(\d+(?:\.\d+)?)\s*%?/m.exec(read(root, f));
    if (m) return { target: Math.round(Number(m[1])), from: f };
  }
  return { target: 80, from: "the default; no codecov.yml target" };
}

export function detect(root: string): Project {
  const r = rust(root);
  // A maturin project inside the Cargo workspace is a crate too; its pyproject names the wheel.
  const py = python(root, () => false);
  const wf = join(root, ".github", "workflows");
  const workflows = existsSync(wf)
    ? readdirSync(wf)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => `.github/workflows/${f}`)
    : [];
  const g = readGit(root);
  return {
    root,
    name: basename(root),
    defaultBranch: g.ok ? g.facts.defaultBranch : "main",
    ...(r ? { rust: r } : {}),
    python: py,
    ...(() => {
      const n = npm(root);
      return n ? { npm: n } : {};
    })(),
    ...(() => {
      const x = go(root);
      return x ? { go: x } : {};
    })(),
    workflows,
    coverage: coverage(root),
    deny: existsSync(join(root, "deny.toml")),
    dockerfile: existsSync(join(root, "Dockerfile")),
  };
}
