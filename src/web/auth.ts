// Who is looking at the dashboard, and what they may do. People sign in with one of the
// server's tokens (the admin token, the read token, or a user's token from the server's
// configuration, through a resolver the server passes in) or with a name and password from
// --password-file (scrypt hashes). A session is an id in an HttpOnly, SameSite=Lax cookie
// (Secure behind https) with an expiry: random and kept in this process's memory, or — given the
// server's key (serve passes one derived from SLIPWAY_SECRET_KEY / the key file) — signed, so a
// restart keeps it and every replica sharing the key accepts it. Every form carries a CSRF
// token: an HMAC of the session id (or, before signing in, of a random cookie) under that key
// (or one made at start), so a forged form lacks it; the Origin (or Referer) must also be this
// server.
import { createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { sameSecret } from "../server/http.js";

export type Role = "admin" | "reviewer" | "read";

export interface Identity {
  name: string;
  role: Role;
}

/** What a signed-in person may do: run (cancel, re-run, dispatch) or approve a deployment. */
export type Action = "run" | "approve";

export function can(who: Identity | undefined, a: Action): boolean {
  if (!who) return false;
  return who.role === "admin" || (a === "approve" && who.role === "reviewer");
}

// --- passwords ---------------------------------------------------------------------------

const SCRYPT = { N: 16384, r: 8, p: 1 };

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((ok, ko) =>
    scrypt(password.normalize("NFC"), salt, 32, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (e, key) =>
      e ? ko(e) : ok(key),
    ),
  );
}

/** `scrypt$N$r$p$SALT$HASH` (base64url): what --password-file holds for a password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([\w-]+)\$([\w-]+)$/.exec(stored);
  if (!m) return false;
  const want = Buffer.from(m[5]!, "base64url");
  const got = await derive(
    password,
    Buffer.from(m[4]!, "base64url"),
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
  );
  return got.length === want.length && timingSafeEqual(got, want);
}

export class PasswordFileError extends Error {}

export interface PasswordUser extends Identity {
  hash: string;
}

/**
 * --password-file: one user a line, `NAME:ROLE:HASH` (ROLE admin, reviewer or read; HASH from
 * `slipway serve --hash-password`), or a line with only a hash: the admin's password (user
 * "admin"). Blank lines and # comments are skipped.
 */
export function readPasswordFile(path: string): Map<string, PasswordUser> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new PasswordFileError(
      `${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message}`,
    );
  }
  const users = new Map<string, PasswordUser>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const at = `${path}:${i + 1}:1`;
    const parts = line.split(":");
    const [name, role, hash] = parts.length === 1 ? ["admin", "admin", parts[0]!] : parts;
    if (parts.length !== 1 && parts.length !== 3)
      throw new PasswordFileError(`${at}: expected NAME:ROLE:HASH or a hash alone`);
    if (!/^[\w.@-]{1,64}$/.test(name!))
      throw new PasswordFileError(`${at}: a user name is letters, digits and . _ @ - (at most 64)`);
    if (role !== "admin" && role !== "reviewer" && role !== "read")
      throw new PasswordFileError(`${at}: role '${role}' is not admin, reviewer or read`);
    if (!/^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/.test(hash!))
      throw new PasswordFileError(
        `${at}: not a password hash (make one with 'slipway serve --hash-password', which reads the password from stdin)`,
      );
    if (users.has(name!)) throw new PasswordFileError(`${at}: user '${name}' is listed twice`);
    users.set(name!, { name: name!, role, hash: hash! });
  });
  return users;
}

// --- sessions ----------------------------------------------------------------------------

export interface Session {
  id: string;
  identity: Identity;
  expires: number;
}

/** A key of its own for each use of the server's key. */
export const subkey = (key: Buffer, use: string) => createHmac("sha256", key).update(use).digest();

/**
 * Signed-in sessions. Without a key: random ids in memory (a restart signs everyone out; the
 * oldest go when too many are open). With a key: the id is `payload.mac` (who, role, expiry,
 * a nonce; HMAC-SHA256), so it outlives a restart and other replicas with the key accept it;
 * memory only caches them and remembers the ones signed out here. `valid` refuses a session of
 * someone no longer configured.
 */
export class Sessions {
  private readonly map = new Map<string, Session>();
  /** Signed sessions signed out here, until they expire. */
  private readonly ended = new Map<string, number>();
  constructor(
    readonly ttlMs = 12 * 3600_000,
    private readonly max = 10_000,
    private readonly now = () => Date.now(),
    private readonly key?: Buffer,
    private readonly valid: (who: Identity) => boolean = () => true,
  ) {}

  create(identity: Identity): Session {
    const t = this.now();
    for (const [id, s] of this.map) if (s.expires <= t) this.map.delete(id);
    // The oldest go first when too many are open (Map keeps insertion order).
    while (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as string);
    const expires = t + this.ttlMs;
    const s = {
      id: this.key ? this.sign(identity, expires) : randomBytes(24).toString("base64url"),
      identity,
      expires,
    };
    this.map.set(s.id, s);
    return s;
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.map.get(id) ?? this.verify(id);
    if (s && (s.expires <= this.now() || !this.valid(s.identity))) {
      this.map.delete(s.id);
      return undefined;
    }
    return s;
  }

