import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { type Adapter, getBytes, type Prepared, type Presence } from "./adapter.js";
import { type Entry, readArchive, sameContents, sha256 } from "./archive.js";
import type { Context } from "./context.js";
import { normalizePy } from "./discover.js";
import { have, run } from "./exec.js";
import { type Pkg, PublishError } from "./types.js";

/** The distribution name and version a wheel or sdist file name carries. */
export function distName(file: string): { name: string; version: string } | undefined {
  const b = basename(file);
  const wheel = /^([^-]+)-([^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/.exec(b);
  if (wheel) return { name: normalizePy(wheel[1]!), version: wheel[2]! };
  const sdist = /^(.+)-([^-]+)\.tar\.gz$/.exec(b);
  return sdist ? { name: normalizePy(sdist[1]!), version: sdist[2]! } : undefined;
}

/** A dist's core metadata (METADATA or PKG-INFO): its header fields and its description. */
export function coreMetadata(
  entries: Entry[],
): { fields: Map<string, string[]>; description: string } | undefined {
  const meta =
    entries.find((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.path)) ??
    entries.find((e) => /^[^/]+\/PKG-INFO$/.test(e.path));
  if (!meta) return undefined;
  const text = meta.data.toString("utf8").replace(/\r\n/g, "\n");
  const cut = text.indexOf("\n\n");
  const head = cut < 0 ? text : text.slice(0, cut);
  const fields = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of head.split("\n")) {
    if (/^\s/.test(line) && last) {
      const vs = fields.get(last)!;
      vs[vs.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
    if (!m) continue;
    last = m[1]!.toLowerCase();
    fields.set(last, [...(fields.get(last) ?? []), m[2]!]);
  }
  const description = fields.get("description")?.[0] ?? (cut < 0 ? "" : text.slice(cut + 2));
  return { fields, description };
}

function distsIn(dir: string, p: Pkg): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => {
      const d = distName(f);
      return d && d.name === normalizePy(p.name) && (!p.version || d.version === p.version);
    })
    .sort()
    .map((f) => join(dir, f));
}

/** The simple index's files for a project: file name → URL and sha256 (from the #sha256= fragment). */
async function simpleFiles(
  name: string,
  ctx: Context,
): Promise<Map<string, { url: string; sha256?: string }>> {
  const base = ctx.registries.pypiIndex.endsWith("/")
    ? ctx.registries.pypiIndex
    : `${ctx.registries.pypiIndex}/`;
  const page = `${base}${normalizePy(name)}/`;
  const html = (await getBytes(page, { accept: "text/html" }, true))?.toString("utf8") ?? "";
  const out = new Map<string, { url: string; sha256?: string }>();
  for (const m of html.matchAll(/<a\s[^>]*href="([^"]+)"[^>]*>([^<]+)<\/a>/gi)) {
    const url = new URL(m[1]!.replaceAll("&amp;", "&"), page);
    const hash = /sha256=([0-9a-f]{64})/.exec(url.hash)?.[1];
    url.hash = "";
    out.set(m[2]!.trim(), { url: url.toString(), ...(hash ? { sha256: hash } : {}) });
  }
  return out;
}

/** The legacy upload API, as twine speaks it: one multipart POST per file. */
export async function upload(
  file: string,
  entries: Entry[],
  ctx: Context,
): Promise<{ status: number; text: string }> {
  const meta = coreMetadata(entries);
  const bytes = readFileSync(file);
  const f = (k: string) => meta?.fields.get(k)?.[0] ?? "";
  const form = new FormData();
  const isWheel = file.endsWith(".whl");
  const fields: Record<string, string> = {
    ":action": "file_upload",
    protocol_version: "1",
    name: f("name"),
    version: f("version"),
    filetype: isWheel ? "bdist_wheel" : "sdist",
    pyversion: isWheel ? (basename(file).split("-").at(-3) ?? "py3") : "source",
    metadata_version: f("metadata-version"),
    summary: f("summary"),
    description: meta?.description ?? "",
    description_content_type: f("description-content-type"),
    license: f("license"),
    license_expression: f("license-expression"),
    requires_python: f("requires-python"),
    sha256_digest: sha256(bytes),
    md5_digest: createHash("md5").update(bytes).digest("hex"),
    blake2_256_digest: createHash("blake2b512").update(bytes).digest("hex").slice(0, 64),
  };
  for (const [k, v] of Object.entries(fields)) if (v) form.append(k, v);
  form.append("content", new Blob([bytes]), basename(file));
  const headers: Record<string, string> = {};
  const { pypiUser, pypiPassword } = ctx.credentials;
  if (pypiPassword)
    headers.authorization = `Basic ${Buffer.from(`${pypiUser}:${pypiPassword}`).toString("base64")}`;
  const res = await fetch(ctx.registries.pypi, { method: "POST", body: form, headers });
  return {
    status: res.status,
    text: (await res.text())
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim(),
  };
}

/** The modules a wheel installs, to import after a smoke install. */
function topModules(entries: Entry[]): string[] {
  const top = entries.find((e) => /^[^/]+\.dist-info\/top_level\.txt$/.test(e.path));
  if (top) return top.data.toString("utf8").split(/\s+/).filter(Boolean);
  const mods = new Set<string>();
  for (const e of entries) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(\/__init__\.py|\.py)$/.exec(e.path);
    if (m) mods.add(m[1]!);
  }
  return [...mods];
}

