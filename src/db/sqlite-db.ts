import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Db, Param, Statement } from "./db.js";

/**
 * The query layer over node:sqlite. Each statement is prepared once per connection (preparing
 * costs more than running) and runs at once: the promise is already settled when returned.
 */
export class SqliteDb implements Db {
  readonly dialect = "sqlite";
  readonly repo = "";
  private readonly statements = new Map<string, StatementSync>();

  constructor(
    readonly raw: DatabaseSync,
    readonly where: string,
  ) {}

  private stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  async all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.stmt(sql).all(...params) as T[];
  }

  async get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  async run(sql: string, params: readonly Param[] = []): Promise<void> {
    this.stmt(sql).run(...params);
  }

  async batch(statements: readonly Statement[]): Promise<void> {
    await this.transaction(async () => {
      for (const s of statements) this.stmt(s.sql).run(...s.params);
    });
  }

  async exec(sql: string): Promise<void> {
    this.raw.exec(sql);
  }

  /**
   * IMMEDIATE takes the write lock at the start, so a second Slipway process waits
   * (busy_timeout) instead of failing when it would upgrade a read lock mid-transaction.
   * That wait blocks the thread: two connections of one process must not hold transactions
   * open at once (one process records through one connection).
   */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    this.raw.exec("BEGIN IMMEDIATE");
    try {
      const out = await fn();
      this.raw.exec("COMMIT");
      return out;
    } catch (e) {
      if (this.raw.isTransaction) this.raw.exec("ROLLBACK");
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.raw.isOpen) this.raw.close();
  }
}
