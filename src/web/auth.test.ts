import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { Access } from "./access.js";
import {
  Csrf,
  can,
  hashPassword,
  loopbackHost,
  PasswordFileError,
  readPasswordFile,
  Sessions,
  SignInLimiter,
  sameOrigin,
  verifyPassword,
} from "./auth.js";
import { localPath } from "./signin-page.js";

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("passwords", () => {
  test("an scrypt hash verifies its password only, and each hash has its own salt", async () => {
    const h = await hashPassword("correct horse");
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword("correct horse", h)).toBe(true);
    expect(await verifyPassword("correct hors", h)).toBe(false);
    expect(await verifyPassword("correct horse", "plain")).toBe(false);
    expect(await hashPassword("correct horse")).not.toBe(h);
  });

  test("the password file: NAME:ROLE:HASH lines or a hash alone; bad lines say file:line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-pw-"));
    const h = await hashPassword("pw");
    const good = join(dir, "good");
    writeFileSync(good, `# users\n${h}\nrita:reviewer:${h}\n\nrob:read:${h}\n`);
    const users = readPasswordFile(good);
    expect([...users.values()].map((u) => `${u.name}:${u.role}`)).toEqual([
      "admin:admin",
      "rita:reviewer",
      "rob:read",
    ]);
    const bad = (text: string, message: RegExp) => {
      writeFileSync(join(dir, "bad"), text);
      expect(() => readPasswordFile(join(dir, "bad"))).toThrow(PasswordFileError);
      expect(() => readPasswordFile(join(dir, "bad"))).toThrow(message);
    };
    bad(`a:owner:${h}`, /bad:1:1: role 'owner' is not admin, reviewer or read/);
    bad(`\na:admin:secret`, /bad:2:1: not a password hash/);
    bad(`a:admin:${h}\na:read:${h}`, /bad:2:1: user 'a' is listed twice/);
    bad("a:b", /expected NAME:ROLE:HASH/);
    expect(() => readPasswordFile(join(dir, "none"))).toThrow(/none: file not found/);
  });
});

