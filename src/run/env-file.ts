/**
 * Parses the files behind GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE: `name=value` lines
 * and the multi-line `name<<DELIM` ... `DELIM` form.
 */
export type EnvFileResult = { ok: true; values: [string, string][] } | { ok: false; error: string };

export function parseEnvFile(text: string): EnvFileResult {
  const lines = text.split(/\r?\n/);
  const values: [string, string][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const eq = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const name = line.slice(0, heredoc);
      const delim = line.slice(heredoc + 2);
      if (!delim) return { ok: false, error: `invalid multi-line value for '${name}': empty delimiter` };
      const body: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delim) {
          closed = true;
          break;
        }
        body.push(lines[i]!);
      }
      if (!closed) return { ok: false, error: `matching delimiter '${delim}' not found for '${name}'` };
      values.push([name, body.join("\n")]);
    } else if (eq > 0) {
      values.push([line.slice(0, eq), line.slice(eq + 1)]);
    } else {
      return { ok: false, error: `invalid line '${line}': expected name=value or name<<DELIMITER` };
    }
  }
  return { ok: true, values };
}

/** GITHUB_PATH: one directory a line; later lines go first, as on GitHub. */
export function parsePathFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Names GitHub's runner refuses from GITHUB_ENV and ::set-env:: (compared without case):
 * a --require in NODE_OPTIONS would run code in every later node process of the job.
 * actions/runner keeps the same one-name list in FileCommandManager and ActionCommandManager.
 */
const BLOCKED_ENV = ["NODE_OPTIONS"];

/** The blocked name `name` matches, if any. */
export function blockedEnvName(name: string): string | undefined {
  return BLOCKED_ENV.find((b) => b.toLowerCase() === name.toLowerCase());
}
