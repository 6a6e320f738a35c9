// What a release would do, computed before anything is written: versions, changelog sections,
// the new text of every file, the commit message and tags.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import semver, { type SemVer } from "semver";
import { prependSection, renderSection, type Section } from "./changelog.js";
import { highest, levelOf, type ParsedCommit, parseCommit } from "./conventional.js";
import { type Forge, forgeOf } from "./forge.js";
import { commitsSince, releaseTags, remoteUrl, tagExists } from "./git.js";
import { type Manifests, type Pkg, pkgId } from "./manifest.js";
import { type Bump, nextVersion } from "./next-version.js";
import { pep440 } from "./python.js";
import { type Change, versionEdits } from "./versions.js";

export interface PlanOptions {
  mode: "unified" | "per-package";
  version?: string;
  bump?: Bump;
  preId?: string;
  /** YYYY-MM-DD */
  date: string;
  /** Per-package mode: only these packages. */
  only?: string[];
}

export interface Unit {
  /** The package name in per-package mode; undefined for the one version of all. */
  name?: string;
  version: string;
  tag: string;
  previousTag?: string;
  commits: ParsedCommit[];
  changelog: string;
  section: Section;
  packages: Pkg[];
}

export interface Plan {
  units: Unit[];
  changes: Change[];
  /** Every file written: its text now (undefined when new) and after. */
  files: Map<string, { before?: string; after: string }>;
  notes: string[];
  releaseNotes: string;
  message: string;
}

export type PlanResult =
  | { ok: true; plan: Plan }
  | { ok: false; nothing: string }
  | { ok: false; error: string };

export function planRelease(root: string, m: Manifests, o: PlanOptions): PlanResult {
  if (o.only && o.mode === "unified")
    return {
      ok: false,
      error:
        "--package needs one version per package (release: { mode: per-package } in .github/slipway.yml)",
    };
  const groups = o.mode === "unified" ? [{ name: undefined, pkgs: m.packages }] : byName(m.packages, o.only);
  if (groups.length === 0)
    return {
      ok: false,
      error: o.only ? `no package named ${o.only.join(", ")}` : "no package with a version found",
    };
  const forge = forgeOf(remoteUrl(root));
  const units: Unit[] = [];
  const skipped: string[] = [];
  for (const g of groups) {
    const u = planUnit(root, g, o, forge);
    if (typeof u === "string") return { ok: false, error: u };
    if (u) units.push(u);
    else skipped.push(g.name ?? "");
  }
  if (units.length === 0) {
    const what = o.mode === "unified" ? "" : ` for ${skipped.join(", ")}`;
    return {
      ok: false,
      nothing: `nothing to release${what}: no feat, fix, perf or breaking-change commits since the last release`,
    };
  }
  const notes = [...m.notes];
  if (o.mode === "unified") {
    const held = [...new Set(m.packages.flatMap((p) => (p.at ? [`${p.file} ${p.version}`] : [])))];
    const versions = new Set(m.packages.flatMap((p) => (p.at && p.version ? [pep440(p.version)] : [])));
    if (versions.size > 1)
      notes.push(`the manifests held different versions (${held.join(", ")}); all get ${units[0]!.version}`);
  }
  const byId = new Map<string, string>();
  for (const u of units) for (const p of u.packages) byId.set(pkgId(p), u.version);
  const unified = o.mode === "unified" ? units[0]!.version : undefined;
  const edits = versionEdits(m, (id) => (id === "*" ? unified : (unified ?? byId.get(id))));
  if (typeof edits === "string") return { ok: false, error: edits };
  const files = new Map<string, { before?: string; after: string }>();
  for (const [file, after] of edits.files) files.set(file, { before: textOf(m, file), after });
  for (const u of units) {
    const prev = files.get(u.changelog);
    const before = prev?.before ?? readIf(join(root, u.changelog));
    files.set(u.changelog, { before, after: prependSection(prev?.after ?? before, u.section.markdown) });
  }
  const releaseNotes =
    units.length === 1
      ? units[0]!.section.notes
      : units.map((u) => `## ${u.tag}\n\n${u.section.notes}`).join("\n");
  const message = `chore(release): ${units.map((u) => u.tag).join(", ")}`;
  return { ok: true, plan: { units, changes: edits.changes, files, notes, releaseNotes, message } };
}

