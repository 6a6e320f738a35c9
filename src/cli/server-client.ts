// The CLI's calls to a Slipway server's API (`slipway deploy rollback`, `slipway agent
// remove`): --server URL (or SLIPWAY_SERVER_URL) and --token T (or SLIPWAY_SERVER_TOKEN).
import { UsageError } from "./common.js";

export interface ServerAnswer {
  status: number;
  ok: boolean;
  body: Record<string, unknown>;
  /** The server's `error`, else its text. */
  error: string;
}

export interface ServerClient {
  /** The server's address, for messages. */
  origin: string;
  /** Throws what fetch throws when the server cannot be reached (see `unreachable`). */
  call(method: string, path: string, body?: unknown): Promise<ServerAnswer>;
}

export function serverClient(values: { server?: string; token?: string }): ServerClient {
  const server = values.server ?? process.env.SLIPWAY_SERVER_URL;
  if (!server) throw new UsageError("--server URL is required (or SLIPWAY_SERVER_URL)");
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new UsageError(`--server expects a URL, got '${server}'`);
  }
  const token = values.token ?? process.env.SLIPWAY_SERVER_TOKEN;
  const root = base.href.endsWith("/") ? base.href : `${base.href}/`;
  return {
    origin: base.origin,
    async call(method, path, body) {
      const r = await fetch(new URL(path, root), {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await r.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {}
      return { status: r.status, ok: r.ok, body: parsed, error: String(parsed.error ?? text.trim()) };
    },
  };
}

/** `slipway CMD: cannot reach ORIGIN: why` for a fetch that failed. */
export function unreachable(cmd: string, c: ServerClient, e: unknown): string {
  const err = e as Error;
  return `slipway ${cmd}: cannot reach ${c.origin}: ${(err.cause as Error | undefined)?.message ?? err.message}`;
}
