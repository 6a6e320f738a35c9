// `slipway publish`: argument parsing, output and exit codes only.
import { appendFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { credentialsFrom } from "../publish/context.js";
import { type PublishResult, publish } from "../publish/publish.js";
import { PUBLIC_REGISTRIES, PublishError, type Registries } from "../publish/types.js";
import { StatusLine } from "../report/status-line.js";
import { Masker } from "../run/mask.js";
import { EXIT, fail, parse, UsageError } from "./common.js";
import { readDotenv } from "./dotenv.js";
import { maskProcessOutput } from "./output-mask.js";

const USAGE = `usage: slipway publish [options]

Publishes the repository's packages in order: Cargo crates (by their path dependencies),
then npm packages (napi-style per-platform packages before their main package), then
Python distributions (dist/*.whl and *.tar.gz, else built with 'python3 -m build
--no-isolation'). Every package is checked before the first upload (contents, size,
forbidden files such as .env or private keys, README, LICENSE, metadata). A version the
registry already has with the same content is skipped, so a re-run after a failure goes on
where it stopped; one with other content stops the release. After each upload Slipway waits
until the registry serves it, then installs it in a clean temporary environment. At the end
it writes SHA256SUMS and an in-toto/SLSA provenance statement, signed with gpg when
--gpg-key is given.

  -C, --directory DIR     the repository (default: the current folder)
      --dry-run           build and check everything, publish nothing, write nothing
      --registry NAME=URL publish to URL instead of the public registry; NAME is
                          crates (a cargo index: sparse+http://…, file://… or a git URL;
                          it stands in for crates.io), npm, pypi (the upload URL) or
                          pypi-index (its simple index; default: URL + simple/)
      --secret-file F     KEY=VALUE file with the credentials: CARGO_REGISTRY_TOKEN,
                          NPM_TOKEN, TWINE_USERNAME/TWINE_PASSWORD or PYPI_TOKEN,
                          SLIPWAY_GPG_PASSPHRASE (else read from the environment)
      --gpg-key ID        sign SHA256SUMS and the provenance with this gpg key
      --out DIR           where the artifacts, SHA256SUMS and provenance go
                          (default: .slipway/publish)
      --wait-timeout S    how long to wait for a registry to serve a version (default 300)
      --max-size MIB      largest archive allowed (default: the registry's own limit)
      --json              print the result as JSON
  -h, --help              show this help

PyPI uploads go through twine when it is on PATH, else through Slipway's own upload (the
same legacy API). SLIPWAY_PYTHON names the python for builds and smoke installs (default
python3); SLIPWAY_GPG_KEY stands for --gpg-key.

In a workflow step (GITHUB_OUTPUT set) the step outputs are published, skipped and failed
(name@version, space-separated) and checksums (the SHA256SUMS file, when written).

Trusted publishing (OIDC) needs a forge that issues tokens; here credentials come from the
environment or --secret-file, and are masked in everything Slipway prints.

Exit codes: 0 everything published or already there, 1 a check failed or a registry refused,
2 usage error.`;

export async function main(args: string[], cwd = process.cwd()): Promise<number> {
  try {
    const { values } = parse(() => options(args));
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    const root = resolve(cwd, values.directory ?? ".");
    const registries = registriesFrom(values.registry ?? []);
    let env: Record<string, string | undefined> = process.env;
    if (values["secret-file"]) {
      const r = readDotenv(resolve(cwd, values["secret-file"]));
      if (!r.ok) throw new UsageError(r.error);
      env = { ...process.env, ...r.values };
    }
    const credentials = credentialsFrom(env);
    const gpgPassphrase = env.SLIPWAY_GPG_PASSPHRASE;
    const masker = new Masker();
    const { pypiUser: _user, ...secretCredentials } = credentials;
    const secrets = [...Object.values(secretCredentials), gpgPassphrase].filter((v): v is string => !!v);
    for (const s of secrets) masker.add(s);
    maskProcessOutput(secrets);
    const wait = number(values["wait-timeout"], "--wait-timeout", 300);
    const maxSize =
      values["max-size"] === undefined ? undefined : number(values["max-size"], "--max-size", 0) * 2 ** 20;
    const gpgKey = values["gpg-key"] ?? env.SLIPWAY_GPG_KEY;
    // On a terminal, what runs now stays on a line under the finished ones, as run's view does.
    const live = process.stdout.isTTY && !values.json ? new StatusLine(process.stdout) : undefined;
    const result = await publish({
      root,
      dryRun: !!values["dry-run"],
      registries,
      credentials,
      masker,
      waitMs: wait * 1000,
      out: resolve(root, values.out ?? ".slipway/publish"),
      ...(gpgKey ? { gpgKey } : {}),
      ...(gpgPassphrase ? { gpgPassphrase } : {}),
      ...(maxSize !== undefined ? { maxSize } : {}),
      smokeTries: 3,
      log: (line) => {
        if (values.json) return;
        if (live) live.log(masker.mask(line));
        else console.log(masker.mask(line));
      },
      ...(live ? { status: (text: string) => live.set(masker.mask(text)) } : {}),
    }).finally(() => live?.end());
    stepOutputs(result);
    if (values.json) console.log(masker.mask(JSON.stringify(result, null, 2)));
    else if (!result.ok)
      console.error(`slipway publish: failed; fix it and run again: what is published stays`);
    return result.ok ? EXIT.ok : EXIT.failure;
  } catch (e) {
    if (e instanceof PublishError) {
      console.error(`slipway publish: ${e.message}`);
      return EXIT.failure;
    }
    return fail(e, "publish");
  }
}

/**
 * Inside a workflow step: `published`, `skipped` and `failed` (name@version, space-separated)
 * and `checksums` (the SHA256SUMS file) as step outputs, for a release job's later steps.
 */
function stepOutputs(r: PublishResult): void {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) return;
  const list = (status: string) =>
    r.packages
      .filter((p) => p.status === status)
      .map((p) => `${p.name}@${p.version}`)
      .join(" ");
  const lines = [`published=${list("published")}`, `skipped=${list("skipped")}`, `failed=${list("failed")}`];
  if (r.out) lines.push(`checksums=${join(r.out, "SHA256SUMS")}`);
  appendFileSync(file, `${lines.join("\n")}\n`);
}