/** Folders a setuptools build leaves beside the sources. */
function buildLeftovers(dir: string): Set<string> {
  const out = new Set<string>();
  for (const base of [dir, join(dir, "src")]) {
    if (!existsSync(base)) continue;
    for (const e of readdirSync(base, { withFileTypes: true }))
      if (e.isDirectory() && (e.name.endsWith(".egg-info") || (base === dir && e.name === "build")))
        out.add(join(base, e.name));
  }
  return out;
}

const python = () => process.env.SLIPWAY_PYTHON || "python3";

export const pypi: Adapter = {
  async prepare(pkgs, ctx) {
    const out: Prepared[] = [];
    for (const p of pkgs) {
      let files = distsIn(join(p.dir, "dist"), p);
      if (files.length === 0) {
        // No dists yet: build them with the project's backend, offline, with what this
        // environment has (as a CI job installs its build tools before publishing).
        const outdir = join(ctx.tmp, `pydist-${normalizePy(p.name)}`);
        const before = buildLeftovers(p.dir);
        const r = await run(python(), ["-m", "build", "--no-isolation", "--outdir", outdir], { cwd: p.dir });
        // The dists go to a temporary folder; the backend's scratch folders (build/,
        // *.egg-info) would stay in the source tree: removed, so a dry run changes nothing.
        for (const d of buildLeftovers(p.dir))
          if (!before.has(d)) rmSync(d, { recursive: true, force: true });
        if (r.code !== 0)
          throw new PublishError(
            `${p.manifest}: no dist/*.whl or *.tar.gz for ${p.name} ${p.version}, and \`${python()} -m build\` failed:\n${(r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n")}`,
          );
        files = distsIn(outdir, p);
      }
      if (files.length === 0)
        throw new PublishError(`${p.manifest}: no distribution of ${p.name} ${p.version} found`);
      const artifacts = files.map((file) => {
        const bytes = readFileSync(file);
        const entries = readArchive(file, bytes);
        return {
          file,
          sha256: sha256(bytes),
          size: bytes.length,
          files: entries.map((e) => e.path),
          entries,
        };
      });
      const version = p.version || distName(files[0]!)!.version;
      out.push({ pkg: { ...p, version }, artifacts });
    }
    return out;
  },

  async presence(p, ctx): Promise<Presence> {
    const remote = await simpleFiles(p.pkg.name, ctx);
    let seen = 0;
    for (const a of p.artifacts) {
      const r = remote.get(basename(a.file));
      if (!r) continue;
      seen++;
      if (r.sha256 === a.sha256) continue;
      const bytes = await getBytes(r.url);
      if (!bytes || !sameContents(readArchive(a.file, bytes), a.entries)) return "different";
    }
    // Some files of the release but not all: the rest still has to go up.
    return seen === 0 || seen < p.artifacts.length ? "absent" : "same";
  },

  async publish(p, ctx) {
    const remote = await simpleFiles(p.pkg.name, ctx);
    const todo = p.artifacts.filter((a) => !remote.has(basename(a.file)));
    if (await have("twine", ctx.tmp)) {
      const env = { ...process.env };
      if (ctx.credentials.pypiPassword) {
        env.TWINE_USERNAME = ctx.credentials.pypiUser;
        env.TWINE_PASSWORD = ctx.credentials.pypiPassword;
      }
      const r = await run(
        "twine",
        [
          "upload",
          "--non-interactive",
          "--disable-progress-bar",
          "--repository-url",
          ctx.registries.pypi,
          ...todo.map((a) => a.file),
        ],
        { cwd: p.pkg.dir, env },
      );
      if (r.code === 0) return { ok: true };
      const message = `${r.stdout}\n${r.stderr}`.trim();
      return { ok: false, message, alreadyExists: /already exists|409 Conflict/i.test(message) };
    }
    for (const a of todo) {
      const r = await upload(a.file, a.entries, ctx);
      if (r.status >= 200 && r.status < 300) continue;
      return {
        ok: false,
        message: `${basename(a.file)}: ${r.status} ${r.text.slice(0, 300)}`,
        alreadyExists: r.status === 409 || /already exists/i.test(r.text),
      };
    }
    return { ok: true };
  },

  async served(p, ctx) {
    const remote = await simpleFiles(p.pkg.name, ctx);
    return p.artifacts.every((a) => remote.has(basename(a.file)));
  },

  async smoke(p, ctx) {
    const wheel = p.artifacts.find((a) => a.file.endsWith(".whl"));
    const venv = join(ctx.tmp, `smoke-py-${normalizePy(p.pkg.name)}`);
    const v = await run(python(), ["-m", "venv", "--without-pip", venv], { cwd: ctx.tmp });
    if (v.code !== 0) return { ok: false, message: v.stderr.trim() };
    const py = join(venv, "bin", "python");
    const i = await run(
      python(),
      [
        "-m",
        "pip",
        "--python",
        py,
        "install",
        "--quiet",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--index-url",
        ctx.registries.pypiIndex,
        `${p.pkg.name}==${p.pkg.version}`,
      ],
      { cwd: ctx.tmp },
    );
    if (i.code !== 0) return { ok: false, message: i.stderr.trim() };
    const mods = wheel ? topModules(wheel.entries) : [];
    if (mods.length === 0) return { ok: true };
    const r = await run(py, ["-c", mods.map((m) => `import ${m}`).join("; ")], { cwd: ctx.tmp });
    return r.code === 0 ? { ok: true } : { ok: false, message: r.stderr.trim() };
  },
};
