/** node:sqlite's module type, without loading it (a type-only import costs nothing at run time). */
export type Sqlite = typeof import("node:sqlite");

let loaded: Sqlite | undefined;

/**
 * node:sqlite, loaded on first use so commands that never touch the database never load it.
 * Node (22, and 24 while SQLite is experimental there) prints "ExperimentalWarning: SQLite is
 * an experimental feature" on loading it: that one warning, and no other, is dropped, so
 * Slipway's own output stays clean; every other warning still reaches the default handler.
 */
export function sqlite(): Sqlite {
  if (loaded) return loaded;
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === "string" ? warning : warning.message;
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = typeof warning === "string" ? type : warning.name;
    if (name === "ExperimentalWarning" && /^SQLite is an experimental feature/.test(text)) return;
    return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = process.getBuiltinModule("node:sqlite") as Sqlite;
  } finally {
    process.emitWarning = emit;
  }
  return loaded;
}
