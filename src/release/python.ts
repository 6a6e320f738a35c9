// Python: `[project].version` and Poetry's `[tool.poetry].version`, written as PEP 440, and
// uv.lock's entries for those projects (the ones built from a folder here, not an index).
// `dynamic = ["version"]` with maturin: the version is the crate's in the Cargo.toml beside it
// (maturin reads it and converts 1.2.0-rc.1 to 1.2.0rc1), so the file is left alone. Other
// dynamic versions (setuptools-scm, hatch-vcs…) come from the tag itself: nothing to write.
import { basename, join } from "node:path";
import { dirOf, type Manifests, obj, type Pkg, type Place, pkgId } from "./manifest.js";
import { tomlString } from "./toml-doc.js";

export function readPython(
  m: Pick<Manifests, "toml">,
  out: { packages: Pkg[]; places: Place[]; notes: string[] },
): void {
  for (const doc of m.toml.filter((d) => basename(d.file) === "pyproject.toml")) {
    const project = obj(doc.data.project);
    const poetry = obj(obj(obj(doc.data.tool)?.poetry));
    const dir = dirOf(doc.file);
    for (const [table, t] of [
      ["project", project],
      ["tool.poetry", poetry],
    ] as const) {
      const at = tomlString(doc, ...table.split("."), "version");
      if (typeof t?.name !== "string" || !at) continue;
      const p: Pkg = { name: t.name, ecosystem: "python", file: doc.file, dir, version: at.value, at };
      if (!out.packages.some((x) => pkgId(x) === pkgId(p))) out.packages.push(p);
      out.places.push({ at, kind: "version", owners: [pkgId(p)], what: `${table}.version`, pep440: true });
    }
    const dynamic = Array.isArray(project?.dynamic) && project.dynamic.includes("version");
    if (!dynamic || typeof project?.name !== "string") continue;
    const backend = String(obj(doc.data["build-system"])?.["build-backend"] ?? "");
    if (backend === "maturin") {
      const crate = out.packages.find((c) => c.ecosystem === "cargo" && c.file === join(dir, "Cargo.toml"));
      out.packages.push({
        name: project.name,
        ecosystem: "python",
        file: doc.file,
        dir,
        version: crate?.version,
        from: crate?.file,
      });
      out.notes.push(
        `${doc.file}: version is dynamic; maturin takes it from ${crate?.file ?? "Cargo.toml"}, so this file is left alone`,
      );
    } else out.notes.push(`${doc.file}: version is dynamic (${backend || "build backend"}); left alone`);
  }
  const ours = new Set(out.packages.filter((p) => p.ecosystem === "python").map((p) => normalize(p.name)));
  for (const lock of m.toml.filter((d) => basename(d.file) === "uv.lock")) {
    const list = Array.isArray(lock.data.package) ? lock.data.package : [];
    list.forEach((entry: unknown, i: number) => {
      const e = obj(entry);
      const local = Object.keys(obj(e?.source) ?? {}).some((k) =>
        ["editable", "virtual", "directory"].includes(k),
      );
      if (typeof e?.name !== "string" || !local || !ours.has(normalize(e.name))) return;
      const name = out.packages.find(
        (p) => p.ecosystem === "python" && normalize(p.name) === normalize(e.name as string),
      )!.name;
      const at = tomlString(lock, "package", i, "version");
      if (at)
        out.places.push({
          at,
          kind: "lock",
          owners: [`python:${name}`],
          what: `package ${e.name}`,
          pep440: true,
        });
    });
  }
}

/** PEP 503: names compare lowercased, with runs of -, _ and . as one -. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The PEP 440 spelling of a semantic version: 1.2.0-rc.1 → 1.2.0rc1, -alpha.2 → a2, -beta.3 → b3. */
export function pep440(v: string): string {
  const m = /^(\d+\.\d+\.\d+)(?:-(alpha|a|beta|b|rc|c|dev)\.?(\d+)?)?$/.exec(v);
  if (!m) return v;
  const [, core, id, n] = m;
  if (!id) return core!;
  const tag = { alpha: "a", a: "a", beta: "b", b: "b", rc: "rc", c: "rc", dev: ".dev" }[id]!;
  return `${core}${tag}${n ?? "0"}`;
}