/** --registry NAME=URL flags over the public registries. */
export function registriesFrom(flags: string[]): Registries {
  const r: Registries = { ...PUBLIC_REGISTRIES };
  let index: string | undefined;
  for (const f of flags) {
    const m = /^([a-z-]+)=(.+)$/.exec(f);
    if (!m) throw new UsageError(`--registry ${f}: expected NAME=URL`);
    const [, name, url] = m as unknown as [string, string, string];
    try {
      new URL(url.replace(/^sparse\+/, ""));
    } catch {
      throw new UsageError(`--registry ${f}: ${url} is not a URL`);
    }
    if (name === "crates" || name === "cargo") r.crates = url;
    else if (name === "npm") r.npm = url;
    else if (name === "pypi") {
      r.pypi = url;
      if (!index) r.pypiIndex = new URL("simple/", url.endsWith("/") ? url : `${url}/`).toString();
    } else if (name === "pypi-index") r.pypiIndex = index = url;
    else
      throw new UsageError(`--registry ${f}: unknown registry '${name}' (crates, npm, pypi or pypi-index)`);
  }
  return r;
}

function number(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`${flag} must be a number, not '${v}'`);
  return Number(v);
}

function options(args: string[]) {
  return parseArgs({
    args,
    options: {
      directory: { type: "string", short: "C" },
      "dry-run": { type: "boolean" },
      registry: { type: "string", multiple: true },
      "secret-file": { type: "string" },
      "gpg-key": { type: "string" },
      out: { type: "string" },
      "wait-timeout": { type: "string" },
      "max-size": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
