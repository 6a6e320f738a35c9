// Cargo: crates and their versions (own or `version.workspace = true`), the workspace's
// `[workspace.package] version`, path-dependency requirements between the workspace's crates
// (in every dependency table, target-specific and `[workspace.dependencies]` included), and the
// Cargo.lock entries of those crates (the ones without a `source`: they are built from here).
import { basename } from "node:path";
import { dirOf, type Manifests, obj, type Pkg, type Place, pkgId } from "./manifest.js";
import { REQ } from "./requirement.js";
import type { TomlDoc } from "./toml-doc.js";
import { tomlString } from "./toml-doc.js";

const DEP_TABLES = new Set(["dependencies", "dev-dependencies", "build-dependencies"]);

export function readCargo(
  m: Pick<Manifests, "toml">,
  out: { packages: Pkg[]; places: Place[]; notes: string[] },
): void {
  const tomls = m.toml.filter((d) => basename(d.file) === "Cargo.toml");
  const workspaces = tomls.filter((d) => obj(d.data.workspace));
  const crates: Pkg[] = [];
  const inheritors = new Map<TomlDoc, string[]>();
  for (const doc of tomls) {
    const pkg = obj(doc.data.package);
    if (typeof pkg?.name !== "string") continue;
    const base = { name: pkg.name, ecosystem: "cargo" as const, file: doc.file, dir: dirOf(doc.file) };
    const own = tomlString(doc, "package", "version");
    if (own) {
      crates.push({ ...base, version: own.value, at: own });
      out.places.push({ at: own, kind: "version", owners: [pkgId(base)], what: "package.version" });
    } else if (obj(pkg.version)?.workspace === true) {
      const ws = workspaceOf(doc, workspaces);
      const v = ws && tomlString(ws, "workspace", "package", "version");
      crates.push({ ...base, version: v?.value, from: ws?.file });
      if (ws) inheritors.set(ws, [...(inheritors.get(ws) ?? []), pkgId(base)]);
    }
  }
  for (const ws of workspaces) {
    const at = tomlString(ws, "workspace", "package", "version");
    if (at)
      out.places.push({
        at,
        kind: "version",
        owners: inheritors.get(ws) ?? [],
        what: "workspace.package.version",
      });
  }
  const names = new Set(crates.map((c) => c.name));
  for (const doc of tomls) {
    for (const e of doc.entries) {
      const p = e.path;
      if (p.at(-1) !== "version" || p.length < 3) continue;
      const table = p.at(-3);
      const prefix = p.slice(0, -3);
      const where =
        prefix.length === 0 ||
        (prefix.length === 1 && prefix[0] === "workspace") ||
        (prefix.length === 2 && prefix[0] === "target");
      if (!where || typeof table !== "string" || !DEP_TABLES.has(table)) continue;
      const dep = obj(path(doc.data, p.slice(0, -1)));
      const crate = typeof dep?.package === "string" ? dep.package : String(p.at(-2));
      if (typeof dep?.path !== "string" || !names.has(crate)) continue;
      const at = tomlString(doc, ...p);
      if (at && REQ.test(at.value))
        out.places.push({
          at,
          kind: "requirement",
          owners: [`cargo:${crate}`],
          what: p.slice(0, -1).join("."),
        });
    }
  }
  for (const lock of m.toml.filter((d) => basename(d.file) === "Cargo.lock")) {
    const list = Array.isArray(lock.data.package) ? lock.data.package : [];
    list.forEach((entry: unknown, i: number) => {
      const e = obj(entry);
      if (typeof e?.name !== "string" || e.source !== undefined || !names.has(e.name)) return;
      const at = tomlString(lock, "package", i, "version");
      if (at) out.places.push({ at, kind: "lock", owners: [`cargo:${e.name}`], what: `package ${e.name}` });
    });
  }
  out.packages.push(...crates);
}

/** The nearest Cargo.toml with a [workspace] at or above the crate's folder. */
function workspaceOf(doc: TomlDoc, workspaces: TomlDoc[]): TomlDoc | undefined {
  const dir = dirOf(doc.file);
  return workspaces
    .filter((w) => {
      const d = dirOf(w.file);
      return d === "" || dir === d || dir.startsWith(`${d}/`);
    })
    .sort((a, b) => b.file.length - a.file.length)[0];
}

function path(data: unknown, keys: (string | number)[]): unknown {
  let cur: unknown = data;
  for (const k of keys) cur = (cur as Record<string | number, unknown> | undefined)?.[k];
  return cur;
}
