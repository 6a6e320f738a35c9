import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > max) return Promise.reject(new HttpError(413, `the body is larger than ${max} bytes`));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (d: Buffer) => {
      size += d.length;
      if (size > max) {
        // The rest is read and dropped, so the client gets the answer; the connection is
        // then closed (the error answer says connection: close).
        req.removeAllListeners("data");
        req.resume();
        reject(new HttpError(413, `the body is larger than ${max} bytes`));
        return;
      }
      parts.push(d);
    });
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request's JSON body (at most `max` bytes), or a 400. */
export async function readJson<T>(req: IncomingMessage, max: number): Promise<T> {
  const body = await readBody(req, max);
  try {
    return JSON.parse(body.toString("utf8")) as T;
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
}

/** The bearer token of a request, or undefined. */
export function bearer(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization ?? "";
  return auth.startsWith("Bearer ") ? auth.slice(7) : undefined;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  mask: (t: string) => string = (t) => t,
): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(`${mask(JSON.stringify(body))}\n`);
}
