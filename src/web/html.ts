import type { ServerResponse } from "node:http";
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

export const e = escapeHtml;

/**
 * Scripts and styles only from the server itself (/web/...), nothing inline: an injected
 * `<script>` or `on...=` attribute in a log or a summary would not run even if escaping failed.
 */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function when(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "";
}

export function duration(from: number | null | undefined, to: number | null | undefined): string {
  if (!from || !to) return "";
  const s = Math.max(0, Math.round((to - from) / 1000));
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m ${s % 60}s`
      : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** A result as a word and a class: null is a run or job still going. */
export function status(result: string | null | undefined): string {
  const r = result ?? "running";
  return `<span class="st ${e(r)}">${e(r)}</span>`;
}

/** Where the signed-in user's links go in every page's header (filled in by the routes). */
export const NAV = "<!--nav-->";

/** A page; `refresh`: reload every so many seconds (a page that follows something without script). */
export function page(title: string, body: string, script = false, refresh?: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
${refresh ? `<meta http-equiv="refresh" content="${refresh}">` : ""}<title>${e(title)}</title><link rel="stylesheet" href="/web/app.css">${script ? '<script src="/web/live.js" defer></script>' : ""}
</head><body><header><a href="/">Slipway</a>${NAV}</header><main>
${body}
</main></body></html>
`;
}

/**
 * An HTML answer: masked as the API's JSON is, with the CSP and no caching of live data.
 * Server-Timing says how long the page took since `started` (performance.now()).
 */
export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  mask: (t: string) => string,
  started?: number,
): void {
  const body = mask(html);
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
    ...(started !== undefined
      ? { "server-timing": `page;dur=${(performance.now() - started).toFixed(1)}` }
      : {}),
  });
  res.end(body);
}

/** A POST form carrying the page's CSRF token. */
export function postForm(action: string, csrf: string, inner: string, cls = "act"): string {
  return `<form class="${e(cls)}" method="post" action="${e(action)}"><input type="hidden" name="_csrf" value="${e(csrf)}">${inner}</form>`;
}
