// slipway-server.yml: every `slipway serve` option in one file, and as an environment variable
// (SLIPWAY_SERVE_<OPTION>, e.g. SLIPWAY_SERVE_LEASE_SECONDS). A flag wins over the variable,
// the variable over the file. Keys are the options' names (`lease-seconds: 30`).
import { readFileSync } from "node:fs";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";

export class ServerConfigError extends Error {}

export type OptionKind = "string" | "boolean";

/** The environment variable of an option. */
export const envName = (option: string) => `SLIPWAY_SERVE_${option.toUpperCase().replace(/-/g, "_")}`;

/** The file's settings by option name, checked against the options (file:line:col on errors). */
export function readServerConfig(
  path: string,
  options: Record<string, OptionKind>,
  /** Keys that are whole sections read by their owners (environments, users: src/cd/config.ts). */
  sections: readonly string[] = [],
): Record<string, string | boolean> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ServerConfigError(
      `${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message}`,
    );
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const at = (node: { range?: [number, number, number] | null } | null | undefined) => {
    const p = node?.range ? counter.linePos(node.range[0]) : undefined;
    return p ? `${path}:${p.line}:${p.col}` : path;
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const p = e.linePos?.[0];
    throw new ServerConfigError(
      `${path}${p ? `:${p.line}:${p.col}` : ""}: not valid YAML: ${e.message.split("\n")[0]}`,
    );
  }
  const out: Record<string, string | boolean> = {};
  if (doc.contents === null) return out;
  if (!isMap(doc.contents)) throw new ServerConfigError(`${at(doc.contents)}: expected a mapping of options`);
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (sections.includes(key)) continue;
    const kind = options[key];
    if (!kind)
      throw new ServerConfigError(
        `${at(pair.key as never)}: unknown option '${key}' (known: ${Object.keys(options).sort().join(", ")})`,
      );
    const v = isScalar(pair.value) ? pair.value.value : undefined;
    if (kind === "boolean") {
      if (typeof v !== "boolean")
        throw new ServerConfigError(`${at(pair.value as never)}: ${key}: expected true or false`);
      out[key] = v;
    } else {
      if (typeof v !== "string" && typeof v !== "number")
        throw new ServerConfigError(`${at(pair.value as never)}: ${key}: expected a value`);
      out[key] = String(v);
    }
  }
  return out;
}

/** Options not given as flags, from the environment, then the file. */
export function withDefaults<T extends Record<string, unknown>>(
  values: T,
  options: Record<string, OptionKind>,
  file: Record<string, string | boolean>,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const out: Record<string, unknown> = { ...values };
  for (const [name, kind] of Object.entries(options)) {
    if (out[name] !== undefined) continue;
    const e = env[envName(name)];
    if (e !== undefined && e !== "") out[name] = kind === "boolean" ? /^(1|true|yes)$/i.test(e) : e;
    else if (file[name] !== undefined) out[name] = file[name];
  }
  return out as T;
}
