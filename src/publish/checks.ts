import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Prepared } from "./adapter.js";
import { normalizePy } from "./discover.js";
import { coreMetadata, distName } from "./pypi.js";

/** Upload limits of the public registries (crates.io 10 MiB, PyPI 100 MiB; npm's is larger). */
export const SIZE_LIMITS = { crates: 10 * 2 ** 20, npm: 200 * 2 ** 20, pypi: 100 * 2 ** 20 } as const;

/** Files no package should ship: secrets, VCS data and build junk. */
const FORBIDDEN: [RegExp, string][] = [
  [/(^|\/)\.env(\.(?!example$|sample$|template$)[^/]+)?$/, "an environment file (secrets)"],
  [/\.(pem|key|p12|pfx|jks|keystore)$/i, "a private key or certificate store"],
  [/(^|\/)id_(rsa|dsa|ecdsa|ed25519)$/, "an SSH private key"],
  [/(^|\/)\.(npmrc|pypirc)$/, "a registry credentials file"],
  [/(^|\/)\.cargo\/credentials(\.toml)?$/, "a registry credentials file"],
  [/(^|\/)\.git(\/|$)/, "git data"],
  [/(^|\/)(\.hg|\.svn)(\/|$)/, "VCS data"],
  [/(^|\/)__pycache__\/|\.py[co]$/, "Python bytecode (build junk)"],
  [/(^|\/)\.DS_Store$|(^|\/)Thumbs\.db$/, "desktop junk"],
  [/(^|\/)node_modules\//, "installed dependencies"],
  [/(^|\/)\.(idea|vscode)\//, "editor settings"],
];

const README = /^readme(\.[a-z]+)?$/i;
const LICENSE = /^(licen[cs]e|copying)([-.][a-z0-9.-]+)?$/i;

/**
 * Problems that must stop a package before anything is uploaded, each a sentence naming the
 * file. Run for every package first, so a bad one late in the order stops the whole release
 * before the first upload, not half way through.
 */
export function checkPackage(p: Prepared, maxSize?: number): string[] {
  const problems: string[] = [];
  const { pkg } = p;
  const limit = maxSize ?? SIZE_LIMITS[pkg.ecosystem];
  for (const a of p.artifacts) {
    const name = basename(a.file);
    if (a.size > limit) problems.push(`${name} is ${mib(a.size)}, over the ${mib(limit)} limit`);
    for (const f of a.files) {
      const hit = FORBIDDEN.find(([re]) => re.test(f));
      if (hit) problems.push(`${name} contains ${f}: ${hit[1]}`);
    }
    // Top-level names inside the archive (crates, npm and sdists keep everything in one folder).
    const top = a.files.map((f) =>
      pkg.ecosystem === "pypi" && name.endsWith(".tar.gz") ? f.split("/").slice(1).join("/") : f,
    );
    if (pkg.ecosystem === "pypi" && name.endsWith(".whl")) problems.push(...checkWheel(p, a.entries, name));
    else {
      if (!top.some((f) => README.test(f))) problems.push(`${name} has no README`);
      if (!top.some((f) => LICENSE.test(f))) problems.push(`${name} has no LICENSE`);
    }
  }
  problems.push(...checkManifest(p));
  return problems;
}

/** What `twine check` and PyPI check: core metadata present, a README and a license, names agreeing. */
function checkWheel(p: Prepared, entries: Prepared["artifacts"][number]["entries"], name: string): string[] {
  const out: string[] = [];
  const meta = coreMetadata(entries);
  if (!meta) return [`${name} has no .dist-info/METADATA`];
  const field = (k: string) => meta.fields.get(k)?.[0];
  for (const k of ["metadata-version", "name", "version"])
    if (!field(k)) out.push(`${name}: METADATA has no ${k}`);
  if (field("name") && normalizePy(field("name")!) !== distName(name)?.name)
    out.push(`${name}: METADATA names ${field("name")}, the file name another project`);
  if (field("version") && field("version") !== p.pkg.version)
    out.push(`${name}: METADATA says version ${field("version")}, the project ${p.pkg.version}`);
  if (!meta.description.trim()) out.push(`${name}: no long description (README) in METADATA`);
  const ct = field("description-content-type");
  if (ct && !/^text\/(plain|markdown|x-rst)\b/.test(ct))
    out.push(`${name}: Description-Content-Type ${ct} is not one PyPI renders`);
  const hasLicense =
    field("license") ||
    field("license-expression") ||
    entries.some((e) => /\.dist-info\/(licenses\/|LICEN[CS]E)/.test(e.path));
  if (!hasLicense) out.push(`${name} has no LICENSE and no license metadata`);
  return out;
}

/** The fields each registry requires or users expect of the manifest. */
function checkManifest(p: Prepared): string[] {
  const { pkg } = p;
  const where = pkg.manifest;
  if (pkg.ecosystem === "npm") {
    const pj = JSON.parse(readFileSync(pkg.manifest, "utf8")) as Record<string, unknown>;
    const out: string[] = [];
    if (!/^[a-z0-9@][a-z0-9._/~-]*$/.test(String(pj.name)) || String(pj.name).length > 214)
      out.push(`${where}: "${pj.name}" is not a valid npm package name`);
    if (!pj.license) out.push(`${where}: no "license"`);
    return out;
  }
  if (pkg.ecosystem === "crates") {
    const toml = readFileSync(pkg.manifest, "utf8");
    const out: string[] = [];
    // crates.io refuses a crate without these.
    if (!/^\s*(license|license-file|license\.workspace)\s*=/m.test(toml))
      out.push(`${where}: no license or license-file`);
    if (!/^\s*(description|description\.workspace)\s*=/m.test(toml)) out.push(`${where}: no description`);
    return out;
  }
  return [];
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}
