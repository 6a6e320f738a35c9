import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CHROMIUM, hasChromium, launchChromium } from "./helpers/browser.js";
import { BIN, ROOT, tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, stopAll, until, webhook } from "./helpers/serve.js";

// Signing in to the dashboard and acting from it, in Debian's Chromium (playwright-core): an
// admin signs in with a password and re-runs, cancels and dispatches; a read-only user sees no
// buttons and a forged POST is refused. The server is the real `slipway serve`.

const SECRET = "hook-secret-a";
const TOKEN = "admin-token-a";
const READ_TOKEN = "read-token-a";
const gates = mkdtempSync(join(tmpdir(), "slipway-dashboard-auth-"));

const CI = `name: CI
on:
  push:
  workflow_dispatch:
    inputs:
      level:
        type: choice
        options: [low, high]
        required: true
        description: how loud
      loud:
        type: boolean
      count:
        type: number
        default: 1
jobs:
  build:
    if: github.ref != 'refs/heads/slow'
    runs-on: ubuntu-latest
    steps:
      - run: echo "level=\${{ inputs.level }} loud=\${{ inputs.loud }} count=\${{ inputs.count }}"
  flaky:
    needs: build
    if: github.event_name == 'push' && github.ref != 'refs/heads/slow'
    runs-on: ubuntu-latest
    steps:
      - run: test -f "${gates}/flaky-ok"
  slow:
    if: github.ref == 'refs/heads/slow'
    runs-on: ubuntu-latest
    steps:
      - run: while [ ! -f "${gates}/stop" ]; do sleep 0.05; done
`;

let repo: string;
let head: string;
let srv: Server;
let failed: number;
let delivery = 0;

const push = (branch: string) =>
  webhook(
    srv,
    "push",
    {
      ref: `refs/heads/${branch}`,
      before: "0".repeat(40),
      after: head,
      pusher: { name: "alice" },
      sender: { login: "alice" },
      repository: { full_name: "o/r" },
    },
    `a-${++delivery}`,
    SECRET,
  );

const bearer = { authorization: `Bearer ${TOKEN}` };

async function finished(queued: number): Promise<number> {
  return until(
    `queued run ${queued}`,
    async () => {
      const q = (await api(srv, `/api/queue/${queued}`, { headers: bearer })).body as {
        state?: string;
        run?: number;
      };
      return q.state === "done" && q.run ? q.run : undefined;
    },
    60_000,
  );
}

type Jobs = {
  jobs: { key: string; result: string | null; reason: string | null }[];
  result: string | null;
  attempt: number;
  attemptOf: number | null;
};
const runJson = async (n: number) =>
  (await api(srv, `/api/runs/${n}`, { headers: bearer })).body as unknown as Jobs;

