/**
 * The one query layer under the run history: SQL written once, in the portable subset both
 * back ends read the same way, with `?` placeholders (or `?1`, `?2` to use one twice). SQLite
 * (node:sqlite, embedded, the default) runs it as written; PostgreSQL gets `$1`, `$2`.
 * Where the two differ (a JSON array's elements, an id column), `dialect` says which.
 *
 * Every call is async because PostgreSQL is a network; SQLite answers at once.
 */
export type Param = string | number | null;

export type Dialect = "sqlite" | "postgres";

/** A statement whose answer is not needed: one of a batch. */
export interface Statement {
  sql: string;
  params: readonly Param[];
}

export interface Db {
  readonly dialect: Dialect;
  /** Where the history is, for messages: a file, or a URL without its password. */
  readonly where: string;
  /**
   * Whose runs: one SQLite file is one repository's history (''); a PostgreSQL database can
   * hold many, each the machine and folder it ran in (run numbers are per repository).
   */
  readonly repo: string;
  all<T>(sql: string, params?: readonly Param[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  run(sql: string, params?: readonly Param[]): Promise<void>;
  /**
   * `statements` in one transaction, all or none. PostgreSQL gets them in one round trip,
   * which is what keeps recording cheap there.
   */
  batch(statements: readonly Statement[]): Promise<void>;
  /** Statements without parameters, one after the other (a migration). */
  exec(sql: string): Promise<void>;
  /**
   * `fn` in one write transaction. One caller at a time: the connection is not shared
   * between concurrent transactions (the recorder writes its batches one after another).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * `?` and `?N` placeholders as PostgreSQL's `$N`, outside quoted strings and identifiers.
 * Plain `?` are numbered in order; the two kinds are not mixed in one statement.
 */
export function toDollar(sql: string): string {
  return placeholders(sql, (n) => `$${n}`);
}

/** `sql` with each placeholder replaced by `fill(its number from 1)`. */
export function placeholders(sql: string, fill: (n: number) => string): string {
  let out = "";
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "?") {
      const m = /^\d+/.exec(sql.slice(i + 1));
      if (m) {
        out += fill(Number(m[0]));
        i += m[0].length;
      } else out += fill(++n);
    } else out += c;
  }
  return out;
}

/** The elements of a JSON array of strings in `column`, as a FROM item `alias` with a column `value`. */
export function jsonStrings(d: Dialect, column: string, alias: string): string {
  return d === "sqlite"
    ? `json_each(${column}) ${alias}`
    : `json_array_elements_text(${column}::json) AS ${alias} (value)`;
}

/** A PostgreSQL URL with its password hidden, fit for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ":***@");
  }
}

/** Whether `s` names a PostgreSQL database rather than a file. */
export const isPostgresUrl = (s: string) => /^postgres(ql)?:\/\//.test(s);

/** An error's message; a few (a refused connection to every address of a host) carry theirs only in their parts. */
export function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.message) return e.message;
  const parts = (e as { errors?: Error[] }).errors;
  return parts?.length ? parts.map((p) => p.message).join("; ") : String(e);
}
