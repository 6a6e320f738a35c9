import { randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { readGit } from "../plan/git.js";
import { checkTag, parseTag } from "../release/check-tag.js";
import { repoRoot, tagsAtHead } from "../release/git.js";
import type { Masker } from "../run/mask.js";
import type { Adapter, Outcome, Prepared } from "./adapter.js";
import { cargo } from "./cargo.js";
import { checkPackage } from "./checks.js";
import type { Context, Credentials } from "./context.js";
import { discover } from "./discover.js";
import { poll, run } from "./exec.js";
import { npm } from "./npm.js";
import { pypi } from "./pypi.js";
import { gpgSign, haveGpg, provenance, sha256sums } from "./sign.js";
import { ECOSYSTEM_ORDER, type Ecosystem, PublishError, type Registries } from "./types.js";

const ADAPTERS: Record<Ecosystem, Adapter> = { crates: cargo, npm, pypi };

export type PackageStatus = "published" | "skipped" | "would-publish" | "failed" | "not-reached";

export interface PackageResult {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  manifest: string;
  status: PackageStatus;
  note?: string;
  artifacts: { name: string; sha256: string; size: number }[];
  /** Milliseconds of each phase, for the benchmark. */
  ms: { publish?: number; wait?: number; smoke?: number };
}

export interface PublishOptions {
  root: string;
  dryRun: boolean;
  registries: Registries;
  credentials: Credentials;
  masker: Masker;
  waitMs: number;
  /** Where SHA256SUMS, the provenance and the signatures go (not in a dry run). */
  out: string;
  gpgKey?: string;
  gpgPassphrase?: string;
  maxSize?: number;
  smokeTries: number;
  log(line: string): void;
  /** What is running now, for a live status line (empty: nothing). */
  status?(text: string): void;
}

export interface PublishResult {
  ok: boolean;
  packages: PackageResult[];
  /** The folder with SHA256SUMS, provenance and signatures, when written. */
  out?: string;
  signed: boolean;
  problems: string[];
  /**
   * Milliseconds: finding the packages, building their archives (and, during that, asking
   * the registries: the longest look-up), writing the checksums and provenance.
   */
  ms: { discover: number; prepare: number; presence: number; attest: number; total: number };
}

/**
 * Publishes every package of the repository in order (crates → npm → PyPI, each by its
 * dependencies), each only once: a version the registry already has with the same content
 * is skipped, so a re-run after a failure continues where the failure stopped it.
 */
export async function publish(o: PublishOptions): Promise<PublishResult> {
  const t0 = performance.now();
  const started = new Date();
  const tmp = mkdtempSync(join(tmpdir(), "slipway-publish-"));
  const ctx: Context = {
    root: o.root,
    tmp,
    registries: o.registries,
    credentials: o.credentials,
    masker: o.masker,
    waitMs: o.waitMs,
    log: o.log,
  };
  const results: PackageResult[] = [];
  const problems: string[] = [];
  /** Smoke installs running while later packages are published. */
  const smokes = new Map<Prepared, Promise<Outcome>>();
  try {
    tagGuard(o.root);
    o.status?.("finding packages");
    const pkgs = await discover(o.root);
    const discoverMs = performance.now() - t0;
    if (pkgs.length === 0)
      throw new PublishError("nothing to publish: no Cargo.toml, package.json or pyproject.toml found");
    o.status?.(`building archives of ${pkgs.length} packages and asking the registries what they have`);
    // Building archives changes no registry: the three ecosystems build at once, and each
    // asks its registry what it already has as soon as its own archives are built (the
    // Python build is the long one; the other look-ups happen during it). A look-up that
    // fails is only an error once the checks have passed.
    const lookedUp = (
      await Promise.all(
        ECOSYSTEM_ORDER.map(async (eco) => {
          const mine = pkgs.filter((p) => p.ecosystem === eco);
          if (!mine.length) return [];
          const built = await ADAPTERS[eco].prepare(mine, ctx);
          return Promise.all(
            built.map(async (p) => {
              const t = performance.now();
              const presence = await ADAPTERS[eco].presence(p, ctx).catch((e: unknown) => e as Error);
              return { p, presence, ms: performance.now() - t };
            }),
          );
        }),
      )
    ).flat();
    const prepared = lookedUp.map((l) => l.p);
    const presenceMs = Math.max(0, ...lookedUp.map((l) => l.ms));
    const prepareMs = performance.now() - t0 - discoverMs;
    for (const p of prepared) {
      results.push({
        ecosystem: p.pkg.ecosystem,
        name: p.pkg.name,
        version: p.pkg.version,
        manifest: relative(o.root, p.pkg.manifest),
        status: "not-reached",
        artifacts: p.artifacts.map((a) => ({ name: basename(a.file), sha256: a.sha256, size: a.size })),
        ms: {},
      });
    }

    // Every package is checked before the first upload: a bad one stops the release whole.
    prepared.forEach((p, i) => {
      const found = checkPackage(p, o.maxSize);
      for (const f of found) problems.push(`${results[i]!.manifest}: ${f}`);
      if (found.length) results[i]!.status = "failed";
    });
    for (const [i, p] of prepared.entries())
      o.log(
        `${label(results[i]!)}  ${p.artifacts.map((a) => `${a.files.length} files, ${kib(a.size)}`).join("; ")}`,
      );
    if (problems.length) {
      for (const pr of problems) o.log(`  ✗ ${pr}`);
      return finish(false);
    }

    const presences = lookedUp.map((l) => {
      if (l.presence instanceof Error)
        throw new PublishError(
          `cannot ask the ${l.p.pkg.ecosystem} registry about ${l.p.pkg.name}: ${errorText(l.presence)}`,
        );
      return l.presence;
    });
    // A package that one published in this run depends on is installed by that one's smoke
    // install (a crate built with its dependant, a platform package with its main package).
    const coveredBy = new Map<Prepared, Prepared>();
    for (const [j, q] of prepared.entries())
      if (presences[j] === "absent")
        for (const p of prepared)
          if (p.pkg.ecosystem === q.pkg.ecosystem && q.pkg.deps.includes(p.pkg.name)) coveredBy.set(p, q);

    const smokeFailed = async (p: Prepared): Promise<string | undefined> => {
      const smoke = await smokes.get(p);
      return smoke && !smoke.ok
        ? `published, but the smoke install failed:\n${indent(smoke.message)}`
        : undefined;
    };
    for (const [i, p] of prepared.entries()) {
      const r = results[i]!;
      const a = ADAPTERS[p.pkg.ecosystem];
      const presence = presences[i]!;
      for (const [j, d] of prepared.entries()) {
        if (d.pkg.ecosystem !== p.pkg.ecosystem || !p.pkg.deps.includes(d.pkg.name)) continue;
        const failed = await smokeFailed(d);
        if (failed) return stop(results[j]!, failed);
      }
      if (presence === "same") {
        r.status = "skipped";
        r.note = `${p.pkg.version} is already published with the same content`;
        o.log(`${label(r)}  skipped: ${r.note}`);
        continue;
      }
      if (presence === "different")
        return stop(r, `${p.pkg.version} is already published with different content: bump the version`);
      if (o.dryRun) {
        r.status = "would-publish";
        o.log(`${label(r)}  would publish`);
        continue;
      }
      let t = performance.now();
      o.status?.(`${label(r)}: publishing`);
      const out: Outcome = await a
        .publish(p, ctx)
        .catch((e: Error) => ({ ok: false, message: errorText(e) }));
      r.ms.publish = performance.now() - t;
      if (!out.ok) {
        // Someone (an earlier run, a parallel job) got there first: fine if it is the same.
        const again = out.alreadyExists ? await a.presence(p, ctx).catch(() => "absent" as const) : "absent";
        if (again === "same") {
          r.status = "skipped";
          r.note = `${p.pkg.version} is already published with the same content`;
          o.log(`${label(r)}  skipped: ${r.note}`);
          continue;
        }
        return stop(r, `the registry refused it:\n${indent(out.message)}`);
      }
      t = performance.now();
      o.status?.(`${label(r)}: waiting until the registry serves it`);
      // A registry that fails to answer now may answer later: "not yet", until the timeout.
      const served = await poll(
        async () => ((await a.served(p, ctx).catch(() => false)) ? true : undefined),
        o.waitMs,
      );
      r.ms.wait = performance.now() - t;
      if (!served) return stop(r, `published, but the registry did not serve it within ${o.waitMs / 1000} s`);
      r.status = "published";
      o.log(`${label(r)}  published (${secs(r.ms.publish)}), served (${secs(r.ms.wait)})`);
      // The smoke install runs while the next packages are published; a package that depends
      // on this one waits for it (a dependant built on a broken release would only hide it).
      const by = coveredBy.get(p);
      const t2 = performance.now();
      smokes.set(
        p,
        (by
          ? Promise.resolve<Outcome>({ ok: true, note: `installed by the smoke install of ${by.pkg.name}` })
          : smokeWithRetries(a, p, ctx, o.smokeTries)
        ).then((smoke) => {
          r.ms.smoke = performance.now() - t2;
          if (smoke.ok) {
            if (smoke.note) r.note = `smoke install: ${smoke.note}`;
            o.log(
              `${label(r)}  ${by ? smoke.note : `smoke install ok (${secs(r.ms.smoke)})${smoke.note ? `; ${smoke.note}` : ""}`}`,
            );
          }
          return smoke;
        }),
      );
    }
    for (const [i, p] of prepared.entries()) {
      const failed = await smokeFailed(p);
      if (failed) return stop(results[i]!, failed);
    }
    const result = finish(true);
    const t1 = performance.now();
    o.status?.("writing SHA256SUMS and the provenance");
    if (!o.dryRun) await writeAttestations(prepared, result, o, started);
    Object.assign(result.ms, {
      discover: discoverMs,
      prepare: prepareMs,
      presence: presenceMs,
      attest: performance.now() - t1,
      total: performance.now() - t0,
    });
    return result;
  } finally {
    // A run stopped early still lets the smoke installs it started end before their folder goes.
    await Promise.allSettled(smokes.values());
    o.status?.("");
    rmSync(tmp, { recursive: true, force: true });
  }

  function stop(r: PackageResult, why: string): PublishResult {
    r.status = "failed";
    r.note = why;
    problems.push(`${r.manifest}: ${r.name} ${r.version}: ${why}`);
    o.log(`${label(r)}  ✗ ${why}`);
    return finish(false);
  }

  function finish(ok: boolean): PublishResult {
    return {
      ok,
      packages: results,
      signed: false,
      problems,
      ms: { discover: 0, prepare: 0, presence: 0, attest: 0, total: performance.now() - t0 },
    };
  }
}

/**
 * Publishing from a release tag (HEAD's, or the workflow's GITHUB_REF_NAME): every manifest
 * must carry the tag's version, or nothing is published — the seeds' tag/version guard,
 * `slipway release check-tag` for each tag.
 */
function tagGuard(root: string): void {
  const repo = repoRoot(root);
  if (!repo) return;
  const env = process.env;
  const tags =
    env.GITHUB_REF_TYPE === "tag" && env.GITHUB_REF_NAME
      ? [env.GITHUB_REF_NAME]
      : tagsAtHead(repo).filter((t) => parseTag(t));
  const wrong: string[] = [];
  for (const tag of tags) {
    const r = checkTag(root, tag, env);
    if (r.code !== 0) wrong.push(...r.lines);
  }
  if (wrong.length)
    throw new PublishError(`the release tag and the manifests disagree:\n${indent(wrong.join("\n"))}`);
}

async function smokeWithRetries(a: Adapter, p: Prepared, ctx: Context, tries: number): Promise<Outcome> {
  let last: Outcome = { ok: false, message: "not tried" };
  for (let n = 1; n <= tries; n++) {
    last = await a.smoke(p, ctx).catch((e: Error) => ({ ok: false as const, message: errorText(e) }));
    if (last.ok) return last;
    // A registry's CDN or search index can lag behind its API: wait and try again.
    if (n < tries) await new Promise((r) => setTimeout(r, 500 * 2 ** n));
  }
  return last;
}

/** SHA256SUMS over every artifact, the provenance statement, and their signatures. */
async function writeAttestations(
  prepared: Prepared[],
  result: PublishResult,
  o: PublishOptions,
  started: Date,
) {
  mkdirSync(o.out, { recursive: true });
  const subjects = prepared.flatMap((p) =>
    p.artifacts.map((a) => {
      copyFileSync(a.file, join(o.out, basename(a.file)));
      return { name: basename(a.file), sha256: a.sha256 };
    }),
  );
  writeFileSync(join(o.out, "SHA256SUMS"), sha256sums(subjects));
  const git = readGit(o.root);
  let source: { uri: string; commit: string } | undefined;
  if (git.ok) {
    const remote = await run("git", ["remote", "get-url", "origin"], { cwd: o.root });
    source = { uri: remote.code === 0 ? remote.stdout.trim() : git.facts.root, commit: git.facts.sha };
  }
  const statement = provenance({
    subjects,
    ...(source ? { source } : {}),
    registries: {
      crates: o.registries.crates ?? "sparse+https://index.crates.io/",
      npm: o.registries.npm,
      pypi: o.registries.pypi,
    },
    packages: result.packages.map((p) => ({ ecosystem: p.ecosystem, name: p.name, version: p.version })),
    startedOn: started,
    finishedOn: new Date(),
    invocationId: randomUUID(),
  });
  writeFileSync(join(o.out, "provenance.intoto.json"), `${JSON.stringify(statement, null, 2)}\n`);
  result.out = o.out;
  if (!o.gpgKey) {
    o.log(`checksums and provenance in ${relative(o.root, o.out) || "."} (not signed: no --gpg-key)`);
    return;
  }
  if (!(await haveGpg(o.root))) throw new PublishError("--gpg-key given, but gpg is not installed");
  for (const f of ["SHA256SUMS", "provenance.intoto.json"]) {
    const err = await gpgSign(join(o.out, f), o.gpgKey, o.root, o.gpgPassphrase);
    if (err) throw new PublishError(o.masker.mask(err));
  }
  result.signed = true;
  o.log(`checksums, provenance and their signatures in ${relative(o.root, o.out) || "."}`);
}

/** fetch's "fetch failed" says little: the cause (ECONNREFUSED, ...) says why. */
function errorText(e: Error): string {
  const cause = (e as { cause?: { message?: string } }).cause?.message;
  return cause ? `${e.message}: ${cause}` : e.message;
}

function label(r: PackageResult): string {
  return `${r.ecosystem.padEnd(6)} ${r.name} ${r.version}`;
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

function kib(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}

function secs(ms: number | undefined): string {
  return `${((ms ?? 0) / 1000).toFixed(1)} s`;
}
