import { e, page, postForm } from "./html.js";

/** Only local paths (not //host or a scheme): where to go after signing in. */
export function localPath(p: string | null | undefined): string {
  return p && /^\/(?![/\\])[^\s]*$/.test(p) ? p : "/";
}

export function signInPage(o: {
  csrf: string;
  next: string;
  error?: string;
  passwords: boolean;
  open: boolean;
}): string {
  if (o.open)
    return page(
      "Sign in",
      `<h1>Sign in</h1><p>This server has no credentials (no --token, --read-token or --password-file): its pages are open, and only this machine (a browser on loopback) may cancel, re-run or dispatch runs.</p>`,
    );
  const err = o.error ? `<p class="error" role="alert">${e(o.error)}</p>` : "";
  const next = `<input type="hidden" name="next" value="${e(o.next)}">`;
  const password = o.passwords
    ? `<h2>With a name and password</h2>${postForm(
        "/signin",
        o.csrf,
        `${next}<label>Name <input name="name" autocomplete="username" required></label><label>Password <input name="password" type="password" autocomplete="current-password" required></label><button>Sign in</button>`,
        "signin",
      )}`
    : "";
  return page(
    "Sign in",
    `<h1>Sign in</h1>${err}${password}<h2>With a token</h2>${postForm(
      "/signin",
      o.csrf,
      `${next}<label>Token <input name="token" type="password" autocomplete="off" required></label><button>Sign in</button>`,
      "signin",
    )}<p class="why">The server's admin or read-only token, or a user's token from its configuration.</p>`,
  );
}
