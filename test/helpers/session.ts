// A dashboard session as a browser gets one: the sign-in page's CSRF token, then a token
// signed in, the session cookie kept; and the CSRF token a page's forms carry.
export async function signIn(url: string, token: string): Promise<string> {
  const first = await fetch(`${url}/signin`);
  const anon = first.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .join("; ");
  const r = await fetch(`${url}/signin`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: anon, origin: url, "content-type": "application/x-www-form-urlencoded" },
    body: `_csrf=${encodeURIComponent(formToken(await first.text()))}&token=${encodeURIComponent(token)}&next=/`,
  });
  if (r.status !== 303) throw new Error(`sign-in refused: ${r.status}`);
  return r.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .filter((c) => c.includes("session"))
    .join("; ");
}

/** The CSRF token of a page's first form. */
export function formToken(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("the page has no form");
  return m[1]!;
}

/** Posts a form as the page would (same origin, the session's cookie). */
export function postForm(url: string, path: string, cookie: string, fields: Record<string, string>) {
  return fetch(`${url}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, origin: url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
}