  delete(id: string): void {
    const s = this.map.get(id) ?? this.verify(id);
    this.map.delete(id);
    if (this.key && s) {
      const t = this.now();
      for (const [k, until] of this.ended) if (until <= t) this.ended.delete(k);
      if (this.ended.size < this.max) this.ended.set(id, s.expires);
    }
  }

  private mac(payload: string): string {
    return createHmac("sha256", this.key!).update(payload).digest("base64url");
  }

  private sign(who: Identity, expires: number): string {
    const payload = Buffer.from(
      JSON.stringify({ n: who.name, r: who.role, e: expires, x: randomBytes(9).toString("base64url") }),
    ).toString("base64url");
    return `${payload}.${this.mac(payload)}`;
  }

  /** Another replica's (or an earlier run's) session: its MAC checked, then cached. */
  private verify(id: string): Session | undefined {
    if (!this.key || id.length > 1024 || this.ended.has(id)) return undefined;
    const [payload, mac, more] = id.split(".");
    if (!payload || !mac || more !== undefined || !sameSecret(mac, this.mac(payload))) return undefined;
    let p: { n?: unknown; r?: unknown; e?: unknown };
    try {
      p = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof p;
    } catch {
      return undefined;
    }
    if (typeof p.n !== "string" || typeof p.e !== "number") return undefined;
    if (p.r !== "admin" && p.r !== "reviewer" && p.r !== "read") return undefined;
    if (p.e <= this.now()) return undefined;
    const s: Session = { id, identity: { name: p.n, role: p.r }, expires: p.e };
    if (this.map.size < this.max) this.map.set(id, s);
    return s;
  }

  get size(): number {
    return this.map.size;
  }
}

/** CSRF tokens: HMAC(key, binding), so they need no storage and cannot be made without the key. */
export class Csrf {
  /** The server's (replicas share it: a form one shows, another takes), else one made now. */
  constructor(private readonly key: Buffer = randomBytes(32)) {}
  token(binding: string): string {
    return createHmac("sha256", this.key).update(binding).digest("base64url");
  }
  check(binding: string, given: string | null | undefined): boolean {
    return typeof given === "string" && given.length > 0 && sameSecret(given, this.token(binding));
  }
}

// --- requests ----------------------------------------------------------------------------

export function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

/** The request came from this machine (a laptop's own browser). */
export function fromLoopback(req: IncomingMessage): boolean {
  const a = req.socket.remoteAddress ?? "";
  return a === "::1" || a.startsWith("127.") || a.startsWith("::ffff:127.");
}

/**
 * The Host names a loopback address too: a page of another site whose name resolves to
 * 127.0.0.1 (DNS rebinding) is same-origin with itself, not with us, and is refused.
 */
export function loopbackHost(req: IncomingMessage): boolean {
  const host = (req.headers.host ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/**
 * The form came from a page of this server: its Origin (or, without one, its Referer) names the
 * host the request was sent to. Browsers send Origin with every POST; a request with neither
 * is not a browser's form and is refused.
 */
export function sameOrigin(req: IncomingMessage, publicUrl?: string): boolean {
  const from = req.headers.origin ?? req.headers.referer;
  if (typeof from !== "string" || from === "null") return false;
  let host: string;
  try {
    host = new URL(from).host;
  } catch {
    return false;
  }
  // Behind a proxy that rewrites Host, the address people use is --public-url's.
  const hosts = [
    req.headers.host,
    req.headers["x-forwarded-host"],
    publicUrl && new URL(publicUrl).host,
  ].filter((h): h is string => typeof h === "string" && h !== "");
  return hosts.some((h) => h.split(",")[0]!.trim() === host);
}

export function secureRequest(req: IncomingMessage, always: boolean): boolean {
  const proto = req.headers["x-forwarded-proto"];
  return (
    always ||
    (typeof proto === "string" && proto.split(",")[0]!.trim() === "https") ||
    (req.socket as { encrypted?: boolean }).encrypted === true
  );
}

export function setCookie(
  res: ServerResponse,
  name: string,
  value: string,
  o: { secure: boolean; maxAge: number },
): void {
  const c = `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${o.maxAge}${o.secure ? "; Secure" : ""}`;
  const prev = res.getHeader("set-cookie");
  res.setHeader("set-cookie", [...(Array.isArray(prev) ? prev : prev ? [String(prev)] : []), c]);
}

/** Failed sign-ins per address: after `max` in `windowMs`, more are refused until it passes. */
export class SignInLimiter {
  private readonly fails = new Map<string, { n: number; since: number }>();
  constructor(
    private readonly max = 10,
    private readonly windowMs = 5 * 60_000,
    private readonly now = () => Date.now(),
  ) {}
  blocked(addr: string): boolean {
    const f = this.fails.get(addr);
    if (f && this.now() - f.since > this.windowMs) this.fails.delete(addr);
    return (this.fails.get(addr)?.n ?? 0) >= this.max;
  }
  failed(addr: string): void {
    if (this.fails.size > 10_000) this.fails.clear();
    const f = this.fails.get(addr);
    if (f) f.n++;
    else this.fails.set(addr, { n: 1, since: this.now() });
  }
  succeeded(addr: string): void {
    this.fails.delete(addr);
  }
}