describe("sessions and CSRF", () => {
  test("a session expires, and the oldest go when too many are open", () => {
    let now = 1000;
    const s = new Sessions(60_000, 2, () => now);
    const a = s.create({ name: "a", role: "admin" });
    expect(a.id).toMatch(/^[\w-]{32}$/);
    expect(s.get(a.id)?.identity.name).toBe("a");
    now += 60_000;
    expect(s.get(a.id)).toBeUndefined();
    const b = s.create({ name: "b", role: "read" });
    const c = s.create({ name: "c", role: "read" });
    s.create({ name: "d", role: "read" });
    expect(s.get(b.id)).toBeUndefined();
    expect(s.get(c.id)?.identity.name).toBe("c");
    s.delete(c.id);
    expect(s.get(c.id)).toBeUndefined();
    expect(s.get(undefined)).toBeUndefined();
  });

  test("with the server's key a session is signed: another replica (or a restart) accepts it; tampered, expired, signed out or no longer configured, it is refused", () => {
    let now = 1000;
    const key = Buffer.alloc(32, 7);
    const a = new Sessions(60_000, 10, () => now, key);
    const replica = new Sessions(60_000, 10, () => now, Buffer.from(key));
    const s = a.create({ name: "ann", role: "reviewer" });
    expect(replica.get(s.id)?.identity).toEqual({ name: "ann", role: "reviewer" });
    expect(new Sessions(60_000, 10, () => now, Buffer.alloc(32, 8)).get(s.id)).toBeUndefined();
    expect(new Sessions(60_000, 10, () => now).get(s.id)).toBeUndefined();
    // The role is inside the signed part: changing it breaks the signature.
    const [payload, mac] = s.id.split(".");
    const forged = Buffer.from(
      Buffer.from(payload!, "base64url").toString().replace('"reviewer"', '"admin"'),
    ).toString("base64url");
    expect(replica.get(`${forged}.${mac}`)).toBeUndefined();
    expect(replica.get(`${payload}.${mac}.x`)).toBeUndefined();
    const gone = new Sessions(
      60_000,
      10,
      () => now,
      key,
      (who) => who.name !== "ann",
    );
    expect(gone.get(s.id)).toBeUndefined();
    a.delete(s.id);
    expect(a.get(s.id)).toBeUndefined();
    now += 60_000;
    expect(new Sessions(60_000, 10, () => now, key).get(s.id)).toBeUndefined();
  });

  test("CSRF tokens made with the server's key are good on every replica", () => {
    const key = Buffer.alloc(32, 3);
    expect(new Csrf(key).check("s:one", new Csrf(Buffer.from(key)).token("s:one"))).toBe(true);
    expect(new Csrf(Buffer.alloc(32, 4)).check("s:one", new Csrf(key).token("s:one"))).toBe(false);
  });

  test("a CSRF token is bound to its session and to the server's key", () => {
    const k = new Csrf();
    const t = k.token("s:one");
    expect(k.check("s:one", t)).toBe(true);
    expect(k.check("s:two", t)).toBe(false);
    expect(k.check("s:one", "")).toBe(false);
    expect(k.check("s:one", null)).toBe(false);
    expect(new Csrf().check("s:one", t)).toBe(false);
  });

  test("roles: admins run and approve, reviewers approve, readers neither", () => {
    expect(can({ name: "a", role: "admin" }, "run")).toBe(true);
    expect(can({ name: "r", role: "reviewer" }, "run")).toBe(false);
    expect(can({ name: "r", role: "reviewer" }, "approve")).toBe(true);
    expect(can({ name: "x", role: "read" }, "approve")).toBe(false);
    expect(can(undefined, "run")).toBe(false);
  });

  test("same origin: the Origin (or Referer) names the host asked", () => {
    expect(sameOrigin(req({ host: "ci.example:8080", origin: "http://ci.example:8080" }))).toBe(true);
    expect(sameOrigin(req({ host: "ci.example", referer: "https://ci.example/runs/1" }))).toBe(true);
    expect(sameOrigin(req({ host: "ci.example", origin: "https://evil.example" }))).toBe(false);
    expect(sameOrigin(req({ host: "ci.example", origin: "null" }))).toBe(false);
    expect(sameOrigin(req({ host: "ci.example" }))).toBe(false);
    expect(
      sameOrigin(req({ host: "10.0.0.1", "x-forwarded-host": "ci.example", origin: "https://ci.example" })),
    ).toBe(true);
    // A proxy that rewrites Host and says nothing: --public-url names the address people use.
    expect(sameOrigin(req({ host: "10.0.0.1:8080", origin: "https://ci.example" }))).toBe(false);
    expect(
      sameOrigin(req({ host: "10.0.0.1:8080", origin: "https://ci.example" }), "https://ci.example/"),
    ).toBe(true);
  });

  test("loopback host names (a rebound DNS name is not one)", () => {
    for (const h of ["localhost:8080", "127.0.0.1:1", "[::1]:8080", "127.1.2.3"])
      expect(loopbackHost(req({ host: h }))).toBe(true);
    for (const h of ["evil.example:8080", "10.0.0.1", ""]) expect(loopbackHost(req({ host: h }))).toBe(false);
  });

  test("failed sign-ins from an address are limited for a while", () => {
    let now = 0;
    const l = new SignInLimiter(3, 1000, () => now);
    for (let i = 0; i < 3; i++) l.failed("a");
    expect(l.blocked("a")).toBe(true);
    expect(l.blocked("b")).toBe(false);
    now = 1001;
    expect(l.blocked("a")).toBe(false);
  });

  test("after sign-in, only local paths are followed", () => {
    expect(localPath("/runs/3?x=1")).toBe("/runs/3?x=1");
    for (const p of ["//evil.example", "/\\evil.example", "https://evil.example", "", null, "runs"])
      expect(localPath(p)).toBe("/");
  });
});

