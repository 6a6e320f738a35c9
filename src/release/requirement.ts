// Requirements on the repository's own packages, in Cargo.toml and package.json alike.
import semver from "semver";

/** An operator (kept) and one version, maybe partial (replaced by the full new one); ranges like `*`, `file:`, `>=1 <2` are left alone. */
export const REQ = /^(workspace:)?[\^~=]?v?\d+(\.\d+){0,2}(-[\w.]+)?$/;

export function requirementFor(old: string, version: string): string {
  const m = /^(workspace:)?([\^~=]?)/.exec(old)!;
  return `${m[1] ?? ""}${m[2]}${semver.valid(version)}`;
}
