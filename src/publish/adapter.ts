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

/** An HTTP GET that answers undefined for 404 and throws for other failures. */
export async function getBytes(
  url: string,
  headers: Record<string, string> = {},
): Promise<Buffer | undefined> {
  const res = await fetch(url, { headers, redirect: "follow" });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  return Buffer.from(await res.arrayBuffer());
}
