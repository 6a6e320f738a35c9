// The next version from the last release and what the commits since then ask for.
//
// 0.x: as release-plz applies it (its next_version crate): while the major is 0, a breaking
// change bumps the minor (0.4.2 → 0.5.0) and a feature or a fix bumps the patch (0.4.2 →
// 0.4.3); in 0.0.x every change bumps the patch, since leaving 0.0 says something about
// stability that a tool should not decide. semantic-release has no such rule (a breaking change
// on 0.x gives 1.0.0, and it starts at 1.0.0); leaving 0.x is a `--bump major` (or `--version`).
import semver, { type SemVer } from "semver";
import type { Level } from "./conventional.js";

export type Bump = Level | "pre";

/** The plain core version (no pre-release) `level` leads to from `v`, with the 0.x rules. */
export function bumpCore(v: SemVer, level: Level): string {
  const { major, minor, patch } = v;
  if (major === 0 && minor === 0) return `0.0.${patch + 1}`;
  if (major === 0) return level === "major" ? `0.${minor + 1}.0` : `0.${minor}.${patch + 1}`;
  if (level === "major") return `${major + 1}.0.0`;
  if (level === "minor") return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

export interface NextInput {
  /** The highest stable release tagged so far (undefined before the first). */
  stable?: SemVer;
  /** The highest pre-release tagged after `stable`, if any. */
  pre?: SemVer;
  /** What the commits since `stable` ask for. */
  sinceStable?: Level;
  /** What the commits since the last tag (`pre` when there is one) ask for. */
  sinceLast?: Level;
  /** The version the manifests hold: the first release when nothing is tagged yet. */
  current: SemVer;
  /** Pre-release identifier (`rc`) for a pre-release. */
  preId?: string;
  bump?: Bump;
}

/** The next version, or undefined when nothing asks for a release. */
export function nextVersion(i: NextInput): string | undefined {
  const last = i.pre ?? i.stable;
  if (i.bump === "pre") return nextPre(i.pre ?? i.stable ?? i.current, i.preId);
  let core: string;
  if (i.bump) core = semver.inc(i.stable ?? i.current, i.bump)!;
  // The first stable release is the version written (or pre-released) so far.
  else if (!i.stable) core = coreOf(i.pre ?? i.current);
  else if (i.sinceStable) core = bumpCore(i.stable, i.sinceStable);
  else return undefined;
  if (!i.preId) {
    // Graduating a pre-release needs no new commit; anything else does.
    if (!i.bump && i.stable && !i.pre && !i.sinceLast) return undefined;
    return core;
  }
  // 1.3.0-rc.2 and more commits asking no more than 1.3.0: 1.3.0-rc.3; else a new series at .1.
  if (i.pre && i.pre.prerelease[0] === i.preId && semver.gte(coreOf(i.pre), core)) {
    if (!i.bump && !i.sinceLast) return undefined;
    return nextPre(i.pre, i.preId);
  }
  if (last && !i.bump && !i.sinceLast) return undefined;
  return `${core}-${i.preId}.1`;
}

function coreOf(v: SemVer): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

function nextPre(v: SemVer, id = "rc"): string {
  const [name, n] = v.prerelease;
  if (v.prerelease.length && name === id && typeof n === "number") return `${coreOf(v)}-${id}.${n + 1}`;
  if (v.prerelease.length) return `${coreOf(v)}-${id}.1`;
  return `${v.major}.${v.minor}.${v.patch + 1}-${id}.1`;
}
