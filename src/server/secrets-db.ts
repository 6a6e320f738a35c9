// The server's secrets in the database (db/server-secrets.ts) when it is PostgreSQL, so that
// replicas share them: a secret set through one replica reaches the runs of every other.
// Each replica keeps the values in a cache its runs read synchronously (values() when a run
// starts), refreshed at start, after its own writes, when another replica writes (NOTIFY
// slipway_secrets with the repository's name) and every few seconds (the safety net for a
// notification missed: a LISTEN connection that broke). A write answers once its row is
// committed and this replica's cache has it. Each value reaches the masker (onValue) before
// any run can read it. Rows are sealed as the files were (AES-256-GCM, the server's key),
// bound to the repository, the scope and the name, so a row cannot be moved to another.
import type { Db } from "../db/db.js";
import { deleteSecret, importSecret, listSecrets, putSecret, type SecretRow } from "../db/server-secrets.js";
import { SecretKeyError, type Secrets, seal, unseal } from "./secret-store.js";

export const REPOSITORY = "repository";
/** An environment's scope: its name in lower case (environment names are case-insensitive). */
export const environmentScope = (environment: string) => `environment:${environment.toLowerCase()}`;

export const SECRETS_CHANNEL = "slipway_secrets";

export interface DbSecretsOptions {
  db: Db;
  key: Buffer;
  /** PostgreSQL: the URL a LISTEN connection opens (other replicas' writes). */
  listenUrl?: string;
  /** Each value, once known here, before a run can read it (the masker's add). */
  onValue: (value: string) => void;
  /** The safety net's period (ms); at most 5 s. */
  refreshMs?: number;
  log: (t: string) => void;
  /** close() closes `db` too. */
  ownsDb?: boolean;
  /**
   * A new connection when a statement on the current one failed (the database restarted):
   * the next statement opens it (and the old one is closed when owned).
   */
  reopen?: () => Promise<Db>;
}

interface Cached {
  sealed: string;
  value: string;
  updatedAt: number;
}

const cacheKey = (scope: string, name: string) => `${scope}\n${name}`;

export class DbSecrets {
  private cache = new Map<string, Cached>();
  /** Reads one after another, so an older read never replaces a newer one. */
  private reading: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private listener?: { end(): Promise<void> };
  private closed = false;
  private current: Db;
  /** A statement failed on `current`: reopened before the next. */
  private failed = false;
  private connecting?: Promise<void>;
  /** Rows this key cannot open, said once each. */
  private readonly refused = new Set<string>();

  constructor(private readonly o: DbSecretsOptions) {
    this.current = o.db;
  }

  /** The connection, a new one when a statement failed on the last (with `reopen`). */
  private async db(): Promise<Db> {
    if (this.failed && this.o.reopen && !this.closed && !this.connecting) {
      this.failed = false;
      const old = this.current;
      const reopen = this.o.reopen;
      this.connecting = (async () => {
        try {
          this.current = await reopen();
          if (this.o.ownsDb) void old.close().catch(() => {});
        } catch (e) {
          this.failed = true;
          throw e;
        } finally {
          this.connecting = undefined;
        }
      })();
    }
    if (this.connecting) await this.connecting;
    return this.current;
  }

  /**
   * `f` on the connection. A failure marks it for reopening and, with `reopen`, `f` is tried
   * once more on a new one (each statement here may run twice: an upsert, a read, a delete).
   */
  private async use<T>(f: (db: Db) => Promise<T>): Promise<T> {
    try {
      return await f(await this.db());
    } catch (e) {
      this.failed = true;
      if (!this.o.reopen || this.closed) throw e;
      return await f(await this.db());
    }
  }

  private aad(scope: string, name: string): string {
    return `${this.o.db.repo}\n${scope}\n${name}`;
  }

  /** Sealed as `iv.tag.data` for a row. */
  sealFor(scope: string, name: string, value: string): string {
    const s = seal(this.o.key, this.aad(scope, name), value);
    return [s.iv, s.tag, s.data].join(".");
  }

  private open(r: SecretRow): string {
    const [iv = "", tag = "", data = ""] = r.sealed.split(".");
    return unseal(this.o.key, this.aad(r.scope, r.name), { iv, tag, data });
  }

  /** Reads the rows (a row this key cannot open is an error here: said at start), then listens. */
  async start(): Promise<void> {
    await this.listen();
    await this.refresh(true);
    const every = Math.min(5000, this.o.refreshMs ?? 3000);
    this.timer = setInterval(() => {
      // A LISTEN connection that broke is opened again, then the rows read.
      void (this.o.listenUrl && !this.listener ? this.listen() : Promise.resolve())
        .catch((e: Error) => this.o.log(`secrets: LISTEN connection: ${e.message}`))
        .then(() => this.refreshLogged());
    }, every);
    this.timer.unref();
  }

