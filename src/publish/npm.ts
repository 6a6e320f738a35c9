import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Adapter, getBytes, type Prepared, type Presence } from "./adapter.js";
import { readArchive, sameContents, sha256 } from "./archive.js";
import type { Context } from "./context.js";
import { run } from "./exec.js";
import { PublishError } from "./types.js";

/**
 * A private npmrc for this run: the registry and its token, so the token never appears in a
 * command line (visible to every process) and the user's own ~/.npmrc is left alone.
 */
function npmrc(ctx: Context): string {
  const file = join(ctx.tmp, "npmrc");
  const url = new URL(ctx.registries.npm);
  const lines = [`registry=${ctx.registries.npm}`, "fund=false", "audit=false", "update-notifier=false"];
  if (ctx.credentials.npmToken)
    lines.push(`//${url.host}${url.pathname}:_authToken=${ctx.credentials.npmToken}`);
  writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  return file;
}

function npmArgs(ctx: Context): string[] {
  return ["--userconfig", npmrc(ctx), "--registry", ctx.registries.npm];
}

function authHeaders(ctx: Context): Record<string, string> {
  return ctx.credentials.npmToken ? { authorization: `Bearer ${ctx.credentials.npmToken}` } : {};
}

function packumentUrl(name: string, ctx: Context): string {
  const base = ctx.registries.npm.endsWith("/") ? ctx.registries.npm : `${ctx.registries.npm}/`;
  return base + name.replace("/", "%2f");
}

interface Packument {
  versions?: Record<string, { dist?: { shasum?: string; tarball?: string } }>;
}

async function packument(name: string, ctx: Context): Promise<Packument | undefined> {
  const bytes = await getBytes(packumentUrl(name, ctx), { ...authHeaders(ctx), accept: "application/json" });
  return bytes ? (JSON.parse(bytes.toString("utf8")) as Packument) : undefined;
}

export const npm: Adapter = {
  async prepare(pkgs, ctx) {
    const dest = join(ctx.tmp, "npm");
    mkdirSync(dest, { recursive: true });
    // One npm process for all of them: most of `npm pack` is npm starting up. The tarball is
    // what gets published, so what was checked and summed is what users get.
    const r = await run(
      "npm",
      ["pack", "--json", "--pack-destination", dest, ...npmArgs(ctx), ...pkgs.map((p) => p.dir)],
      {
        cwd: ctx.root,
      },
    );
    if (r.code !== 0) throw new PublishError(`npm pack failed:\n${ctx.masker.mask(r.stderr.trim())}`);
    const infos = JSON.parse(r.stdout) as { filename: string; name: string }[];
    return pkgs.map((p): Prepared => {
      const info = infos.find((i) => i.name === p.name);
      if (!info) throw new PublishError(`${p.manifest}: npm pack made no tarball for ${p.name}`);
      const file = join(dest, info.filename.replace(/^@/, "").replace("/", "-"));
      const bytes = readFileSync(file);
      const entries = readArchive(file, bytes);
      return {
        pkg: p,
        artifacts: [
          {
            file,
            sha256: sha256(bytes),
            size: bytes.length,
            files: entries.map((e) => e.path.replace(/^package\//, "")),
            entries,
          },
        ],
      };
    });
  },

  async presence(p, ctx): Promise<Presence> {
    const dist = (await packument(p.pkg.name, ctx))?.versions?.[p.pkg.version]?.dist;
    if (!dist) return "absent";
    const a = p.artifacts[0]!;
    const local = readFileSync(a.file);
    if (dist.shasum === createHash("sha1").update(local).digest("hex")) return "same";
    const remote = dist.tarball ? await getBytes(dist.tarball, authHeaders(ctx)) : undefined;
    return remote && sameContents(readArchive(a.file, remote), a.entries) ? "same" : "different";
  },

  async publish(p, ctx) {
    const args = ["publish", p.artifacts[0]!.file, "--access", "public", ...npmArgs(ctx)];
    // npm will not put a pre-release on `latest`; `next` is the usual home for one.
    if (p.pkg.version.includes("-")) args.push("--tag", "next");
    const r = await run("npm", args, { cwd: p.pkg.dir });
    if (r.code === 0) return { ok: true };
    const message = r.stderr
      .split("\n")
      .filter((l) => /npm (error|ERR!)/.test(l) && !/complete log of this run/.test(l))
      .join("\n")
      .trim();
    return {
      ok: false,
      message: message || r.stderr.trim(),
      alreadyExists: /cannot publish over|previously published|EPUBLISHCONFLICT/i.test(r.stderr),
    };
  },

  async served(p, ctx) {
    return (await packument(p.pkg.name, ctx))?.versions?.[p.pkg.version] !== undefined;
  },

  async smoke(p, ctx) {
    if (
      (p.pkg.os && !p.pkg.os.includes(process.platform)) ||
      (p.pkg.cpu && !p.pkg.cpu.includes(process.arch))
    )
      return { ok: true, note: `not for ${process.platform}-${process.arch}: not installed` };
    const dir = join(ctx.tmp, `smoke-npm-${p.pkg.name.replace("/", "-")}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), '{ "name": "slipway-smoke", "private": true }\n');
    const spec = `${p.pkg.name}@${p.pkg.version}`;
    const i = await run("npm", ["install", "--no-package-lock", spec, ...npmArgs(ctx)], {
      cwd: dir,
    });
    if (i.code !== 0) return { ok: false, message: i.stderr.trim() };
    const pj = JSON.parse(readFileSync(join(p.pkg.dir, "package.json"), "utf8")) as Record<string, unknown>;
    if (!pj.main && !pj.exports && !p.artifacts[0]!.files.includes("index.js")) return { ok: true };
    const r = await run(process.execPath, ["-e", `require(${JSON.stringify(p.pkg.name)})`], { cwd: dir });
    return r.code === 0 ? { ok: true } : { ok: false, message: r.stderr.trim() };
  },
};
