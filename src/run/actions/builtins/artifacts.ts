import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import { glob } from "tinyglobby";
import type { Json } from "../../../expr/index.js";
import { checkArtifactName, extractArtifact, listArtifacts, storeArtifact } from "../artifact-store.js";
import { staticBase } from "../cache-store.js";
import { expandHome, runDirOf } from "../paths.js";
import { type Builtin, StepError } from "../types.js";

const lines = (s: string) =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

const GLOB = /[*?[\]{}]/;

function lca(paths: string[]): string {
  const split = paths.map((p) => p.split(sep));
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const seg = split[0]![i];
    if (seg === undefined || split.some((s) => s[i] !== seg)) break;
    out.push(seg);
  }
  return out.join(sep) || sep;
}

const hidden = (rel: string) => rel.split(/[\\/]/).some((s) => s.startsWith(".") && s !== "." && s !== "..");

/**
 * Files an upload takes, and the folder they are stored relative to: with several
 * search paths, their least common ancestor; with one, the folder itself (or a
 * file's parent), as upload-artifact v4 does.
 */
async function collect(
  patterns: string[],
  workspace: string,
  includeHidden: boolean,
): Promise<{ files: string[]; root: string }> {
  const includes: string[] = [];
  const excludes: string[] = [];
  for (const raw of patterns) {
    const neg = raw.startsWith("!");
    const p = resolve(workspace, expandHome(neg ? raw.slice(1) : raw));
    (neg ? excludes : includes).push(p);
  }
  const files = new Set<string>();
  const searchPaths: string[] = [];
  for (const p of includes) {
    const base = GLOB.test(p) ? staticBase(p) : p;
    searchPaths.push(base);
    if (!existsSync(base)) continue;
    if (!GLOB.test(p)) {
      if (statSync(p).isFile()) files.add(p);
      else for (const f of await glob(["**"], { cwd: p, dot: true, absolute: true })) files.add(resolve(f));
      continue;
    }
    const rest = relative(base, p).split(sep).join("/");
    for (const m of await glob([rest], { cwd: base, onlyFiles: false, dot: true, absolute: true })) {
      const abs = resolve(m);
      if (statSync(abs).isDirectory())
        for (const f of await glob(["**"], { cwd: abs, dot: true, absolute: true })) files.add(resolve(f));
      else files.add(abs);
    }
  }
  let out = [...files];
  if (excludes.length) {
    const isEx = picomatch(excludes, { dot: true });
    out = out.filter(
      (f) => !isEx(f) && !excludes.some((e) => !GLOB.test(e) && (f === e || f.startsWith(e + sep))),
    );
  }
  let root = searchPaths.length > 1 ? lca(searchPaths) : (searchPaths[0] ?? workspace);
  if (searchPaths.length === 1 && existsSync(root) && statSync(root).isFile()) root = dirname(root);
  if (!includeHidden) out = out.filter((f) => !hidden(relative(root, f)));
  return { files: out, root };
}

export const uploadArtifact: Builtin = {
  inputs: {
    name: "artifact",
    path: "",
    "if-no-files-found": "warn",
    "retention-days": "",
    "compression-level": "6",
    overwrite: "false",
    "include-hidden-files": "false",
  },
  async run(ctx): Promise<Record<string, string>> {
    const i = ctx.inputs;
    const name = i.name.trim();
    const bad = checkArtifactName(name);
    if (bad) throw new StepError(bad);
    const patterns = lines(i.path);
    if (!patterns.length) throw new StepError("Input required and not supplied: path");
    if (!["warn", "error", "ignore"].includes(i["if-no-files-found"]))
      throw new StepError(`if-no-files-found must be warn, error or ignore, got '${i["if-no-files-found"]}'`);
    const retention = i["retention-days"] ? Number(i["retention-days"]) : 90;
    if (!Number.isInteger(retention) || retention < 1 || retention > 90)
      throw new StepError(`retention-days must be a whole number from 1 to 90, got '${i["retention-days"]}'`);
    const level = Number(i["compression-level"]);
    if (!Number.isInteger(level) || level < 0 || level > 9)
      throw new StepError(`compression-level must be 0 to 9, got '${i["compression-level"]}'`);
    const { files, root } = await collect(patterns, ctx.workspace, i["include-hidden-files"] === "true");
    if (!files.length) {
      const msg = `No files were found with the provided path: ${patterns.join(", ")}. No artifacts will be uploaded.`;
      if (i["if-no-files-found"] === "error") throw new StepError(msg);
      if (i["if-no-files-found"] === "warn") ctx.warn(msg);
      else ctx.log(msg);
      return {};
    }
    const runDir = runDirOf(ctx.job);
    const r = storeArtifact(runDir, name, root, files, {
      overwrite: i.overwrite === "true",
      retentionDays: retention,
      job: ctx.job.key,
      mask: (t) => ctx.job.masker.mask(t),
    });
    if (!r.ok) throw new StepError(r.error);
    const { meta } = r;
    ctx.job.emit({
      type: "artifact",
      job: ctx.job.key,
      name: meta.name,
      files: meta.files,
      size: meta.size,
      path: `artifacts/${meta.name}`,
    });
    ctx.log(
      `Artifact '${name}' stored: ${files.length} file(s), ${r.meta.size} bytes, root ${root}, kept ${retention} day(s) (${r.dir})`,
    );
    return {
      "artifact-id": String(r.meta.id),
      "artifact-url": `file://${r.dir}`,
      "artifact-digest": r.meta.digest,
    };
  },
};

export const downloadArtifact: Builtin = {
  inputs: { name: "", "artifact-ids": "", path: "", pattern: "", "merge-multiple": "false", "run-id": "" },
  ignored: { "github-token": "", repository: "" },
  async run(ctx) {
    const i = ctx.inputs;
    const github = ctx.job.contexts.github as Record<string, Json>;
    if (i["run-id"] && i["run-id"] !== String(github.run_id))
      throw new StepError(
        `run-id ${i["run-id"]}: only artifacts of this run can be downloaded (run ${github.run_id})`,
      );
    const runDir = runDirOf(ctx.job);
    const to = resolve(ctx.workspace, expandHome(i.path || "."));
    const all = listArtifacts(runDir);
    if (i.name) {
      // Stored under its masked name (see storeArtifact).
      const name = ctx.job.masker.mask(i.name);
      if (!all.some((a) => a.name === name))
        throw new StepError(
          `Artifact not found for name: ${i.name} (this run has ${all.length ? all.map((a) => a.name).join(", ") : "no artifacts yet"}; the uploading job must finish first: add it to needs:)`,
        );
      const n = extractArtifact(runDir, name, to);
      ctx.log(`Artifact '${i.name}' (${n} file(s)) downloaded to ${to}`);
      return { "download-path": to };
    }
    let chosen = all;
    if (i["artifact-ids"]) {
      const ids = i["artifact-ids"].split(",").map((s) => s.trim());
      chosen = chosen.filter((a) => ids.includes(String(a.id)));
    }
    if (i.pattern) {
      const m = picomatch(ctx.job.masker.mask(i.pattern));
      chosen = chosen.filter((a) => m(a.name));
    }
    if (!chosen.length) ctx.warn(`No artifacts found${i.pattern ? ` matching '${i.pattern}'` : ""}`);
    const merge = i["merge-multiple"] === "true";
    for (const a of chosen) extractArtifact(runDir, a.name, merge ? to : join(to, a.name));
    ctx.log(`Downloaded ${chosen.length} artifact(s) to ${to}${merge ? " (merged)" : ""}`);
    return { "download-path": to };
  },
};