  private async listen(): Promise<void> {
    if (!this.o.listenUrl || this.closed) return;
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: this.o.listenUrl, application_name: "slipway-secrets" });
    const lost = (why: string) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.o.log(`secrets: LISTEN connection: ${why} (listening again within seconds)`);
      void client.end().catch(() => {});
    };
    client.on("error", (e) => lost(e.message));
    client.on("end", () => lost("closed"));
    client.on("notification", (n) => {
      if (n.channel === SECRETS_CHANNEL && n.payload === this.o.db.repo) void this.refreshLogged();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${SECRETS_CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    if (this.closed) await client.end().catch(() => {});
    else this.listener = client;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await this.reading;
    await this.connecting?.catch(() => {});
    if (this.o.ownsDb) await this.current.close().catch(() => {});
  }

  private refreshLogged(): Promise<void> {
    return this.refresh().catch((e: Error) => this.o.log(`secrets: ${e.message}`));
  }

  /** The rows read again into the cache; new values go to the masker first. */
  refresh(first = false): Promise<void> {
    const read = this.reading.then(async () => {
      if (this.closed && !first) return;
      const rows = await this.use((db) => listSecrets(db));
      const next = new Map<string, Cached>();
      for (const r of rows) {
        const k = cacheKey(r.scope, r.name);
        const had = this.cache.get(k);
        if (had?.sealed === r.sealed) {
          next.set(k, had);
          continue;
        }
        let value: string;
        try {
          value = this.open(r);
        } catch {
          const why = `${this.o.db.where}: secret ${r.name} (${r.scope}) cannot be decrypted with this key (SLIPWAY_SECRET_KEY differs between replicas?)`;
          if (first) throw new SecretKeyError(why);
          if (!this.refused.has(k + r.sealed)) this.o.log(`secrets: ${why}`);
          this.refused.add(k + r.sealed);
          continue;
        }
        this.o.onValue(value);
        next.set(k, { sealed: r.sealed, value, updatedAt: r.updated_at });
      }
      this.cache = next;
    });
    // A failed read does not stop the next ones.
    this.reading = read.catch(() => {});
    return read;
  }

  async set(scope: string, name: string, value: string): Promise<void> {
    this.o.onValue(value);
    const sealed = this.sealFor(scope, name, value);
    await this.use((db) => putSecret(db, { scope, name, sealed, updated_at: Date.now() }));
    await this.written();
  }

  async delete(scope: string, name: string): Promise<boolean> {
    const gone = await this.use((db) => deleteSecret(db, scope, name));
    if (gone) await this.written();
    return gone;
  }

  /** After a write: this replica's cache at once, the others through NOTIFY. */
  private async written(): Promise<void> {
    await this.refresh();
    if (this.o.db.dialect === "postgres")
      await this.use((db) => db.run("SELECT pg_notify(?, ?)", [SECRETS_CHANNEL, db.repo]));
  }

  /** The scope's names and when each was set, without values. */
  names(scope: string): { name: string; updatedAt: string }[] {
    const out: { name: string; updatedAt: string }[] = [];
    const prefix = cacheKey(scope, "");
    for (const [k, c] of this.cache)
      if (k.startsWith(prefix))
        out.push({ name: k.slice(prefix.length), updatedAt: new Date(c.updatedAt).toISOString() });
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  values(scope: string): Record<string, string> {
    const out: Record<string, string> = {};
    const prefix = cacheKey(scope, "");
    for (const [k, c] of this.cache) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = c.value;
    return out;
  }

  /** The repository's secrets as the secrets API and the runs use them. */
  repository(): Secrets {
    return {
      set: (name, value) => this.set(REPOSITORY, name, value),
      delete: (name) => this.delete(REPOSITORY, name),
      names: () => this.names(REPOSITORY),
      values: () => this.values(REPOSITORY),
    };
  }

  /** The environments' secrets as EnvSecrets keeps them: names `environment/NAME`. */
  environments(): Secrets {
    const split = (key: string): [string, string] => {
      const at = key.indexOf("/");
      return [environmentScope(key.slice(0, at)), key.slice(at + 1)];
    };
    const all = () => {
      const out: { key: string; c: Cached }[] = [];
      const prefix = "environment:";
      for (const [k, c] of this.cache)
        if (k.startsWith(prefix)) {
          const [scope, name] = k.split("\n") as [string, string];
          out.push({ key: `${scope.slice(prefix.length)}/${name}`, c });
        }
      return out;
    };
    return {
      set: (key, value) => this.set(...split(key), value),
      delete: (key) => this.delete(...split(key)),
      names: () =>
        all()
          .map(({ key, c }) => ({ name: key, updatedAt: new Date(c.updatedAt).toISOString() }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      values: () => Object.fromEntries(all().map(({ key, c }) => [key, c.value])),
    };
  }

  /**
   * Secrets from an older store, each kept unless the database has its name set at the same
   * time or later; the number written.
   */
  async imported(rows: { scope: string; name: string; value: string; updatedAt: number }[]): Promise<number> {
    let written = 0;
    for (const r of rows) {
      this.o.onValue(r.value);
      const row = {
        scope: r.scope,
        name: r.name,
        sealed: this.sealFor(r.scope, r.name, r.value),
        updated_at: r.updatedAt,
      };
      if (await this.use((db) => importSecret(db, row))) written++;
    }
    if (rows.length) await this.written();
    return written;
  }

  /** Where the rows are, for messages. */
  get where(): string {
    return this.o.db.where;
  }
}
