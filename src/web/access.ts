// The dashboard's door: who a request is (a session, a bearer token, or on a server with no
// credentials at all, the machine's own user from loopback), whether they may read, and the
// checks every form's POST passes (same origin, CSRF token, role).
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearer, HttpError, readBody, sameSecret } from "../server/http.js";
import {
  type Action,
  Csrf,
  can,
  cookies,
  fromLoopback,
  type Identity,
  loopbackHost,
  type PasswordUser,
  type Session,
  Sessions,
  SignInLimiter,
  sameOrigin,
  secureRequest,
  setCookie,
  subkey,
  verifyPassword,
} from "./auth.js";

export interface AccessOptions {
  /** The admin token (--token): signs in as "admin", role admin. */
  token?: string;
  /** The read token (--read-token): signs in as "read-only"; when set, reading needs a sign-in. */
  readToken?: string;
  /**
   * Users' tokens from the server's configuration (src/cd/users.ts plugs in here). Pass it only
   * when users are configured: any resolver makes the server one with sign-in (not open).
   */
  users?: (token: string) => Identity | undefined;
  /** A configured user by name (a signed session of someone removed, or whose role changed, ends). */
  userByName?: (name: string) => Identity | undefined;
  /** The server's key: sessions are signed (they outlive a restart, replicas share them), CSRF tokens too. */
  key?: Buffer;
  /** --password-file's users. */
  passwords?: Map<string, PasswordUser>;
  /** Where people reach the server (--public-url): forms posted from there are same-origin. */
  publicUrl?: string;
  /** Cookies are Secure even when no x-forwarded-proto says https (--secure-cookies). */
  secureCookies?: boolean;
}

/** What a page needs to know about the person looking at it. */
export interface Viewer {
  identity?: Identity;
  /** The CSRF token every form on the page carries (field `_csrf`). */
  csrf: string;
  /** The server has credentials (a sign-in link is shown); false: a laptop's open server. */
  signIn: boolean;
  can(a: Action): boolean;
}

const LOCAL: Identity = { name: "local", role: "admin" };
const ANONYMOUS_READ: Identity | undefined = undefined;

export class Access {
  readonly sessions: Sessions;
  readonly csrf: Csrf;
  readonly limiter = new SignInLimiter();
  /** Nothing configured: pages open, actions from this machine only. */
  readonly open: boolean;

  constructor(private readonly o: AccessOptions) {
    this.open = !o.token && !o.readToken && !o.users && !o.passwords?.size;
    const key = o.key;
    this.sessions = new Sessions(
      12 * 3600_000,
      10_000,
      () => Date.now(),
      key && subkey(key, "session"),
      (who) => this.stillValid(who),
    );
    this.csrf = new Csrf(key && subkey(key, "csrf"));
  }

  private names(req: IncomingMessage) {
    const secure = secureRequest(req, !!this.o.secureCookies);
    return {
      secure,
      session: secure ? "__Host-slipway_session" : "slipway_session",
      anon: secure ? "__Host-slipway_csrf" : "slipway_csrf",
    };
  }

  private cookie(req: IncomingMessage, base: "session" | "csrf"): string | undefined {
    const c = cookies(req);
    return c.get(`__Host-slipway_${base}`) ?? c.get(`slipway_${base}`);
  }

  /** Whether a session's person is still who the configuration says. */
  private stillValid(who: Identity): boolean {
    if (who.name === "admin" && who.role === "admin" && this.o.token) return true;
    if (who.name === "read-only" && who.role === "read" && this.o.readToken) return true;
    if (this.o.passwords?.get(who.name)?.role === who.role) return true;
    if (this.o.userByName) return this.o.userByName(who.name)?.role === who.role;
    // Configured users without a way to look them up by name: their sessions stand.
    return !!this.o.users;
  }

  /** The identity of a token: the admin's, the read token's, or a configured user's. */
  byToken(t: string | undefined): Identity | undefined {
    if (!t) return undefined;
    if (this.o.token && sameSecret(t, this.o.token)) return { name: "admin", role: "admin" };
    if (this.o.readToken && sameSecret(t, this.o.readToken)) return { name: "read-only", role: "read" };
    return this.o.users?.(t);
  }

