import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import type { Json } from "../../../expr/index.js";
import { repoRootOf } from "../paths.js";
import { type Builtin, StepError } from "../types.js";

const exec = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const r = await exec("git", args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return r.stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new StepError(
      `git ${args.join(" ")}: ${(err.stderr || err.message).trim().split("\n").slice(-3).join(" ")}`,
    );
  }
}

async function tryGit(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    return await git(cwd, args);
  } catch {
    return undefined;
  }
}

async function resolveRef(
  source: string,
  ref: string,
): Promise<{ sha: string; branch?: string; tag?: boolean }> {
  const short = ref.replace(/^refs\/(heads|tags)\//, "");
  const tries: [string, { branch?: string; tag?: boolean }][] = ref.startsWith("refs/tags/")
    ? [[ref, { tag: true }]]
    : ref.startsWith("refs/heads/")
      ? [[ref, { branch: short }]]
      : [
          [`refs/heads/${ref}`, { branch: ref }],
          [`refs/tags/${ref}`, { tag: true }],
          [`refs/remotes/origin/${ref}`, { branch: ref }],
          [ref, {}],
        ];
  for (const [rev, kind] of tries) {
    const sha = await tryGit(source, ["rev-parse", "--verify", "-q", `${rev}^{commit}`]);
    if (sha) return { sha, ...kind };
  }
  throw new StepError(`ref '${ref}' is not a branch, tag or commit of ${source}`);
}

/**
 * `refs/pull/N/merge` and `refs/pull/N/head` of the pull request this run is for: they
 * exist on GitHub but not in the local repository; the event knows their commits.
 */
function pullRef(
  ref: string,
  github: Record<string, Json>,
): { sha: string; branch?: string; tag?: boolean } | undefined {
  const m = /^refs\/pull\/(\d+)\/(merge|head)$/.exec(ref);
  const event = github.event as Record<string, Json> | undefined;
  const pr = event?.pull_request as Record<string, Json> | undefined;
  if (!m || !pr || String(pr.number) !== m[1]) return undefined;
  const sha = m[2] === "merge" ? pr.merge_commit_sha : (pr.head as Record<string, Json> | undefined)?.sha;
  return typeof sha === "string" && sha ? { sha } : undefined;
}

function emptyDir(dir: string): void {
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
}

/** actions/checkout: the job's repository at the event commit (or `ref`), from the local clone. */
export const checkout: Builtin = {
  inputs: {
    repository: "",
    ref: "",
    path: "",
    "fetch-depth": "1",
    "fetch-tags": "false",
    clean: "true",
    submodules: "false",
    lfs: "false",
    "sparse-checkout": "",
    "sparse-checkout-cone-mode": "true",
    "persist-credentials": "true",
    filter: "",
  },
  ignored: {
    token: "",
    "ssh-key": "ignored: Slipway checks out from the local repository",
    "ssh-known-hosts": "",
    "ssh-strict": "",
    "ssh-user": "",
    "show-progress": "",
    "set-safe-directory": "",
    "github-server-url": "",
  },
  async run(ctx) {
    const i = ctx.inputs;
    const github = ctx.job.contexts.github as Record<string, Json>;
    const repo = String(github.repository ?? "");
    if (i.repository && i.repository.toLowerCase() !== repo.toLowerCase())
      throw new StepError(
        `repository '${i.repository}' is not the repository this run is for (${repo}); Slipway runs offline and checks out only its own repository`,
      );
    if (i["persist-credentials"] !== "false")
      ctx.log(
        "persist-credentials: ignored; there are no credentials to persist (origin is the local repository)",
      );
    const ws = ctx.workspace;
    const target = resolve(ws, i.path);
    const rel = relative(ws, target);
    if (rel.startsWith("..") || isAbsolute(rel))
      throw new StepError(`path '${i.path}' is outside the workspace (${ws})`);
    // The host executor clones the user's repository for the job; with --bind the
    // workspace is the user's working tree itself.
    const source = repoRootOf(ctx.job);
    const bind = resolve(ws) === source;
    const { sha, branch, tag } = i.ref
      ? (pullRef(i.ref, github) ?? (await resolveRef(source, i.ref)))
      : {
          sha: String(github.sha),
          branch: String(github.ref ?? "").startsWith("refs/heads/")
            ? String(github.ref).slice(11)
            : undefined,
          tag: String(github.ref ?? "").startsWith("refs/tags/"),
        };
    if (bind && target === ws) {
      ctx.log(`--bind: the workspace is your working tree (${ws}); left as it is`);
      return { ref: branch ?? sha, commit: (await tryGit(ws, ["rev-parse", "HEAD"])) ?? sha };
    }
    // Like actions/checkout, a pull request's ref stays as refs/remotes/pull/N/merge.
    const checkedRef = i.ref || String(github.ref ?? "");
    const keep = /^refs\/pull\/\d+\/(merge|head)$/.test(checkedRef)
      ? checkedRef.replace(/^refs\//, "refs/remotes/")
      : undefined;
    const depth = Number(i["fetch-depth"]);
    if (!Number.isInteger(depth) || depth < 0)
      throw new StepError(`fetch-depth must be a whole number, got '${i["fetch-depth"]}'`);
    ctx.log(
      `Checking out ${branch ?? (tag || keep ? checkedRef : sha)} (${sha.slice(0, 12)}) from ${source} into ${target}${depth ? `, depth ${depth}` : ", full history"}`,
    );

    mkdirSync(target, { recursive: true });
    const fresh = !existsSync(join(target, ".git"));
    if (i.clean !== "false" || fresh) {
      // The runner deletes the folder when it cannot reuse it; a clean re-init is the same.
      if (target === ws || statSync(target).isDirectory()) emptyDir(target);
      await git(target, ["init", "-q"]);
      await git(target, ["remote", "add", "origin", source]);
    }
    if (depth === 0) {
      // Full history: borrow the objects of the local repository instead of copying them.
      const objects = join(source, ".git", "objects");
      if (existsSync(objects))
        writeFileSync(join(target, ".git", "objects", "info", "alternates"), `${objects}\n`);
      await git(target, [
        "fetch",
        "-q",
        "--tags",
        "--prune",
        "origin",
        "+refs/heads/*:refs/remotes/origin/*",
        "+refs/tags/*:refs/tags/*",
        // A pull request's merge commit is on no branch: fetched by its sha.
        ...(keep ? [`+${sha}:${keep}`] : []),
      ]);
    } else {
      const args = ["fetch", "-q", "--no-tags", `--depth=${depth}`];
      if (i.filter) args.push(`--filter=${i.filter}`);
      const refspecs = [`+${sha}:${keep ?? `refs/remotes/origin/${branch ?? "slipway-checkout"}`}`];
      if (i["fetch-tags"] === "true") refspecs.push("+refs/tags/*:refs/tags/*");
      await git(target, [...args, "origin", ...refspecs]);
      if (!branch && !keep) await git(target, ["update-ref", "-d", "refs/remotes/origin/slipway-checkout"]);
    }
    if (i["sparse-checkout"].trim()) {
      const patterns = i["sparse-checkout"]
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean);
      await git(target, [
        "sparse-checkout",
        "set",
        ...(i["sparse-checkout-cone-mode"] === "false" ? ["--no-cone"] : []),
        ...patterns,
      ]);
    }
    if (branch) await git(target, ["checkout", "-q", "-f", "-B", branch, sha]);
    else await git(target, ["checkout", "-q", "-f", "--detach", sha]);
    if (i.clean !== "false") await git(target, ["clean", "-ffdx", "-q"]);
    if (i.submodules === "true" || i.submodules === "recursive") {
      // Submodule URLs are resolved like git does; relative ones against the local repository.
      await git(target, ["submodule", "sync", ...(i.submodules === "recursive" ? ["--recursive"] : [])]);
      const args = ["-c", "protocol.file.allow=always", "submodule", "update", "--init", "--force"];
      if (depth > 0) args.push(`--depth=${depth}`);
      if (i.submodules === "recursive") args.push("--recursive");
      await git(target, args);
    }
    if (i.lfs === "true") {
      if (!(await tryGit(target, ["lfs", "version"])))
        throw new StepError("lfs: true needs git-lfs, which is not installed");
      await git(target, ["lfs", "pull"]);
    }
    return { ref: branch ? `refs/heads/${branch}` : i.ref || String(github.ref ?? ""), commit: sha };
  },
};
