// npm: every package.json with a name and version (workspace packages and napi's per-platform
// packages alike), requirements between those packages in every dependency field, and in
// package-lock.json the top `version`, and `packages[""]` / `packages["<folder>"]` of those
// packages with their requirements on one another.
import { basename, join } from "node:path";
import type { JsonDoc } from "./json-doc.js";
import { jsonString } from "./json-doc.js";
import { dirOf, type Manifests, obj, type Pkg, type Place, pkgId } from "./manifest.js";
import { REQ } from "./requirement.js";

const DEP_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"];

export function readNpm(m: Pick<Manifests, "json">, out: { packages: Pkg[]; places: Place[] }): void {
  const pkgs: Pkg[] = [];
  const byDir = new Map<string, Pkg>();
  for (const doc of m.json.filter((d) => basename(d.file) === "package.json")) {
    const at = jsonString(doc, "version");
    if (typeof doc.data.name !== "string" || !at) continue;
    const p: Pkg = {
      name: doc.data.name,
      ecosystem: "npm",
      file: doc.file,
      dir: dirOf(doc.file),
      version: at.value,
      at,
    };
    pkgs.push(p);
    byDir.set(p.dir, p);
    out.places.push({ at, kind: "version", owners: [pkgId(p)], what: "version" });
  }
  const names = new Set(pkgs.map((p) => p.name));
  for (const doc of m.json.filter((d) => basename(d.file) === "package.json"))
    requirements(doc, [], names, out.places);
  for (const lock of m.json.filter((d) => basename(d.file) === "package-lock.json")) {
    const dir = dirOf(lock.file);
    const self = byDir.get(dir);
    const top = jsonString(lock, "version");
    if (self && top) out.places.push({ at: top, kind: "lock", owners: [pkgId(self)], what: "version" });
    for (const key of Object.keys(obj(lock.data.packages) ?? {})) {
      if (key.startsWith("node_modules/") || key.includes("/node_modules/")) continue;
      const p = byDir.get(key === "" ? dir : dir === "" ? key : join(dir, key));
      const at = jsonString(lock, "packages", key, "version");
      if (p && at)
        out.places.push({ at, kind: "lock", owners: [pkgId(p)], what: `packages["${key}"].version` });
      if (p) requirements(lock, ["packages", key], names, out.places);
    }
  }
  out.packages.push(...pkgs);
}

/** Requirements like `^1.2.0`, `~1.2.0`, `1.2.0`, `workspace:^1.2.0` on the repository's own packages. */
function requirements(doc: JsonDoc, at: string[], names: Set<string>, places: Place[]): void {
  let base: unknown = doc.data;
  for (const k of at) base = obj(base)?.[k];
  for (const field of DEP_FIELDS) {
    for (const [name, spec] of Object.entries(obj(obj(base)?.[field]) ?? {})) {
      if (!names.has(name) || typeof spec !== "string" || !REQ.test(spec)) continue;
      const s = jsonString(doc, ...at, field, name);
      const where = at.length ? `packages["${at[1]}"].` : "";
      if (s)
        places.push({
          at: s,
          kind: "requirement",
          owners: [`npm:${name}`],
          what: `${where}${field}["${name}"]`,
        });
    }
  }
}
