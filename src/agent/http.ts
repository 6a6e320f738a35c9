// JSON over HTTP to a Slipway server (fetch: keep-alive connections, one per origin pool).

export class ServerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** POSTs `body` as JSON with a bearer token; the answer's JSON (undefined for 204). */
export async function post<T>(
  url: string,
  path: string,
  token: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<T | undefined> {
  const res = await fetch(new URL(path, url), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal,
  });
  if (res.status === 204) return undefined;
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {}
    throw new ServerError(res.status, `${path}: ${res.status} ${message}`);
  }
  return JSON.parse(text) as T;
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
