import type { Client, ClientConfig } from "pg";
import { type Db, type Param, placeholders, type Statement, safeUrl, toDollar } from "./db.js";

/** OIDs of the integer types PostgreSQL sends as text: int8 (ids, ms times, counts), numeric. */
const INT8 = 20;
const NUMERIC = 1700;

/** A number as SQL: only finite ones are ever bound (ids, ms times, line numbers). */
function numeric(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`not a number to store: ${v}`);
  return String(v);
}

/**
 * A string as an SQL literal, as the driver's escapeLiteral writes it (quotes doubled; with a
 * backslash, an E'' string with backslashes doubled), with the engine's own replaceAll: the
 * driver's loop adds one character at a time, which a run's log lines (kept per event on
 * PostgreSQL) pay for in time and garbage.
 */
export function quote(s: string): string {
  const q = s.includes("'") ? s.replaceAll("'", "''") : s;
  return s.includes("\\") ? ` E'${q.replaceAll("\\", "\\\\")}'` : `'${q}'`;
}

/**
 * The query layer over one PostgreSQL connection (`pg`, loaded only when a URL is given).
 * Statements are named, so the server plans each once per connection. Times are ms since the
 * epoch in BIGINT columns, read back as numbers (exact below 2^53).
 */
export class PgDb implements Db {
  readonly dialect = "postgres";
  private readonly names = new Map<string, string>();
  /** The connection broke (server gone): every later call fails with this. */
  private broken?: Error;

  private constructor(
    private readonly client: Client,
    readonly where: string,
    readonly repo: string,
  ) {
    // An idle connection's error (the server stopped) must not crash the process.
    client.on("error", (e) => {
      this.broken = e;
    });
  }

  static async connect(url: string, repo: string, timeoutMs = 5000): Promise<PgDb> {
    const pg = (await import("pg")).default;
    const parse = (v: string) => Number(v);
    const config: ClientConfig = {
      connectionString: url,
      connectionTimeoutMillis: timeoutMs,
      // A server that stops answering (a lock, a dead network) must not hold a run's end for
      // long: the recorder warns and lets the run finish.
      statement_timeout: 15_000,
      query_timeout: 20_000,
      application_name: "slipway",
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === INT8 || oid === NUMERIC
            ? parse
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    };
    const client = new pg.Client(config);
    const db = new PgDb(client, safeUrl(url), repo);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    return db;
  }

  /** The connection's last request: one at a time, in order (pg deprecates overlapping ones). */
  private last: Promise<unknown> = Promise.resolve();

  private send<R>(request: () => Promise<R>): Promise<R> {
    const p = this.last.then(request);
    this.last = p.catch(() => {});
    return p;
  }

  private async query<T>(sql: string, params: readonly Param[]): Promise<T[]> {
    if (this.broken) throw this.broken;
    let name = this.names.get(sql);
    if (!name) {
      name = `s${this.names.size + 1}`;
      this.names.set(sql, name);
    }
    const query = { name, text: toDollar(sql), values: params as Param[] };
    const r = await this.send(() => this.client.query(query));
    return r.rows as T[];
  }

  all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.query<T>(sql, params);
  }

  async get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly Param[] = []): Promise<void> {
    await this.query(sql, params);
  }

  /**
   * One simple query of all the statements, their parameters written as literals (the
   * driver's escaping): the server runs it as one implicit transaction, in one round trip.
   */
  async batch(statements: readonly Statement[]): Promise<void> {
    if (statements.length === 0) return;
    const literal = (v: Param) => (v === null ? "NULL" : typeof v === "number" ? numeric(v) : quote(v));
    await this.exec(statements.map((s) => placeholders(s.sql, (n) => literal(s.params[n - 1]!))).join(";\n"));
  }

  async exec(sql: string): Promise<void> {
    if (this.broken) throw this.broken;
    await this.send(() => this.client.query(sql));
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.exec("BEGIN");
    try {
      const out = await fn();
      await this.exec("COMMIT");
      return out;
    } catch (e) {
      await this.exec("ROLLBACK").catch(() => {});
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
