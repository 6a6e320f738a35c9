import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { childProcess } from "../builtin.js";
import { isSha } from "./ref.js";

/**
 * The offline action store: `<store>/<owner>/<repo>/<ref>/` holds one checkout of an
 * action repository, with `.slipway-action.json` recording the commit it came from.
 * `slipway pin` reads the same layout.
 */
export const META = ".slipway-action.json";

export interface StoreMeta {
  commit: string;
  source: string;
  added?: string;
  /** What the ref was in its repository when stored: a tag, a branch, or a commit id. */
  refKind?: "tag" | "branch" | "commit";
}

export function defaultStore(): string {
  if (process.env.SLIPWAY_ACTION_STORE) return resolve(process.env.SLIPWAY_ACTION_STORE);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "slipway", "actions");
}

export function readMeta(dir: string): StoreMeta | undefined {
  const file = join(dir, META);
  // Most lookups miss (lint asks for every pinned action): a failed read throws, which costs
  // more than asking first.
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, "utf8")) as StoreMeta;
    return typeof m.commit === "string" ? m : undefined;
  } catch {
    return undefined;
  }
}

export type StoreLookup =
  | { ok: true; dir: string; meta: StoreMeta | undefined }
  | { ok: false; error: string };

/** The stored checkout for owner/repo@ref; a SHA ref must match the recorded commit. */
export function findInStore(store: string, owner: string, repo: string, ref: string): StoreLookup {
  const repoDir = join(store, owner, repo);
  const exact = join(repoDir, ref);
  const sha = isSha(ref) ? ref.toLowerCase() : undefined;
  if (existsSync(exact) && statSync(exact).isDirectory()) {
    const meta = readMeta(exact);
    if (sha && meta?.commit && meta.commit.toLowerCase() !== sha)
      return {
        ok: false,
        error: `the action store has ${owner}/${repo}@${ref} at commit ${meta.commit}, not ${ref} (re-add it: slipway actions add ${owner}/${repo}@${ref} --from <git url or folder>)`,
      };
    return { ok: true, dir: exact, meta };
  }
  if (sha && existsSync(repoDir)) {
    // A SHA may be stored under the tag or branch it was added as.
    for (const d of readdirSync(repoDir)) {
      const meta = readMeta(join(repoDir, d));
      if (meta?.commit.toLowerCase() === sha) return { ok: true, dir: join(repoDir, d), meta };
    }
  }
  return { ok: false, error: "" };
}

export function addHint(owner: string, repo: string, ref: string): string {
  return `slipway actions add ${owner}/${repo}@${ref} --from <git url or folder>`;
}

const git = (cwd: string, args: string[]) =>
  childProcess()
    .execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
    .trim();

function gitError(e: unknown): string {
  const err = e as { stderr?: string; message: string };
  return (err.stderr?.toString().trim() || err.message).split("\n").slice(-3).join(" ");
}

export type AddResult = { ok: true; dir: string; meta: StoreMeta } | { ok: false; error: string };

/**
 * Copies an action into the store from a git URL, a git checkout or a plain folder.
 * From git the ref is checked out and its commit recorded; a plain folder is taken
 * as it is, and only a SHA ref can be recorded as its commit.
 */
export function addToStore(store: string, owner: string, repo: string, ref: string, from: string): AddResult {
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(ref) || ref.split("/").some((p) => p === "." || p === ".."))
    return { ok: false, error: `invalid ref '${ref}'` };
  const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(from) && !/^[^/]+@[^:]+:/.test(from);
  const fromPath = local ? resolve(from) : from;
  if (local && !existsSync(fromPath)) return { ok: false, error: `--from ${from}: no such folder` };
  const dest = join(store, owner, repo, ref);
  mkdirSync(join(store, owner, repo), { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), "slipway-action-"));
  try {
    let commit = "";
    let refKind: StoreMeta["refKind"];
    const isGit = !local || existsSync(join(fromPath, ".git")) || existsSync(join(fromPath, "HEAD"));
    const work = join(tmp, "src");
    if (isGit) {
      try {
        git(tmp, ["clone", "-q", "--no-checkout", fromPath, work]);
      } catch (e) {
        return { ok: false, error: `cannot clone ${from}: ${gitError(e)}` };
      }
      const candidates = [`refs/tags/${ref}`, `refs/remotes/origin/${ref}`, ref];
      for (const c of candidates) {
        try {
          commit = git(work, ["rev-parse", "--verify", "-q", `${c}^{commit}`]);
          refKind = c.startsWith("refs/tags/") ? "tag" : c.startsWith("refs/remotes/") ? "branch" : "commit";
          break;
        } catch {}
      }
      if (!commit) return { ok: false, error: `${from} has no tag, branch or commit '${ref}'` };
      git(work, ["checkout", "-q", "--detach", commit]);
      git(work, ["submodule", "--quiet", "update", "--init", "--recursive"]);
      rmSync(join(work, ".git"), { recursive: true, force: true });
    } else {
      cpSync(fromPath, work, { recursive: true, filter: (s) => !s.endsWith(`${"/"}.git`) });
      if (isSha(ref)) commit = ref.toLowerCase();
    }
    const meta: StoreMeta = {
      commit,
      source: local ? fromPath : from,
      added: new Date().toISOString(),
      ...(refKind ? { refKind } : {}),
    };
    writeFileSync(join(work, META), `${JSON.stringify(meta, null, 2)}\n`);
    if (isSha(ref) && commit && commit !== ref.toLowerCase())
      return { ok: false, error: `${from} resolves ${ref} to ${commit}` };
    rmSync(dest, { recursive: true, force: true });
    renameSync(work, dest);
    return { ok: true, dir: dest, meta };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface StoredAction {
  name: string;
  ref: string;
  commit: string;
  source: string;
  dir: string;
}

export function listStore(store: string): StoredAction[] {
  const out: StoredAction[] = [];
  const dirs = (p: string) =>
    existsSync(p) ? readdirSync(p).filter((d) => statSync(join(p, d)).isDirectory()) : [];
  for (const owner of dirs(store))
    for (const repo of dirs(join(store, owner)))
      for (const ref of dirs(join(store, owner, repo)).filter((d) => !d.startsWith(".fetch-"))) {
        const dir = join(store, owner, repo, ref);
        const meta = readMeta(dir);
        out.push({
          name: `${owner}/${repo}`,
          ref,
          commit: meta?.commit ?? "",
          source: meta?.source ?? "",
          dir,
        });
      }
  return out;
}
