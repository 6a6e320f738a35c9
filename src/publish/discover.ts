import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { run } from "./exec.js";
import { ECOSYSTEM_ORDER, type Pkg, PublishError } from "./types.js";

const SKIP_DIRS = new Set(["node_modules", "target", "dist", "build", "vendor", "__pycache__"]);

/** Manifests named `name` in the repository, shallow folders first, skipping build output. */
function findManifests(root: string, name: string, depth = 4): string[] {
  const out: string[] = [];
  const walk = (dir: string, d: number) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === name)) out.push(join(dir, name));
    if (d === depth) return;
    for (const e of entries)
      if (e.isDirectory() && !e.name.startsWith(".") && !SKIP_DIRS.has(e.name))
        walk(join(dir, e.name), d + 1);
  };
  walk(root, 0);
  return out.sort();
}

interface CargoMeta {
  workspace_root: string;
  packages: {
    name: string;
    version: string;
    manifest_path: string;
    publish: string[] | null;
    dependencies: { name: string; path?: string; kind: string | null }[];
  }[];
}

/** The publishable crates of every Cargo workspace in the repository, from `cargo metadata`. */
async function crates(root: string): Promise<Pkg[]> {
  const roots = findManifests(root, "Cargo.toml").filter(
    (m) => m === join(root, "Cargo.toml") || /^\s*\[workspace\]/m.test(readFileSync(m, "utf8")),
  );
  const seen = new Set<string>();
  const out: Pkg[] = [];
  for (const manifest of roots.length ? roots : findManifests(root, "Cargo.toml").slice(0, 1)) {
    const r = await run(
      "cargo",
      ["metadata", "--format-version", "1", "--no-deps", "--manifest-path", manifest],
      {
        cwd: dirname(manifest),
      },
    );
    if (r.code !== 0)
      throw new PublishError(`${relative(root, manifest)}: cargo metadata failed:\n${r.stderr.trim()}`);
    const meta = JSON.parse(r.stdout) as CargoMeta;
    for (const p of meta.packages) {
      if (seen.has(p.manifest_path) || (p.publish && p.publish.length === 0)) continue;
      seen.add(p.manifest_path);
      out.push({
        ecosystem: "crates",
        name: p.name,
        version: p.version,
        dir: dirname(p.manifest_path),
        manifest: p.manifest_path,
        workspace: meta.workspace_root,
        // Dev-dependencies are stripped on publish; path dependencies of the others must go first.
        deps: p.dependencies.filter((d) => d.path && d.kind !== "dev").map((d) => d.name),
      });
    }
  }
  return out;
}

interface PackageJson {
  name?: string;
  version?: string;
  private?: boolean;
  os?: string[];
  cpu?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function npmPackages(root: string): Pkg[] {
  const out: Pkg[] = [];
  for (const manifest of findManifests(root, "package.json")) {
    let pj: PackageJson;
    try {
      pj = JSON.parse(readFileSync(manifest, "utf8")) as PackageJson;
    } catch (e) {
      throw new PublishError(`${relative(root, manifest)}: ${(e as Error).message}`);
    }
    if (pj.private || !pj.name || !pj.version) continue;
    out.push({
      ecosystem: "npm",
      name: pj.name,
      version: pj.version,
      dir: dirname(manifest),
      manifest,
      // optionalDependencies is where napi-style packages name their per-platform builds.
      deps: Object.keys({ ...pj.dependencies, ...pj.optionalDependencies, ...pj.peerDependencies }),
      ...(pj.os ? { os: pj.os } : {}),
      ...(pj.cpu ? { cpu: pj.cpu } : {}),
    });
  }
  return out;
}

/** `[project]` name and version of a pyproject.toml (a dynamic version comes from the built dist). */
export function pyprojectFacts(text: string): { name?: string; version?: string; deps: string[] } {
  const section = /^\[project\][^\n]*\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(text)?.[1] ?? "";
  const str = (key: string) => new RegExp(`^${key}\\s*=\\s*["']([^"']+)["']`, "m").exec(section)?.[1];
  const depsText = /^dependencies\s*=\s*\[([\s\S]*?)\]/m.exec(section)?.[1] ?? "";
  const deps = [...depsText.matchAll(/["']\s*([A-Za-z0-9][A-Za-z0-9._-]*)/g)].map((m) => normalizePy(m[1]!));
  const name = str("name");
  const version = str("version");
  return { ...(name ? { name } : {}), ...(version ? { version } : {}), deps };
}

/** PEP 503 normalized project name. */
export function normalizePy(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

function pythonPackages(root: string): Pkg[] {
  const out: Pkg[] = [];
  for (const manifest of findManifests(root, "pyproject.toml")) {
    const facts = pyprojectFacts(readFileSync(manifest, "utf8"));
    if (!facts.name) continue;
    out.push({
      ecosystem: "pypi",
      name: facts.name,
      version: facts.version ?? "",
      dir: dirname(manifest),
      manifest,
      deps: facts.deps,
    });
  }
  return out;
}

/**
 * Everything to publish, in publishing order: crates, then npm packages, then Python
 * distributions (the seeds' rule), each ecosystem in dependency order (a package after those
 * of the repository it depends on; napi-style platform packages before their main package).
 */
export async function discover(root: string): Promise<Pkg[]> {
  const found = [
    ...(existsSync(root) ? await crates(root) : []),
    ...npmPackages(root),
    ...pythonPackages(root),
  ];
  const out: Pkg[] = [];
  for (const eco of ECOSYSTEM_ORDER)
    out.push(
      ...topological(
        found.filter((p) => p.ecosystem === eco),
        root,
      ),
    );
  return out;
}

function topological(pkgs: Pkg[], root: string): Pkg[] {
  const key = (n: string, eco: string) => (eco === "pypi" ? normalizePy(n) : n);
  const byName = new Map(pkgs.map((p) => [key(p.name, p.ecosystem), p]));
  for (const p of pkgs)
    p.deps = p.deps.filter(
      (d) => byName.has(key(d, p.ecosystem)) && key(d, p.ecosystem) !== key(p.name, p.ecosystem),
    );
  const out: Pkg[] = [];
  const state = new Map<Pkg, "visiting" | "done">();
  const visit = (p: Pkg, chain: string[]) => {
    if (state.get(p) === "done") return;
    if (state.get(p) === "visiting")
      throw new PublishError(
        `${relative(root, p.manifest)}: dependency cycle: ${[...chain, p.name].join(" -> ")}`,
      );
    state.set(p, "visiting");
    for (const d of p.deps) visit(byName.get(key(d, p.ecosystem))!, [...chain, p.name]);
    state.set(p, "done");
    out.push(p);
  };
  for (const p of [...pkgs].sort((a, b) => a.manifest.localeCompare(b.manifest))) visit(p, []);
  return out;
}
