import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Adapter, getBytes, type Prepared, type Presence } from "./adapter.js";
import { readArchive, sameContents, sha256 } from "./archive.js";
import type { Context } from "./context.js";
import { run } from "./exec.js";
import { type Pkg, PublishError } from "./types.js";

const CRATES_IO_INDEX = "sparse+https://index.crates.io/";
/** The name Slipway gives a --registry crates=URL in cargo's configuration. */
const REG = "slipway";

/**
 * --registry crates=URL stands in for crates.io (source replacement, as a staging mirror
 * would): path dependencies are published as crates.io dependencies, exactly as they will be
 * on crates.io, and they resolve from URL.
 */
function cargoArgs(ctx: Context): string[] {
  const url = ctx.registries.crates;
  if (!url) return [];
  return [
    "--registry",
    REG,
    "--config",
    `registries.${REG}.index=${JSON.stringify(url)}`,
    "--config",
    `source.crates-io.replace-with=${JSON.stringify(REG)}`,
  ];
}

function cargoEnv(ctx: Context): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const token = ctx.credentials.cargoToken;
  if (ctx.registries.crates) {
    // cargo insists on a token for any registry, even one that checks none.
    env[`CARGO_REGISTRIES_${REG.toUpperCase()}_TOKEN`] = token ?? "none";
  } else if (token) env.CARGO_REGISTRY_TOKEN = token;
  return env;
}

/** Where the index keeps a crate's file (cargo's layout: 1/a, 2/ab, 3/a/abc, ab/cd/abcd…). */
export function indexPath(name: string): string {
  const n = name.toLowerCase();
  if (n.length <= 2) return `${n.length}/${n}`;
  if (n.length === 3) return `3/${n[0]}/${n}`;
  return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}

/** A file of the index: over HTTP for sparse indexes, from the committed tree for git ones. */
async function indexFile(path: string, ctx: Context): Promise<string | undefined> {
  const url = ctx.registries.crates ?? CRATES_IO_INDEX;
  if (url.startsWith("sparse+")) {
    const base = url.slice("sparse+".length);
    return (await getBytes(new URL(path, base.endsWith("/") ? base : `${base}/`).toString()))?.toString(
      "utf8",
    );
  }
  let repo: string;
  if (url.startsWith("file://")) repo = new URL(url).pathname;
  else {
    // A remote git index: a shallow copy, brought up to date on every look.
    repo = join(ctx.tmp, "cargo-index");
    const r = await run("git", ["clone", "--quiet", "--depth", "1", url, repo], { cwd: ctx.tmp });
    if (r.code !== 0) {
      const f = await run("git", ["-C", repo, "pull", "--quiet", "--depth", "1"], { cwd: ctx.tmp });
      if (f.code !== 0) throw new Error(`cannot read the cargo index ${url}: ${f.stderr.trim()}`);
    }
  }
  const r = await run("git", ["-C", repo, "show", `HEAD:${path}`], { cwd: ctx.tmp });
  return r.code === 0 ? r.stdout : undefined;
}

async function indexEntry(name: string, version: string, ctx: Context) {
  const text = await indexFile(indexPath(name), ctx);
  for (const line of text?.split("\n") ?? []) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { vers: string; cksum: string };
    if (e.vers === version) return e;
  }
  return undefined;
}

async function downloadUrl(name: string, version: string, ctx: Context): Promise<string> {
  const config = JSON.parse((await indexFile("config.json", ctx)) ?? "{}") as { dl?: string };
  const dl = config.dl ?? "https://static.crates.io/crates";
  if (!/\{(crate|version|prefix|lowerprefix|sha256-checksum)\}/.test(dl))
    return `${dl}/${name}/${version}/download`;
  const prefix = indexPath(name).split("/").slice(0, -1).join("/");
  return dl
    .replaceAll("{crate}", name)
    .replaceAll("{version}", version)
    .replaceAll("{prefix}", prefix)
    .replaceAll("{lowerprefix}", prefix.toLowerCase());
}

export const cargo: Adapter = {
  async prepare(pkgs, ctx) {
    const out: Prepared[] = [];
    const target = join(ctx.tmp, "cargo-target");
    const byWorkspace = new Map<string, Pkg[]>();
    for (const p of pkgs)
      byWorkspace.set(p.workspace ?? p.dir, [...(byWorkspace.get(p.workspace ?? p.dir) ?? []), p]);
    for (const [ws, members] of byWorkspace) {
      // All at once: cargo packages a crate against its siblings' new versions, not the registry's.
      const args = ["package", "--no-verify", "--target-dir", target];
      for (const p of members) args.push("-p", `${p.name}@${p.version}`);
      const r = await run("cargo", [...args, ...cargoArgs(ctx)], { cwd: ws, env: cargoEnv(ctx) });
      if (r.code !== 0)
        throw new PublishError(`cargo package failed in ${ws}:\n${ctx.masker.mask(r.stderr.trim())}`);
      for (const p of members) {
        const file = join(target, "package", `${p.name}-${p.version}.crate`);
        const bytes = readFileSync(file);
        const entries = readArchive(file, bytes);
        const prefix = `${p.name}-${p.version}/`;
        out.push({
          pkg: p,
          artifacts: [
            {
              file,
              sha256: sha256(bytes),
              size: bytes.length,
              files: entries.map((e) => e.path.replace(prefix, "")),
              entries,
            },
          ],
        });
      }
    }
    return out;
  },

  async presence(p, ctx): Promise<Presence> {
    const a = p.artifacts[0]!;
    const entry = await indexEntry(p.pkg.name, p.pkg.version, ctx);
    if (!entry) return "absent";
    if (entry.cksum === a.sha256) return "same";
    const bytes = await getBytes(await downloadUrl(p.pkg.name, p.pkg.version, ctx));
    if (!bytes) return "different";
    // The VCS file names the commit it was packaged from, not what the crate contains.
    const ignore = (path: string) => path.endsWith("/.cargo_vcs_info.json");
    return sameContents(readArchive(a.file, bytes), a.entries, ignore) ? "same" : "different";
  },

  async publish(p, ctx) {
    const r = await run("cargo", ["publish", "--manifest-path", p.pkg.manifest, ...cargoArgs(ctx)], {
      cwd: p.pkg.dir,
      env: cargoEnv(ctx),
    });
    if (r.code === 0) return { ok: true };
    const message = r.stderr.trim();
    return { ok: false, message, alreadyExists: /already (uploaded|exists)/i.test(message) };
  },

  async served(p, ctx) {
    return (await indexEntry(p.pkg.name, p.pkg.version, ctx)) !== undefined;
  },

  async smoke(p, ctx) {
    const dir = join(ctx.tmp, `smoke-crate-${p.pkg.name}`);
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(
      join(dir, "Cargo.toml"),
      `[package]\nname = "slipway-smoke"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n\n[dependencies]\n${JSON.stringify(p.pkg.name)} = "=${p.pkg.version}"\n`,
    );
    writeFileSync(join(dir, "src", "lib.rs"), "");
    // `--registry` is publish's; a build only needs the source replacement.
    const config = cargoArgs(ctx).slice(2);
    const r = await run(
      "cargo",
      ["build", "--quiet", "--target-dir", join(ctx.tmp, "smoke-target"), ...config],
      {
        cwd: dir,
        env: cargoEnv(ctx),
      },
    );
    return r.code === 0 ? { ok: true } : { ok: false, message: r.stderr.trim() };
  },
};
