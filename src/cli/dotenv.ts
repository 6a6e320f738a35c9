import { readFileSync } from "node:fs";

/** KEY=VALUE files (--secret-file, --var-file): comments, quotes, multi-line double-quoted values. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if (v.startsWith('"')) {
      let body = v.slice(1);
      while (!/(^|[^\\])"\s*(#.*)?$/.test(body) && i + 1 < lines.length) body += `\n${lines[++i]}`;
      v = body
        .replace(/"\s*(#.*)?$/, "")
        .replace(/\\n/g, "\n")
        .replace(/\\"/g, '"');
    } else if (v.startsWith("'")) {
      v = v.slice(1).replace(/'\s*(#.*)?$/, "");
    } else {
      v = v.replace(/\s+#.*$/, "");
    }
    out[m[1]!] = v;
  }
  return out;
}

export function readDotenv(
  path: string,
): { ok: true; values: Record<string, string> } | { ok: false; error: string } {
  try {
    // /dev/fd/N is read from the descriptor: `slipway serve` hands a run its secrets on a
    // socket pair (fd 3), which cannot be opened by name.
    const fd = /^\/dev\/fd\/(\d+)$/.exec(path)?.[1];
    return { ok: true, values: parseDotenv(readFileSync(fd ? Number(fd) : path, "utf8")) };
  } catch (e) {
    return {
      ok: false,
      error: `${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message}`,
    };
  }
}

/** k=v pairs from repeated flags. */
export function pairs(
  list: string[] | undefined,
  flag: string,
): { ok: true; values: Record<string, string> } | { ok: false; error: string } {
  const values: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) return { ok: false, error: `${flag} expects NAME=VALUE, got '${item}'` };
    values[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return { ok: true, values };
}
