import { basename } from "node:path";
import { run } from "./exec.js";

export interface Subject {
  name: string;
  sha256: string;
}

/** The SHA256SUMS file `sha256sum -c` reads: "<hex>  <name>" per line, sorted by name. */
export function sha256sums(subjects: Subject[]): string {
  return [...subjects]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => `${s.sha256}  ${s.name}\n`)
    .join("");
}

export interface ProvenanceFacts {
  subjects: Subject[];
  /** The repository's remote URL (or path) and commit, when it is a git repository. */
  source?: { uri: string; commit: string };
  registries: Record<string, string>;
  packages: { ecosystem: string; name: string; version: string }[];
  startedOn: Date;
  finishedOn: Date;
  invocationId: string;
}

/**
 * An in-toto Statement (v1) with a SLSA provenance (v1) predicate for the artifacts: the
 * offline counterpart of what the seeds get from Sigstore; a detached OpenPGP signature of
 * this file stands where Sigstore's would.
 */
export function provenance(f: ProvenanceFacts): object {
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: f.subjects.map((s) => ({ name: s.name, digest: { sha256: s.sha256 } })),
    predicateType: "https://slsa.dev/provenance/v1",
    predicate: {
      buildDefinition: {
        buildType: "https://github.com/slipway-ci/slipway/publish/v1",
        externalParameters: { registries: f.registries, packages: f.packages },
        internalParameters: {},
        resolvedDependencies: f.source
          ? [{ uri: `git+${f.source.uri}`, digest: { gitCommit: f.source.commit } }]
          : [],
      },
      runDetails: {
        builder: { id: "https://github.com/slipway-ci/slipway/publish" },
        metadata: {
          invocationId: f.invocationId,
          startedOn: f.startedOn.toISOString(),
          finishedOn: f.finishedOn.toISOString(),
        },
      },
    },
  };
}

/**
 * A detached, ASCII-armoured OpenPGP signature (`file.asc`) made by gpg with `key`, which
 * `gpg --verify file.asc file` checks. A passphrase, when the key has one, goes in on a pipe.
 */
export async function gpgSign(
  file: string,
  key: string,
  cwd: string,
  passphrase?: string,
): Promise<string | undefined> {
  const args = ["--batch", "--yes", "--armor", "--local-user", key, "--output", `${file}.asc`];
  if (passphrase) args.push("--pinentry-mode", "loopback", "--passphrase-fd", "0");
  const r = await runWithInput("gpg", [...args, "--detach-sign", file], cwd, passphrase ?? "");
  return r.code === 0 ? undefined : `gpg could not sign ${basename(file)}: ${r.stderr.trim()}`;
}

async function runWithInput(cmd: string, args: string[], cwd: string, input: string) {
  const { spawn } = await import("node:child_process");
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", (e) => resolve({ code: 127, stderr: e.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, stderr }));
    // gpg without a passphrase to read may exit before its stdin is written: EPIPE is no error here.
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

/** Whether gpg is installed. */
export async function haveGpg(cwd: string): Promise<boolean> {
  return (await run("gpg", ["--version"], { cwd })).code === 0;
}
