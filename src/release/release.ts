// `slipway release`: plan, then (unless a dry run) write every file, commit and tag.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadReleaseConfig } from "./config.js";
import { commitAndTag, dirtyFiles, GitError, hasHead, isShallow, repoRoot } from "./git.js";
import type { Bump } from "./next-version.js";
import { type Plan, planRelease } from "./plan.js";
import { type BadFile, isBad, writeAtomic } from "./span.js";
import { loadManifests } from "./versions.js";

export interface ReleaseOptions {
  cwd: string;
  dryRun: boolean;
  allowDirty: boolean;
  sign?: boolean;
  version?: string;
  bump?: Bump;
  preId?: string;
  notes?: string;
  only?: string[];
  /** YYYY-MM-DD; default today (UTC), or the day of SOURCE_DATE_EPOCH. */
  date?: string;
}

export type ReleaseOutcome =
  | { kind: "released"; plan: Plan; commit: string; notesFile: string; signed: boolean }
  | { kind: "dry-run"; plan: Plan; dirty: string[] }
  | { kind: "nothing"; message: string }
  | { kind: "error"; code: 1 | 2 | 74; message: string };

export const DEFAULT_NOTES = ".slipway/release-notes.md";

export function release(o: ReleaseOptions): ReleaseOutcome {
  const root = repoRoot(o.cwd);
  if (!root)
    return {
      kind: "error",
      code: 2,
      message: `${o.cwd} is not in a git repository (a release reads its commits and tags it)`,
    };
  if (!hasHead(root)) return { kind: "error", code: 2, message: "the repository has no commit yet" };
  if (isShallow(root))
    return {
      kind: "error",
      code: 1,
      message:
        "this is a shallow clone: the commits and tags since the last release are missing (fetch them: git fetch --unshallow --tags, or actions/checkout with fetch-depth: 0)",
    };
  const config = loadReleaseConfig(root);
  if (isBad(config)) return bad(config);
  try {
    const dirty = dirtyFiles(root);
    if (dirty.length && !o.allowDirty && !o.dryRun)
      return {
        kind: "error",
        code: 1,
        message: `the working tree has uncommitted changes (commit them, or pass --allow-dirty):\n${dirty.map((f) => `  ${f}`).join("\n")}`,
      };
    const m = loadManifests(root);
    if (isBad(m)) return bad(m);
    const r = planRelease(root, m, {
      mode: config.mode,
      version: o.version,
      bump: o.bump,
      preId: o.preId,
      date: o.date ?? today(),
      only: o.only,
    });
    if (!r.ok)
      return "nothing" in r
        ? { kind: "nothing", message: r.nothing }
        : { kind: "error", code: 1, message: r.error };
    if (o.dryRun) return { kind: "dry-run", plan: r.plan, dirty };
    const written = write(root, r.plan);
    if (written) return written;
    const sign = o.sign ?? config.sign;
    const commit = commitAndTag(
      root,
      [...r.plan.files.keys()],
      r.plan.message,
      r.plan.units.map((u) => u.tag),
      sign,
    );
    // --notes is relative to where the command runs, the default to the repository.
    const notesFile = o.notes ?? DEFAULT_NOTES;
    const notesPath = o.notes ? resolve(o.cwd, o.notes) : join(root, DEFAULT_NOTES);
    try {
      mkdirSync(dirname(notesPath), { recursive: true });
      // Slipway's own folder ignores itself, as the run folders do.
      const ignore = join(root, ".slipway", ".gitignore");
      if (notesPath.startsWith(join(root, ".slipway")) && !existsSync(ignore)) writeFileSync(ignore, "*\n");
      writeFileSync(notesPath, r.plan.releaseNotes);
    } catch (e) {
      return {
        kind: "error",
        code: 74,
        message: `released, but cannot write ${notesFile}: ${(e as Error).message}`,
      };
    }
    return { kind: "released", plan: r.plan, commit, notesFile, signed: sign };
  } catch (e) {
    if (e instanceof GitError) return { kind: "error", code: 1, message: e.message };
    throw e;
  }
}

/** All files or none: on a failed write, the ones already written get their old text back. */
function write(root: string, plan: Plan): ReleaseOutcome | undefined {
  const done: [string, string | undefined][] = [];
  for (const [file, { before, after }] of plan.files) {
    try {
      writeAtomic(join(root, file), after);
      done.push([file, before]);
    } catch (e) {
      for (const [f, old] of done)
        old === undefined ? rmSync(join(root, f)) : writeAtomic(join(root, f), old);
      return {
        kind: "error",
        code: 74,
        message: `cannot write ${file}: ${(e as Error).message}; nothing was changed`,
      };
    }
  }
  return undefined;
}

function bad(b: BadFile): ReleaseOutcome {
  return { kind: "error", code: 2, message: `${b.file}:${b.line}:${b.col}: ${b.message}` };
}

function today(): string {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return new Date(Number.isFinite(epoch) && process.env.SOURCE_DATE_EPOCH ? epoch * 1000 : Date.now())
    .toISOString()
    .slice(0, 10);
}
