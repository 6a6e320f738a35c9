// Publishing actions that need GitHub's OIDC token (trusted publishing, Sigstore), run locally
// for what they can do without it: upload with a token, hand a token on, write an unsigned
// provenance statement. Each says in the log what it does not do and why.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { glob } from "tinyglobby";
import type { Json } from "../../../expr/index.js";
import { readArchive } from "../../../publish/archive.js";
import type { Context } from "../../../publish/context.js";
import { coreMetadata, upload } from "../../../publish/pypi.js";
import { Masker } from "../../mask.js";
import { storeArtifact } from "../artifact-store.js";
import { runDirOf } from "../paths.js";
import { type Builtin, type BuiltinContext, StepError } from "../types.js";

const NO_OIDC = "slipway run has no GitHub OIDC token";

const secretOf = (ctx: BuiltinContext, name: string): string => {
  const s = (ctx.job.contexts.secrets ?? {}) as Record<string, Json>;
  return String(ctx.processEnv()[name] || s[name] || "");
};

/**
 * rust-lang/crates-io-auth-action: on GitHub it trades the job's OIDC token for a short-lived
 * crates.io token. Here it hands on CARGO_REGISTRY_TOKEN (the step's env, or the secret of that
 * name given with --secret), and fails saying so when there is none.
 */
export const cratesIoAuth: Builtin = {
  inputs: { url: "https://crates.io" },
  async run(ctx) {
    const token = secretOf(ctx, "CARGO_REGISTRY_TOKEN");
    if (!token)
      throw new StepError(
        `trusted publishing to ${ctx.inputs.url} needs GitHub's OIDC token, and ${NO_OIDC}: give a token with --secret CARGO_REGISTRY_TOKEN=..., or publish to a staging registry`,
      );
    ctx.job.masker.add(token);
    ctx.log(`${NO_OIDC}: the token is CARGO_REGISTRY_TOKEN, not one from trusted publishing`);
    return { token };
  },
};

const bool = (v: string | undefined) => (v ?? "").trim().toLowerCase() === "true";

/** An input by its name, or by the older underscore spelling the action still accepts. */
const input = (ctx: BuiltinContext, name: string) =>
  ctx.inputs[name] || ctx.inputs[name.replaceAll("-", "_")] || "";

/**
 * pypa/gh-action-pypi-publish (a Docker action on GitHub): uploads the distributions in
 * packages-dir to repository-url with user and password, through Slipway's own upload
 * (PyPI's legacy API, as twine speaks it). No password: trusted publishing, which needs OIDC.
 */
