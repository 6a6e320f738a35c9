// The server's repository secrets, encrypted at rest with AES-256-GCM (each value with its own
// random IV, its name as additional data, so a value cannot be moved to another name). The
// key comes from SLIPWAY_SECRET_KEY (64 hex digits) or a key file made at first start with
// mode 0600. Values leave only to the runs (and are masked everywhere); the API lists names.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface Sealed {
  iv: string;
  tag: string;
  data: string;
  updatedAt: string;
}

export class SecretKeyError extends Error {}

export const SECRET_NAME = /^(?!GITHUB_)[A-Za-z_][A-Za-z0-9_]{0,99}$/i;

export function secretKey(dir: string, fromEnv = process.env.SLIPWAY_SECRET_KEY): Buffer {
  if (fromEnv !== undefined) {
    if (!/^[0-9a-f]{64}$/i.test(fromEnv.trim()))
      throw new SecretKeyError("SLIPWAY_SECRET_KEY must be 64 hex digits (32 bytes)");
    return Buffer.from(fromEnv.trim(), "hex");
  }
  const file = join(dir, "server-secret.key");
  if (existsSync(file)) {
    const hex = readFileSync(file, "utf8").trim();
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new SecretKeyError(`${file}: not a key of 64 hex digits`);
    return Buffer.from(hex, "hex");
  }
  mkdirSync(dir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return key;
}

/** What the server's secrets API and runs use of a store: a file's (here) or the database's (secrets-db.ts). */
export interface Secrets {
  /** Done once the value is kept (the file written, the row committed). */
  set(name: string, value: string): void | Promise<void>;
  delete(name: string): boolean | Promise<boolean>;
  names(): { name: string; updatedAt: string }[];
  /** Read when a run starts: synchronous (a database store answers from its cache). */
  values(): Record<string, string>;
}

/** `value` sealed with AES-256-GCM under `key`, bound to `aad`: iv, tag and data in base64. */
export function seal(key: Buffer, aad: string, value: string): { iv: string; tag: string; data: string } {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(aad));
  const data = Buffer.concat([c.update(value, "utf8"), c.final()]);
  return { iv: iv.toString("base64"), tag: c.getAuthTag().toString("base64"), data: data.toString("base64") };
}

/** The value `seal` sealed; throws when the key or the aad differ. */
export function unseal(key: Buffer, aad: string, s: { iv: string; tag: string; data: string }): string {
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(s.iv, "base64"));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(s.tag, "base64"));
  return Buffer.concat([d.update(Buffer.from(s.data, "base64")), d.final()]).toString("utf8");
}

export class SecretStore implements Secrets {
  readonly file: string;
  private sealed: Record<string, Sealed> = {};

  constructor(
    dir: string,
    private readonly key: Buffer,
    /** Another store beside the repository's (environment secrets: src/cd/env-secrets.ts). */
    file = "server-secrets.json",
  ) {
    this.file = join(dir, file);
    if (existsSync(this.file)) {
      const parsed = JSON.parse(readFileSync(this.file, "utf8")) as {
        version?: number;
        secrets?: Record<string, Sealed>;
      };
      this.sealed = parsed.secrets ?? {};
      // A wrong key is said at start, not at the first run.
      for (const name of Object.keys(this.sealed)) this.open(name);
    }
  }

  set(name: string, value: string): void {
    this.sealed[name] = { ...seal(this.key, name, value), updatedAt: new Date().toISOString() };
    this.save();
  }

  delete(name: string): boolean {
    if (!(name in this.sealed)) return false;
    delete this.sealed[name];
    this.save();
    return true;
  }

  names(): { name: string; updatedAt: string }[] {
    return Object.entries(this.sealed)
      .map(([name, s]) => ({ name, updatedAt: s.updatedAt }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  values(): Record<string, string> {
    return Object.fromEntries(Object.keys(this.sealed).map((n) => [n, this.open(n)]));
  }

  private open(name: string): string {
    try {
      return unseal(this.key, name, this.sealed[name]!);
    } catch {
      throw new SecretKeyError(
        `${this.file}: secret ${name} cannot be decrypted with this key (SLIPWAY_SECRET_KEY or server-secret.key changed?)`,
      );
    }
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, secrets: this.sealed }, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** Values as a dotenv text the run's --secret-file reads back exactly. */
export function dotenvText(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) =>
      !v.includes("'") && !/[\r\n]/.test(v)
        ? `${k}='${v}'`
        : `${k}="${v.replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
    )
    .join("\n");
}
