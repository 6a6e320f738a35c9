import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** How a `run:` script is started: argv with {0} replaced by the script path, and its file extension. */
export interface ShellCommand {
  argv: string[];
  ext: string;
  /** Text the script gets before the user's, as GitHub adds for some shells. */
  prelude?: string;
}

const found = new Map<string, string>();

/** The executable `cmd` on `path`; remembered, since every step asks. */
export function which(cmd: string, path = process.env.PATH ?? ""): string | undefined {
  const key = `${cmd}\0${path}`;
  const known = found.get(key);
  if (known) return known;
  // Misses are not remembered: a setup step may install the command later in the job.
  const hit = search(cmd, path);
  if (hit) found.set(key, hit);
  return hit;
}

function search(cmd: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

function splitTemplate(template: string): string[] {
  // GitHub splits the custom shell template on whitespace; quotes are not special.
  return template.trim().split(/\s+/);
}

export type ShellResult = { ok: true; shell: ShellCommand } | { ok: false; error: string };

/**
 * GitHub's shells on Linux/macOS. An unspecified shell is `bash -e {0}` when bash
 * exists, else `sh -e {0}`; naming bash adds --noprofile --norc and pipefail.
 */
export function resolveShell(shell: string | undefined, path: string): ShellResult {
  const name = shell?.trim();
  if (!name) {
    if (which("bash", path)) return { ok: true, shell: { argv: ["bash", "-e", "{0}"], ext: ".sh" } };
    return { ok: true, shell: { argv: ["sh", "-e", "{0}"], ext: ".sh" } };
  }
  switch (name) {
    case "bash":
      return {
        ok: true,
        shell: { argv: ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"], ext: ".sh" },
      };
    case "sh":
      return { ok: true, shell: { argv: ["sh", "-e", "{0}"], ext: ".sh" } };
    case "python": {
      const py = which("python", path) ? "python" : which("python3", path) ? "python3" : undefined;
      if (!py) return { ok: false, error: "shell 'python' needs python or python3 on PATH" };
      return { ok: true, shell: { argv: [py, "{0}"], ext: ".py" } };
    }
    case "node":
      return { ok: true, shell: { argv: [process.execPath, "{0}"], ext: ".js" } };
    case "pwsh":
      if (!which("pwsh", path)) return { ok: false, error: "shell 'pwsh' is not installed on this machine" };
      return {
        ok: true,
        shell: {
          argv: ["pwsh", "-command", ". '{0}'"],
          ext: ".ps1",
          prelude: "$ErrorActionPreference = 'stop'\n",
        },
      };
    case "cmd":
    case "powershell":
      return { ok: false, error: `shell '${name}' is only available on Windows runners` };
  }
  if (!name.includes("{0}")) {
    return {
      ok: false,
      error: `unknown shell '${name}': use bash, sh, python, node, pwsh, or a command template containing {0}`,
    };
  }
  return { ok: true, shell: { argv: splitTemplate(name), ext: "" } };
}

export function shellArgv(shell: ShellCommand, scriptPath: string): string[] {
  return shell.argv.map((a) => a.replace("{0}", scriptPath));
}