export const pypiPublish: Builtin = {
  inputs: {
    user: "__token__",
    password: "",
    "repository-url": "https://upload.pypi.org/legacy/",
    "packages-dir": "dist",
    "verify-metadata": "true",
    "skip-existing": "false",
    "print-hash": "false",
    attestations: "true",
    verbose: "false",
    repository_url: "",
    packages_dir: "",
    verify_metadata: "",
    skip_existing: "",
  },
  async run(ctx) {
    const url = input(ctx, "repository-url");
    let password = ctx.inputs.password;
    if (!password) {
      // Trusted publishing on GitHub; here a secret stands in for it.
      password = secretOf(ctx, "PYPI_TOKEN") || secretOf(ctx, "TWINE_PASSWORD");
      if (!password)
        throw new StepError(
          `trusted publishing to ${url} needs GitHub's OIDC token, and ${NO_OIDC}: give the job a secret PYPI_TOKEN (or the password input)`,
        );
      ctx.log(
        `${NO_OIDC}: uploading as ${ctx.inputs.user || "__token__"} with the secret PYPI_TOKEN instead of trusted publishing`,
      );
    }
    ctx.job.masker.add(password);
    if (bool(ctx.inputs.attestations))
      ctx.log(
        `attestations: none made (${NO_OIDC} for Sigstore; PyPI makes them with trusted publishing only)`,
      );
    const dir = resolve(ctx.workspace, input(ctx, "packages-dir"));
    const files = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => /\.(whl|tar\.gz|zip)$/.test(f))
          .sort()
      : [];
    if (!files.length)
      throw new StepError(`no distributions (.whl, .tar.gz) in ${relative(ctx.workspace, dir) || "."}`);
    const pctx: Context = {
      root: ctx.workspace,
      tmp: ctx.job.space.temp,
      registries: { npm: "", pypi: url, pypiIndex: "" },
      credentials: { pypiUser: ctx.inputs.user || "__token__", pypiPassword: password },
      masker: new Masker(),
      waitMs: 0,
      log: ctx.log,
    };
    for (const f of files) {
      const file = join(dir, f);
      const bytes = readFileSync(file);
      const entries = readArchive(file, bytes);
      if (bool(input(ctx, "verify-metadata")) && !coreMetadata(entries)?.fields.get("name"))
        throw new StepError(`${f}: no core metadata (PKG-INFO or METADATA) with a Name`);
      if (bool(ctx.inputs["print-hash"]))
        ctx.log(`${f} sha256 ${createHash("sha256").update(bytes).digest("hex")}`);
      const r = await upload(file, entries, pctx);
      if (r.status >= 200 && r.status < 300) {
        ctx.log(`Uploaded ${f} to ${url}`);
        continue;
      }
      // PyPI answers 400 "File already exists", pypiserver and others 409.
      const exists = r.status === 409 || (r.status === 400 && /already exists/i.test(r.text));
      if (exists && bool(input(ctx, "skip-existing"))) {
        ctx.log(`Skipped ${f}: ${url} already has it`);
        continue;
      }
      throw new StepError(`${url} refused ${f}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    }
    return {};
  },
};

/**
 * actions/attest-build-provenance: on GitHub a SLSA provenance statement signed through
 * Sigstore and stored as an attestation. Here the same in-toto statement for the subjects,
 * unsigned (Sigstore and the attestations API need GitHub's OIDC token), kept as the run's
 * artifact 'provenance'; bundle-path names the file.
 */
export const attestBuildProvenance: Builtin = {
  inputs: { "subject-path": "", "subject-digest": "", "subject-name": "", "push-to-registry": "false" },
  ignored: { "github-token": "", "show-summary": "" },
  async run(ctx) {
    const subjects = await subjectsOf(ctx);
    if (!subjects.length)
      throw new StepError("no subject: give subject-path or subject-digest and subject-name");
    const github = ctx.job.contexts.github as Record<string, Json>;
    const s = (k: string) => String(github[k] ?? "");
    const statement = {
      _type: "https://in-toto.io/Statement/v1",
      subject: subjects,
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: {
        buildDefinition: {
          buildType: "https://actions.github.io/buildtypes/workflow/v1",
          externalParameters: {
            workflow: {
              ref: s("ref"),
              repository: s("repository"),
              path: String(ctx.processEnv().SLIPWAY_WORKFLOW_FILE ?? ""),
            },
          },
          internalParameters: { github: { event_name: s("event_name"), runner_environment: "slipway-run" } },
          resolvedDependencies: [
            { uri: `git+${s("repository")}@${s("ref")}`, digest: { gitCommit: s("sha") } },
          ],
        },
        runDetails: {
          builder: { id: "slipway run (local, unsigned)" },
          metadata: { invocationId: `${s("run_id")}/${s("run_attempt")}` },
        },
      },
    };
    const out = join(ctx.job.space.temp, "provenance");
    mkdirSync(out, { recursive: true });
    const file = join(out, `${ctx.job.key.replace(/[^\w.-]/g, "_")}.intoto.jsonl`);
    writeFileSync(file, `${JSON.stringify(statement)}\n`);
    const r = storeArtifact(
      runDirOf(ctx.job),
      `provenance-${ctx.job.key.replace(/[^\w.-]/g, "_")}`,
      out,
      [file],
      {
        overwrite: true,
        retentionDays: 90,
        job: ctx.job.key,
        mask: (t) => ctx.job.masker.mask(t),
      },
    );
    if (!r.ok) throw new StepError(r.error);
    ctx.job.emit({
      type: "artifact",
      job: ctx.job.key,
      name: r.meta.name,
      files: r.meta.files,
      size: r.meta.size,
      path: `artifacts/${r.meta.name}`,
    });
    ctx.log(
      `Provenance for ${subjects.length} subject(s) written UNSIGNED to artifact '${r.meta.name}': ${NO_OIDC}, so Sigstore cannot sign it and no attestation is stored on GitHub`,
    );
    if (bool(ctx.inputs["push-to-registry"]))
      ctx.log("push-to-registry: not pushed (nothing signed to push)");
    return { "bundle-path": file };
  },
};

async function subjectsOf(ctx: BuiltinContext): Promise<{ name: string; digest: { sha256: string } }[]> {
  const i = ctx.inputs;
  if (i["subject-digest"]) {
    const m = /^sha256:([0-9a-f]{64})$/.exec(i["subject-digest"].trim());
    if (!m)
      throw new StepError(`subject-digest must be sha256:<64 hex digits>, got '${i["subject-digest"]}'`);
    if (!i["subject-name"]) throw new StepError("subject-name is required with subject-digest");
    return [{ name: i["subject-name"], digest: { sha256: m[1]! } }];
  }
  const patterns = i["subject-path"]
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter(Boolean);
  const files = (await glob(patterns, { cwd: ctx.workspace, absolute: true, dot: true, onlyFiles: true }))
    .filter((f) => statSync(f).isFile())
    .sort();
  return files.map((f) => ({
    name: basename(f),
    digest: { sha256: createHash("sha256").update(readFileSync(f)).digest("hex") },
  }));
}
