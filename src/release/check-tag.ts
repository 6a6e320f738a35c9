// `slipway release check-tag`: the guard before publishing — the tag's version is the version
// of every manifest (and lock entry) of the packages it releases.
import semver from "semver";
import { repoRoot, tagsAtHead } from "./git.js";
import { pkgId } from "./manifest.js";
import { pep440 } from "./python.js";
import { isBad } from "./span.js";
import { loadManifests } from "./versions.js";

export interface CheckResult {
  code: 0 | 1 | 2;
  lines: string[];
}

/** `v1.2.0`, `1.2.0` or `name-v1.2.0`. */
export function parseTag(tag: string): { name?: string; version: string } | undefined {
  const m = /^(?:(.+)-)?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/.exec(tag);
  if (m && semver.valid(m[2]!)) return { name: m[1], version: m[2]! };
  return undefined;
}

export function checkTag(
  cwd: string,
  given: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): CheckResult {
  const root = repoRoot(cwd);
  if (!root) return { code: 2, lines: [`${cwd} is not in a git repository`] };
  let tag = given ?? (env.GITHUB_REF_TYPE !== "branch" ? env.GITHUB_REF_NAME : undefined);
  if (!tag) {
    const at = tagsAtHead(root).filter((t) => parseTag(t));
    if (at.length !== 1)
      return {
        code: 2,
        lines: [
          at.length
            ? `several release tags at HEAD (${at.join(", ")}); name one`
            : "no tag given, GITHUB_REF_NAME is not set and HEAD has no release tag",
        ],
      };
    tag = at[0]!;
  }
  const t = parseTag(tag.replace(/^refs\/tags\//, ""));
  if (!t) return { code: 2, lines: [`'${tag}' is not a release tag (vX.Y.Z, X.Y.Z or <name>-vX.Y.Z)`] };
  const m = loadManifests(root);
  if (isBad(m)) return { code: 2, lines: [`${m.file}:${m.line}:${m.col}: ${m.message}`] };
  const inScope = new Set(m.packages.filter((p) => !t.name || p.name === t.name).map(pkgId));
  if (inScope.size === 0)
    return {
      code: 2,
      lines: [
        t.name ? `no package named '${t.name}' in this repository` : "no manifest with a version found",
      ],
    };
  const places = m.places.filter(
    (p) =>
      (p.kind === "version" || p.kind === "lock") &&
      (p.owners.some((o) => inScope.has(o)) || (!t.name && p.owners.length === 0)),
  );
  places.sort((a, b) => a.at.file.localeCompare(b.at.file) || a.at.start - b.at.start);
  const wrong = places.filter((p) =>
    p.pep440 ? pep440(p.at.value) !== pep440(t.version) : p.at.value !== t.version,
  );
  if (wrong.length)
    return {
      code: 1,
      lines: wrong.map(
        (p) =>
          `${p.at.file}:${p.at.line}:${p.at.col}: ${p.what} is ${p.at.value}, tag ${tag} says ${t.version}`,
      ),
    };
  const files = [...new Set(places.map((p) => p.at.file))];
  return { code: 0, lines: [`${tag}: ${files.join(", ")} all at ${t.version}`, ...m.notes] };
}
