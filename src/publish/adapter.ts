import type { Entry } from "./archive.js";
import type { Context } from "./context.js";
import type { Artifact, Pkg } from "./types.js";

/** A package's archives with their files, as built for publishing. */
export interface Prepared {
  pkg: Pkg;
  artifacts: (Artifact & { entries: Entry[] })[];
}

/** Whether the registry already has this version, and if so whether it is the same content. */
export type Presence = "absent" | "same" | "different";

export type Outcome = { ok: true; note?: string } | { ok: false; message: string; alreadyExists?: boolean };

/** What publishing needs to know about one ecosystem; each talks to its registry its own way. */
export interface Adapter {
  /** Builds every package's archive(s) into ctx.tmp, without publishing. */
  prepare(pkgs: Pkg[], ctx: Context): Promise<Prepared[]>;
  /** Looks the version up in the registry and compares it with the local archive. */
  presence(p: Prepared, ctx: Context): Promise<Presence>;
  /** Publishes with the ecosystem's own client. */
  publish(p: Prepared, ctx: Context): Promise<Outcome>;
  /** Whether the registry serves the version now (what a dependant's install would see). */
  served(p: Prepared, ctx: Context): Promise<boolean>;
  /** Installs the version into a clean temporary environment and uses it. */
  smoke(p: Prepared, ctx: Context): Promise<Outcome>;
}

/**
 * An HTTP GET that answers undefined for 404 and throws for other failures. With
 * `sameOrigin`, a redirect to another server is "not here" too: a private index that sends
 * unknown names on to the public one must not answer for it.
 */
export async function getBytes(
  url: string,
  headers: Record<string, string> = {},
  sameOrigin = false,
): Promise<Buffer | undefined> {
  let at = url;
  let res = await fetchAgain(at, { headers, redirect: "manual" });
  for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 5; hops++) {
    const next = new URL(res.headers.get("location") ?? "", at);
    if (sameOrigin && next.origin !== new URL(at).origin) return undefined;
    at = next.toString();
    res = await fetchAgain(at, { headers, redirect: "manual" });
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET ${at}: ${res.status} ${res.statusText}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * fetch, tried again when the connection fails before an answer: a pooled keep-alive
 * connection the server has just closed fails that way, and so does a registry restarting.
 */
export async function fetchAgain(url: string, init: RequestInit, tries = 3): Promise<Response> {
  for (let n = 1; ; n++) {
    try {
      return await fetch(url, init);
    } catch (e) {
      if (n >= tries) throw e;
      await new Promise((r) => setTimeout(r, 100 * n));
    }
  }
}
