// Who a bearer token is: the users of slipway-server.yml (`users:`, each with a role and the
// sha256 of its token), and the server's own --token (an admin named "admin") and --read-token
// ("read-only", as the dashboard names it). The dashboard's sign-in and the API both ask here.
import { timingSafeEqual } from "node:crypto";
import { type CdConfig, type Role, sha256, type UserDef } from "./config.js";

export interface User {
  name: string;
  role: Role;
}

export class Users {
  private readonly byHash: { hash: Buffer; user: UserDef }[];

  constructor(
    private readonly config: Pick<CdConfig, "users">,
    private readonly tokens: { admin?: string; read?: string } = {},
  ) {
    this.byHash = [...config.users.values()]
      .filter((u) => u.tokenSha256)
      .map((u) => ({ hash: Buffer.from(u.tokenSha256!, "hex"), user: u }));
  }

  /** The user a token is, or undefined (compared in constant time, by hash). */
  userForToken(token: string | undefined): User | undefined {
    if (!token) return undefined;
    const h = Buffer.from(sha256(token), "hex");
    let found: UserDef | undefined;
    for (const x of this.byHash) if (timingSafeEqual(x.hash, h)) found ??= x.user;
    if (found) return { name: found.name, role: found.role };
    if (this.tokens.admin && same(token, this.tokens.admin)) return { name: "admin", role: "admin" };
    if (this.tokens.read && same(token, this.tokens.read)) return { name: "read-only", role: "read" };
    return undefined;
  }

  /** A configured user by name (any case). */
  get(name: string): UserDef | undefined {
    return this.config.users.get(name.toLowerCase());
  }

  admins(): string[] {
    const out = [...this.config.users.values()]
      .filter((u) => u.role === "admin")
      .map((u) => u.name.toLowerCase());
    return this.tokens.admin ? [...out, "admin"] : out;
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(sha256(a), "hex");
  const y = Buffer.from(sha256(b), "hex");
  return timingSafeEqual(x, y);
}

let current: Users | undefined;

/** Makes `users` the server's (serve does, at start). */
export function setUsers(users: Users): void {
  current = users;
}

/** The server's user for a token: for code with no Users at hand (the dashboard's sign-in). */
export function userForToken(token: string | undefined): User | undefined {
  return current?.userForToken(token);
}
