// All manifests of a repository and the edits that give their packages new versions.
import { readCargo } from "./cargo.js";
import { type Manifests, type Place, readManifests } from "./manifest.js";
import { readNpm } from "./npm.js";
import { pep440, readPython } from "./python.js";
import { requirementFor } from "./requirement.js";
import { applySpans, type BadFile, isBad } from "./span.js";

export function loadManifests(root: string): Manifests | BadFile {
  const docs = readManifests(root);
  if (isBad(docs)) return docs;
  const m: Manifests = { ...docs, packages: [], places: [], notes: [] };
  readCargo(m, m);
  readNpm(m, m);
  readPython(m, m);
  return m;
}

export interface Change {
  place: Place;
  before: string;
  after: string;
}

export interface VersionEdits {
  changes: Change[];
  /** New text of every file that changes. */
  files: Map<string, string>;
}

/**
 * The edits giving each package (by `ecosystem:name`) the version `versionOf` says; packages
 * it says nothing of keep theirs. A place shared by packages given different versions (a
 * workspace version inherited by crates released apart) is an error, returned as a string.
 */
export function versionEdits(
  m: Manifests,
  versionOf: (id: string) => string | undefined,
): VersionEdits | string {
  const changes: Change[] = [];
  for (const place of m.places) {
    const wanted = [...new Set(place.owners.map(versionOf).filter((v): v is string => v !== undefined))];
    // A workspace version no crate inherits still follows the one version of a unified release.
    if (place.owners.length === 0) {
      const v = versionOf("*");
      if (v) wanted.push(v);
    }
    if (wanted.length === 0) continue;
    if (wanted.length > 1)
      return `${place.at.file}:${place.at.line}:${place.at.col}: ${place.what} is shared by ${place.owners.join(", ")}, which would get different versions (${wanted.join(", ")}); release them together`;
    const v = place.pep440 ? pep440(wanted[0]!) : wanted[0]!;
    const after = place.kind === "requirement" ? requirementFor(place.at.value, v) : v;
    if (after !== place.at.value) changes.push({ place, before: place.at.value, after });
  }
  const texts = new Map([...m.toml, ...m.json].map((d) => [d.file, d.text]));
  const files = new Map<string, string>();
  for (const file of new Set(changes.map((c) => c.place.at.file))) {
    const text = texts.get(file)!;
    const spans = changes
      .filter((c) => c.place.at.file === file)
      .map((c) => {
        const q = text[c.place.at.start] === "'" ? "'" : '"';
        return { ...c.place.at, text: q === "'" ? `'${c.after}'` : JSON.stringify(c.after) };
      });
    files.set(file, applySpans(text, spans));
  }
  return { changes, files };
}