beforeAll(async () => {
  repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI });
  execFileSync("git", ["branch", "slow"], { cwd: repo });
  head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  // The admin makes the hashes with the CLI, the password on stdin.
  const hash = (pw: string) => {
    const r = spawnSync(process.execPath, [BIN, "serve", "--hash-password"], {
      input: `${pw}\n`,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const passwords = join(gates, "passwords");
  writeFileSync(passwords, `alice:admin:${hash("alice pw")}\nrob:read:${hash("rob pw")}\n`);
  // One run at a time: a run pushed while another runs waits in the queue (the queue page's case).
  srv = await serve(repo, ["--password-file", passwords, "--read-token", READ_TOKEN, "--max-runs", "1"], {
    SLIPWAY_WEBHOOK_SECRET: SECRET,
    SLIPWAY_SERVER_TOKEN: TOKEN,
  });
  failed = await finished((await push("main")).body.queued as number);
}, 120_000);

afterAll(async () => {
  writeFileSync(join(gates, "stop"), "");
  await stopAll();
  rmSync(gates, { recursive: true, force: true });
}, 30_000);

describe("sign-in settings", () => {
  test("a bad password file is a usage error at file:line", () => {
    const bad = join(gates, "bad-passwords");
    writeFileSync(bad, "alice:owner:scrypt$1$1$1$a$b\n");
    const r = spawnSync(process.execPath, [BIN, "serve", "--password-file", bad, "--port", "0"], {
      cwd: repo,
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}:1:1: role 'owner' is not admin, reviewer or read`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

const SHOTS =
  process.env.SLIPWAY_TEST_SCREENSHOTS || join(ROOT, ".slipway", "test-screenshots", "dashboard-auth");

describe.skipIf(!hasChromium)(
  `dashboard sign-in and actions in Chromium${hasChromium ? "" : ` (skipped: ${CHROMIUM} is missing)`}`,
  () => {
    let browser: Browser;
    const problems: string[] = [];
    const shot = (page: Page, name: string) =>
      page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

    /** A browser context (its own cookies) signed in as `name`. */
    async function signedIn(name: string, password: string): Promise<{ ctx: BrowserContext; page: Page }> {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      page.on("dialog", (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        // A refused form answers 4xx on purpose; the browser logs that as a failed resource.
        if (m.type() === "error" && !/status of 4(03|22)/.test(m.text()))
          problems.push(`console: ${m.text()} (${m.location().url})`);
      });
      // With a read token, the pages send a visitor to sign in first, and back after.
      await page.goto(`${srv.url}/runs/${failed}`);
      expect(new URL(page.url()).pathname).toBe("/signin");
      await page.locator('input[name="name"]').fill(name);
      await page.locator('input[name="password"]').fill(password);
      await page.locator('form:has(input[name="password"]) button').click();
      await page.waitForURL(`${srv.url}/runs/${failed}`);
      expect(await page.locator("#me").textContent()).toContain(name);
      return { ctx, page };
    }

    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    test("a wrong password is refused and says so", async () => {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(`${srv.url}/signin`);
      await page.locator('input[name="name"]').fill("alice");
      await page.locator('input[name="password"]').fill("not it");
      await page.locator('form:has(input[name="password"]) button').click();
      expect(await page.locator(".error").textContent()).toBe("wrong name or password");
      await shot(page, "signin-refused");
      await ctx.close();
    });

    test("an admin re-runs the failed jobs (the others reused), then all jobs", async () => {
      const { ctx, page } = await signedIn("alice", "alice pw");
      expect(await page.locator("#run-status").textContent()).toBe("failure");
      await shot(page, "run-page-admin");
      writeFileSync(join(gates, "flaky-ok"), "");
      await page.locator("#rerun-failed").click();
      // The queued run's page follows it to its run page.
      await page.waitForURL((u) => /^\/runs\/\d+$/.test(u.pathname) && u.pathname !== `/runs/${failed}`, {
        timeout: 60_000,
      });
      const again = Number(page.url().split("/").at(-1));
      expect(again).toBeGreaterThan(failed);
      await until("the re-run's end", async () => ((await runJson(again)).result ? true : undefined), 60_000);
      const r = await runJson(again);
      expect(r.result).toBe("success");
      expect(r.jobs.find((j) => j.key === "build")?.reason).toMatch(/^reused \(run \d+/);
      expect(r.jobs.find((j) => j.key === "flaky")?.result).toBe("success");
      // A new attempt of the failed run, as GitHub's re-runs are.
      expect([r.attempt, r.attemptOf]).toEqual([2, failed]);
      // Re-run all: nothing is reused.
      await page.goto(`${srv.url}/runs/${again}`);
      expect(await page.locator("#rerun-failed").count()).toBe(0);
      await page.locator("#rerun-all").click();
      await page.waitForURL((u) => /\/runs\/\d+$/.test(u.pathname) && u.pathname !== `/runs/${again}`, {
        timeout: 60_000,
      });
      const all = Number(page.url().split("/").at(-1));
      await until(
        "the second re-run's end",
        async () => ((await runJson(all)).result ? true : undefined),
        60_000,
      );
      const a = await runJson(all);
      expect(a.result).toBe("success");
      expect(a.jobs.find((j) => j.key === "build")?.reason ?? "").not.toMatch(/^reused/);
      expect([a.attempt, a.attemptOf]).toEqual([3, failed]);
      await page.goto(`${srv.url}/runs/${all}`);
      expect(await page.locator("#attempt").textContent()).toBe(`3 of run #${failed}`);
      // The runs list says which runs are attempts of which.
      await page.goto(`${srv.url}/`);
      expect(await page.locator(`tr[data-run="${all}"] .attempt`).textContent()).toBe(
        `attempt 3 of #${failed}`,
      );
      await shot(page, "rerun-all");
      expect(problems).toEqual([]);
      await ctx.close();
    }, 180_000);

    test("an admin cancels a slow run from its page", async () => {
      const { ctx, page } = await signedIn("alice", "alice pw");
      const queued = (await push("slow")).body.queued as number;
      const n = await until("the slow run", async () => {
        const q = (await api(srv, `/api/queue/${queued}`, { headers: bearer })).body as { run?: number };
        if (!q.run) return undefined;
        const r = await fetch(`${srv.url}/runs/${q.run}`, { headers: bearer });
        return r.status === 200 && (await r.text()).includes('id="cancel"') ? q.run : undefined;
      });
      // A run queued behind it is cancelled from the queue page, before it starts.
      const behind = (await push("main")).body.queued as number;
      await page.goto(`${srv.url}/queue`);
      const row = page.locator(`tr[data-queued="${behind}"]`);
      expect(await row.locator(".why").textContent()).toBe(`waits for #${n} to finish`);
      await shot(page, "queue-waiting");
      await row.locator("button").click();
      await page.waitForURL(`${srv.url}/queue`);
      expect(await page.locator(`tr[data-queued="${behind}"]`).count()).toBe(0);
      expect((await api(srv, `/api/queue/${behind}`, { headers: bearer })).body.state).toBe("cancelled");
      await page.goto(`${srv.url}/runs/${n}`);
      const job = page.locator('.graph [data-job="slow"] .js');
      await expect.poll(() => job.textContent(), { timeout: 20_000 }).toBe("running");
      await shot(page, "run-page-cancel");
      await page.locator("#cancel").click();
      await page.waitForURL(`${srv.url}/runs/${n}`);
      // The page follows the run to its end, and the cancel button goes with it.
      await expect
        .poll(() => page.locator("#run-status").textContent(), { timeout: 30_000 })
        .toBe("cancelled");
      await expect.poll(() => page.locator("#cancel").count()).toBe(0);
      await page.reload();
      expect(await page.locator("#rerun-failed").count()).toBe(1);
      expect(problems).toEqual([]);
      await ctx.close();
    }, 90_000);

    test("an admin starts a workflow from its form; bad inputs are refused with the reason", async () => {
      const { ctx, page } = await signedIn("alice", "alice pw");
      await page.locator('header a[href="/workflows"]').click();
      await page.locator('a[href="/workflows/ci.yml"]').click();
      await shot(page, "workflow-form");
      expect(await page.locator("#i-level option").allTextContents()).toEqual(["low", "high"]);
      await page.locator("#i-level").selectOption("high");
      await page.locator("#i-loud").check();
      await page.locator("#i-count").fill("ten");
      await page.locator("#dispatch").click();
      expect(await page.locator(".dispatch .bad").textContent()).toBe("count: 'ten' is not a number");
      // The form comes back with what was chosen.
      expect(await page.locator("#i-level").inputValue()).toBe("high");
      expect(await page.locator("#i-loud").isChecked()).toBe(true);
      await shot(page, "workflow-form-refused");
      await page.locator("#i-count").fill("3");
      await page.locator("#dispatch").click();
      await page.waitForURL(/\/runs\/\d+$/, { timeout: 60_000 });
      const n = Number(page.url().split("/").at(-1));
      await until(
        "the dispatched run's end",
        async () => ((await runJson(n)).result ? true : undefined),
        60_000,
      );
      const log = await (await fetch(`${srv.url}/runs/${n}/jobs/build/log.txt`, { headers: bearer })).text();
      expect(log).toContain("level=high loud=true count=3");
      await page.reload();
      expect(await page.locator(".trigger").textContent()).toContain("actoralice");
      expect(problems).toEqual([]);
      await ctx.close();
    }, 120_000);

    test("a read-only user sees no buttons, and forged or token-less POSTs are refused", async () => {
      const { ctx, page } = await signedIn("rob", "rob pw");
      expect(await page.locator("#me").textContent()).toContain("rob (read)");
      expect(await page.locator(".controls form").count()).toBe(0);
      await page.goto(`${srv.url}/workflows/ci.yml`);
      expect(await page.locator("form.dispatch").count()).toBe(0);
      await page.goto(`${srv.url}/queue`);
      expect(await page.locator("main form").count()).toBe(0);
      await page.goto(`${srv.url}/workflows/ci.yml`);
      await shot(page, "read-only");
      // His own page's token, sent by hand: signed in, same origin, right token, wrong role.
      const token = await page.locator('header input[name="_csrf"]').inputValue();
      const status = (body: string) =>
        page.evaluate(
          async ([url, b]) =>
            (
              await fetch(url as string, {
                method: "POST",
                headers: { "content-type": "application/x-www-form-urlencoded" },
                body: b as string,
              })
            ).status,
          [`/runs/${failed}/rerun`, body],
        );
      expect(await status(`_csrf=${token}&jobs=all`)).toBe(403);
      // An admin's session without the form's token, or from another site: refused too.
      const admin = await signedIn("alice", "alice pw");
      const cookie = (await admin.ctx.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
      const forged = (headers: Record<string, string>, body: string) =>
        fetch(`${srv.url}/runs/${failed}/rerun`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
          body,
        });
      const adminToken = await admin.page.locator('header input[name="_csrf"]').inputValue();
      expect((await forged({ origin: srv.url }, "jobs=all")).status).toBe(403);
      expect((await forged({ origin: srv.url }, `_csrf=${token}&jobs=all`)).status).toBe(403);
      expect((await forged({ origin: "http://evil.example" }, `_csrf=${adminToken}&jobs=all`)).status).toBe(
        403,
      );
      expect((await forged({}, `_csrf=${adminToken}&jobs=all`)).status).toBe(403);
      // The same form, sent right, is taken (so the refusals above were the checks').
      expect((await forged({ origin: srv.url }, `_csrf=${adminToken}&jobs=all`)).status).toBe(303);
      // Signing out ends the session: its cookie no longer opens the pages.
      await admin.page.locator("#signout").click();
      await admin.page.waitForURL(/\/signin/);
      const after = await fetch(`${srv.url}/`, { headers: { cookie }, redirect: "manual" });
      expect(after.status).toBe(303);
      expect(problems).toEqual([]);
      await admin.ctx.close();
      await ctx.close();
    }, 90_000);

    test("the queue page shows the agents, what they run and their utilisation", async () => {
      const { ctx, page } = await signedIn("rob", "rob pw");
      await page.locator('header a[href="/queue"]').click();
      expect(await page.locator("h1").textContent()).toBe("Queue and agents");
      expect(await page.locator("table.agents").textContent()).toContain("built-in-1");
      expect(await page.locator(".spark svg polyline").count()).toBe(1);
      expect(await page.locator(".spark figcaption").textContent()).toMatch(/busy job slots: now \d+ %/);
      await shot(page, "queue-page");
      expect(problems).toEqual([]);
      await ctx.close();
    });
  },
);