  identify(req: IncomingMessage): { identity?: Identity; session?: Session } {
    const session = this.sessions.get(this.cookie(req, "session"));
    if (session) return { identity: session.identity, session };
    const t = this.byToken(bearer(req));
    if (t) return { identity: t };
    if (this.open && fromLoopback(req) && loopbackHost(req)) return { identity: LOCAL };
    return { identity: ANONYMOUS_READ };
  }

  /** Reading pages needs a sign-in when the server has a read token (as its API does). */
  mayRead(req: IncomingMessage): boolean {
    return !this.o.readToken || this.identify(req).identity !== undefined;
  }

  /** The page's viewer; sets the pre-sign-in CSRF cookie when there is no session yet. */
  viewer(req: IncomingMessage, res: ServerResponse): Viewer {
    const { identity, session } = this.identify(req);
    let binding: string;
    if (session) binding = `s:${session.id}`;
    else {
      let anon = this.cookie(req, "csrf");
      if (!anon || !/^[\w-]{16,64}$/.test(anon)) {
        anon = randomBytes(18).toString("base64url");
        const n = this.names(req);
        setCookie(res, n.anon, anon, { secure: n.secure, maxAge: 86400 });
      }
      binding = `a:${anon}`;
    }
    return {
      identity,
      csrf: this.csrf.token(binding),
      signIn: !this.open,
      can: (a) => can(identity, a),
    };
  }

  /**
   * A form's POST: from a page of this server, with the page's CSRF token, by someone who may
   * do `action` (none: anyone, e.g. signing in). Its fields, and who sent it.
   */
  async form(
    req: IncomingMessage,
    action?: Action,
  ): Promise<{ identity?: Identity; fields: URLSearchParams }> {
    if (!sameOrigin(req, this.o.publicUrl))
      throw new HttpError(403, "this form did not come from a page of this server");
    // A laptop's open server acts for this machine only, and only under its loopback name.
    if (this.open && action && !(fromLoopback(req) && loopbackHost(req)))
      throw new HttpError(
        403,
        "this server has no sign-in: only its own machine may act (start it with --token)",
      );
    const body = await readBody(req, 256 * 1024);
    const fields = new URLSearchParams(body.toString("utf8"));
    const { identity, session } = this.identify(req);
    const anon = this.cookie(req, "csrf");
    const binding = session ? `s:${session.id}` : anon ? `a:${anon}` : undefined;
    if (!binding || !this.csrf.check(binding, fields.get("_csrf")))
      throw new HttpError(
        403,
        "the form's security token is missing or wrong: reload the page and try again",
      );
    if (action && !can(identity, action))
      throw new HttpError(
        403,
        identity ? `${identity.name} (${identity.role}) may not do this` : "sign in to do this",
      );
    return { identity, fields };
  }

  /** Signs in with a token or a name and password; a new session id (never the old one). */
  async signIn(
    req: IncomingMessage,
    res: ServerResponse,
    fields: URLSearchParams,
  ): Promise<Identity | string> {
    const addr = req.socket.remoteAddress ?? "";
    if (this.limiter.blocked(addr)) return "too many failed sign-ins from this address: wait a few minutes";
    let who: Identity | undefined;
    const token = fields.get("token")?.trim();
    const name = fields.get("name")?.trim();
    if (token) who = this.byToken(token);
    else if (name) {
      const u = this.o.passwords?.get(name);
      // A wrong name costs the same as a wrong password.
      const ok = await verifyPassword(fields.get("password") ?? "", u?.hash ?? DUMMY);
      if (u && ok) who = { name: u.name, role: u.role };
    }
    if (!who) {
      this.limiter.failed(addr);
      return token ? "that token is not one of this server's" : "wrong name or password";
    }
    this.limiter.succeeded(addr);
    const old = this.cookie(req, "session");
    if (old) this.sessions.delete(old);
    const s = this.sessions.create(who);
    const n = this.names(req);
    setCookie(res, n.session, s.id, { secure: n.secure, maxAge: Math.floor(this.sessions.ttlMs / 1000) });
    return who;
  }

  signOut(req: IncomingMessage, res: ServerResponse): void {
    const id = this.cookie(req, "session");
    if (id) this.sessions.delete(id);
    const n = this.names(req);
    setCookie(res, n.session, "", { secure: n.secure, maxAge: 0 });
  }
}

/** A hash to compare against when the name is unknown (so timing does not tell names apart). */
const DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
