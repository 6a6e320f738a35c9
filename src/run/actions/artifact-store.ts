import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

/**
 * Artifacts of a run: `<run folder>/artifacts/<name>/` with the files, and
 * `<name>.artifact.json` describing them. `slipway artifacts` reads the same layout.
 */
export interface ArtifactMeta {
  id: number;
  name: string;
  job: string;
  files: number;
  size: number;
  digest: string;
  retentionDays: number;
  expires: string;
  created: string;
}

export const artifactsDir = (runDir: string) => join(runDir, "artifacts");

/** Names GitHub refuses: these characters break file systems or URLs. */
export function checkArtifactName(name: string): string | undefined {
  if (!name.trim()) return "artifact name is empty";
  const bad = /["':<>|*?\r\n\\/]/.exec(name);
  if (bad)
    return `artifact name '${name}' contains ${JSON.stringify(bad[0])}, which is not allowed (" : < > | * ? \\r \\n \\ /)`;
  if (name.startsWith(".")) return `artifact name '${name}' may not start with a dot`;
  return undefined;
}

export function listArtifacts(runDir: string): ArtifactMeta[] {
  const dir = artifactsDir(runDir);
  if (!existsSync(dir)) return [];
  const out: ArtifactMeta[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".artifact.json")) continue;
    try {
      out.push(JSON.parse(readFileSync(join(dir, f), "utf8")) as ArtifactMeta);
    } catch {}
  }
  return out.sort((a, b) => a.id - b.id);
}

function nextId(dir: string): number {
  const ids = join(dir, ".ids");
  mkdirSync(ids, { recursive: true });
  for (let n = readdirSync(ids).length + 1; ; n++) {
    try {
      closeSync(openSync(join(ids, String(n)), "wx"));
      return n;
    } catch {}
  }
}

export type UploadResult = { ok: true; meta: ArtifactMeta; dir: string } | { ok: false; error: string };

/**
 * Stores files (absolute paths) under their path relative to `root`. A symbolic link is
 * stored as the file it points to, as upload-artifact v4 zips the link's target. `mask`
 * hides secrets in the names that reach the disk (the artifact's name, its folder and the
 * files' paths): they are read later by `slipway artifacts`, which knows no secrets.
 */
export function storeArtifact(
  runDir: string,
  givenName: string,
  root: string,
  files: string[],
  o: { overwrite: boolean; retentionDays: number; job: string; mask: (s: string) => string },
): UploadResult {
  const name = o.mask(givenName);
  const base = artifactsDir(runDir);
  mkdirSync(base, { recursive: true });
  const dir = join(base, name);
  try {
    // Claims the name atomically: jobs upload in parallel.
    mkdirSync(dir);
  } catch {
    if (!o.overwrite)
      return {
        ok: false,
        error: `an artifact named '${name}' already exists in this run; use another name, or set overwrite: true`,
      };
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(base, `${name}.artifact.json`), { force: true });
    mkdirSync(dir);
  }
  const digest = createHash("sha256");
  let size = 0;
  for (const f of files.sort()) {
    const rel = o.mask(f.slice(root.length + (root.endsWith("/") ? 0 : 1)));
    const to = join(dir, rel);
    mkdirSync(dirname(to), { recursive: true });
    // copyFileSync reads through links (cpSync's dereference trips on relative ones).
    copyFileSync(f, to);
    const st = statSync(f);
    utimesSync(to, st.atime, st.mtime);
    size += st.size;
    digest.update(rel).update("\0").update(readFileSync(f));
  }
  const created = new Date();
  const meta: ArtifactMeta = {
    id: nextId(base),
    name,
    job: o.mask(o.job),
    files: files.length,
    size,
    digest: digest.digest("hex"),
    retentionDays: o.retentionDays,
    expires: new Date(created.getTime() + o.retentionDays * 86_400_000).toISOString(),
    created: created.toISOString(),
  };
  writeFileSync(join(base, `${name}.artifact.json`), `${JSON.stringify(meta, null, 2)}\n`);
  return { ok: true, meta, dir };
}

/** Copies an artifact's files into `to` (merging with what is there). */
export function extractArtifact(runDir: string, name: string, to: string): number {
  const from = join(artifactsDir(runDir), name);
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true, force: true, preserveTimestamps: true });
  return listArtifacts(runDir).find((a) => a.name === name)?.files ?? 0;
}