/** One unit's release (undefined: nothing to release; a string: why it cannot be). */
function planUnit(
  root: string,
  g: { name?: string; pkgs: Pkg[] },
  o: PlanOptions,
  forge: Forge | undefined,
): Unit | undefined | string {
  const prefix = g.name ? `${g.name}-v` : "v";
  const dirs = [...new Set(g.pkgs.map((p) => p.dir))];
  // A package's own commits are those touching its folder(s).
  const paths = g.name && !dirs.includes("") ? dirs : undefined;
  const current = currentVersion(g.pkgs, o.version);
  if (!current)
    return "no manifest holds a version (Cargo.toml, package.json, pyproject.toml); give one with --version";
  const tags = releaseTags(root, prefix);
  const stable = tags.find((t) => !t.version.prerelease.length);
  const pre = tags.find(
    (t) => t.version.prerelease.length && (!stable || semver.gt(t.version, stable.version)),
  );
  const last = pre ?? stable;
  const read = (since: string | undefined) =>
    commitsSince(root, since, paths)
      .map(parseCommit)
      .filter((c): c is ParsedCommit => c !== undefined);
  const sinceStable = read(stable?.name);
  const sinceLast = last === stable ? sinceStable : read(last?.name);
  let version: string | undefined;
  if (o.version) {
    const v = semver.valid(o.version.replace(/^v/, ""));
    if (!v) return `--version ${o.version} is not a semantic version (like 1.4.0 or 2.0.0-rc.1)`;
    if (last && !semver.gt(v, last.version))
      return `--version ${v} is not above the last release ${last.name}`;
    version = v;
  } else
    version = nextVersion({
      stable: stable?.version,
      pre: pre?.version,
      sinceStable: highest(sinceStable.map(levelOf)),
      sinceLast: highest(sinceLast.map(levelOf)),
      current,
      preId: o.preId,
      bump: o.bump,
    });
  if (!version) return undefined;
  const tag = `${prefix}${version}`;
  if (tagExists(root, tag)) return `tag ${tag} already exists`;
  // A stable release after pre-releases lists everything since the last stable one.
  const base = semver.prerelease(version) ? last : stable;
  const commits = base === last ? sinceLast : sinceStable;
  const dir = dirs.length === 1 && g.name ? dirs[0]! : "";
  const changelog = dir ? `${dir}/CHANGELOG.md` : "CHANGELOG.md";
  // Packages sharing the root's changelog say whose version a section is.
  const title = g.name && !dir ? `${g.name} ${version}` : undefined;
  const section = renderSection({
    version,
    title,
    date: o.date,
    tag,
    previousTag: base?.name,
    commits,
    forge,
  });
  return {
    name: g.name,
    version,
    tag,
    previousTag: base?.name,
    commits,
    changelog,
    section,
    packages: g.pkgs,
  };
}

/** One release unit per package name: a crate and its Python and npm bindings of the same name go together. */
function byName(pkgs: Pkg[], only: string[] | undefined): { name: string; pkgs: Pkg[] }[] {
  const groups = new Map<string, Pkg[]>();
  for (const p of pkgs)
    if (!only || only.includes(p.name)) groups.set(p.name, [...(groups.get(p.name) ?? []), p]);
  return [...groups].map(([name, ps]) => ({ name, pkgs: ps }));
}

/** The version the manifests hold now: the one nearest the root. */
function currentVersion(pkgs: Pkg[], given: string | undefined): SemVer | undefined {
  const sorted = [...pkgs].filter((p) => p.version).sort((a, b) => depth(a.dir) - depth(b.dir));
  for (const p of sorted) {
    const v = semver.parse(p.version!) ?? semver.coerce(p.version!, { includePrerelease: true });
    if (v) return v;
  }
  return given ? (semver.parse(given.replace(/^v/, "")) ?? undefined) : undefined;
}

const depth = (dir: string) => (dir === "" ? 0 : dir.split("/").length);

function textOf(m: Manifests, file: string): string | undefined {
  return [...m.toml, ...m.json].find((d) => d.file === file)?.text;
}

function readIf(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}