/** Access over a real loopback server: the form checks in the order a POST meets them. */
describe("a form's POST", () => {
  async function withServer(access: Access, f: (url: string) => Promise<void>) {
    const srv = createServer((rq, rs) => {
      const go = async () => {
        if (rq.method === "GET") {
          const v = access.viewer(rq, rs);
          rs.end(JSON.stringify({ csrf: v.csrf, who: v.identity ?? null }));
          return;
        }
        if (rq.url === "/signin") {
          const { fields } = await access.form(rq);
          const who = await access.signIn(rq, rs, fields);
          rs.end(JSON.stringify(who));
          return;
        }
        const { identity } = await access.form(rq, "run");
        rs.end(JSON.stringify(identity));
      };
      go().catch((e: { status?: number; message: string }) => {
        rs.writeHead(e.status ?? 500);
        rs.end(e.message);
      });
    });
    await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
    try {
      await f(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`);
    } finally {
      srv.close();
    }
  }
  const call = (url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new Promise<{ status: number; body: string; cookies: string[] }>((ok, ko) => {
      const r = request(url, { method: o.method ?? "GET", headers: o.headers }, (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () =>
          ok({ status: res.statusCode ?? 0, body, cookies: res.headers["set-cookie"] ?? [] }),
        );
      });
      r.on("error", ko);
      r.end(o.body);
    });
  const jar = (cookies: string[]) => cookies.map((c) => c.split(";")[0]).join("; ");

  test("signs in with a token, then acts with the session's token; readers and forgers are refused", async () => {
    const access = new Access({ token: "adm", readToken: "rd" });
    await withServer(access, async (url) => {
      const first = await call(`${url}/`);
      const anon = jar(first.cookies);
      expect(first.cookies[0]).toMatch(
        /^slipway_csrf=[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400$/,
      );
      const csrf = JSON.parse(first.body).csrf as string;
      const post = (path: string, body: string, cookie: string, origin: string | null = url) =>
        call(`${url}${path}`, {
          method: "POST",
          headers: {
            cookie,
            "content-type": "application/x-www-form-urlencoded",
            ...(origin ? { origin } : {}),
          },
          body,
        });
      // Signing in needs the pre-sign-in token too (no login CSRF), and the right token.
      expect((await post("/signin", "token=adm", anon)).status).toBe(403);
      expect((await post("/signin", `_csrf=${csrf}&token=wrong`, anon)).body).toContain(
        "not one of this server's",
      );
      const signed = await post("/signin", `_csrf=${csrf}&token=adm`, anon);
      expect(signed.cookies[0]).toMatch(
        /^slipway_session=[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200$/,
      );
      const session = jar(signed.cookies);
      const mine = JSON.parse((await call(`${url}/`, { headers: { cookie: session } })).body).csrf as string;
      expect(mine).not.toBe(csrf);
      expect((await post("/act", `_csrf=${mine}`, session)).status).toBe(200);
      expect((await post("/act", `_csrf=${csrf}`, session)).status).toBe(403);
      expect((await post("/act", "", session)).status).toBe(403);
      expect((await post("/act", `_csrf=${mine}`, session, "http://evil.example")).status).toBe(403);
      expect((await post("/act", `_csrf=${mine}`, session, null)).status).toBe(403);
      // The read token signs in, and may not act.
      const rs = await post("/signin", `_csrf=${csrf}&token=rd`, anon);
      const reader = jar(rs.cookies);
      const rcsrf = JSON.parse((await call(`${url}/`, { headers: { cookie: reader } })).body).csrf as string;
      const refused = await post("/act", `_csrf=${rcsrf}`, reader);
      expect(refused.status).toBe(403);
      expect(refused.body).toBe("read-only (read) may not do this");
    });
  });

  test("behind https (x-forwarded-proto) or with --secure-cookies, cookies are Secure and __Host-", async () => {
    for (const [access, headers] of [
      [new Access({ token: "t" }), { "x-forwarded-proto": "https" }],
      [new Access({ token: "t", secureCookies: true }), {}],
    ] as const)
      await withServer(access, async (url) => {
        const first = await call(`${url}/`, { headers });
        expect(first.cookies[0]).toMatch(
          /^__Host-slipway_csrf=[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400; Secure$/,
        );
      });
    await withServer(new Access({ token: "t" }), async (url) => {
      expect((await call(`${url}/`)).cookies[0]).not.toContain("Secure");
    });
  });

  test("a server with no credentials: the machine's own browser acts, under a loopback name only", async () => {
    const access = new Access({});
    expect(access.open).toBe(true);
    await withServer(access, async (url) => {
      const first = await call(`${url}/`);
      expect(JSON.parse(first.body).who).toEqual({ name: "local", role: "admin" });
      const cookie = jar(first.cookies);
      const csrf = JSON.parse(first.body).csrf as string;
      const post = (host?: string) =>
        call(`${url}/act`, {
          method: "POST",
          headers: {
            cookie,
            origin: host ? `http://${host}` : url,
            ...(host ? { host } : {}),
          },
          body: `_csrf=${csrf}`,
        });
      expect((await post()).status).toBe(200);
      // A page of evil.example rebound to 127.0.0.1 is same-origin with itself: refused by name.
      const rebound = await post("evil.example:1234");
      expect(rebound.status).toBe(403);
      expect(rebound.body).toContain("only its own machine may act");
    });
  });
});
