import { afterAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { tempRepo } from "./helpers/cli.js";
import { type Server, serve, stopAll } from "./helpers/serve.js";

// A dashboard session is signed with the server's key: a restarted server keeps it, and a
// replica on the same PostgreSQL database (one SLIPWAY_SECRET_KEY) accepts it and the forms
// another replica showed — a load balancer may send each request anywhere.

afterAll(async () => {
  await stopAll();
}, 60_000);

const TOKEN = "sessions-admin-token";
const READ = "sessions-read-token";
const KEY = "ab".repeat(32);

/** Signs in with the admin token as a browser does: the form's CSRF token, its cookie, same origin. */
async function signIn(s: Server): Promise<string> {
  const form = await fetch(`${s.url}/signin`);
  const anon = (form.headers.getSetCookie()[0] ?? "").split(";")[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  expect(csrf).toBeTruthy();
  const r = await fetch(`${s.url}/signin`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: anon, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: TOKEN, _csrf: csrf!, next: "/" }).toString(),
  });
  expect(r.status).toBe(303);
  const session = r.headers.getSetCookie().find((c) => c.startsWith("slipway_session="));
  expect(session).toBeTruthy();
  return session!.split(";")[0]!;
}

const home = (s: Server, cookie: string) => fetch(`${s.url}/`, { headers: { cookie }, redirect: "manual" });

describe.each(backends())("$name", (b) => {
  test("a signed-in session outlives a restart and is good on a replica; a forged one is not", async () => {
    const { url } = await b.fresh();
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml":
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
    });
    const env = { SLIPWAY_SECRET_KEY: KEY, SLIPWAY_DATABASE_URL: url ?? "" };
    const args = ["--agents", "0", "--no-schedules", "--token", TOKEN, "--read-token", READ];
    const a = await serve(repo, args, env);
    const cookie = await signIn(a);
    expect((await home(a, cookie)).status).toBe(200);
    expect((await home(a, "slipway_session=forged.value")).status).toBe(303);
    a.proc.kill("SIGTERM");
    await a.exited;
    // The same server started again: still signed in.
    const again = await serve(repo, args, env);
    const r = await home(again, cookie);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain("admin");
    if (!url) return;
    // A replica on the same database with the same key: the session, and a form's token, hold.
    const replica = await serve(repo, args, env);
    expect((await home(replica, cookie)).status).toBe(200);
    const page = await (await home(again, cookie)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(csrf).toBeTruthy();
    const out = await fetch(`${replica.url}/signout`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: replica.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf! }).toString(),
    });
    expect(out.status).toBe(303);
    expect((await home(replica, cookie)).status).toBe(303);
    // A replica with another key knows nobody.
    const other = await serve(repo, args, { ...env, SLIPWAY_SECRET_KEY: "cd".repeat(32) });
    expect((await home(other, cookie)).status).toBe(303);
  }, 90_000);
});
