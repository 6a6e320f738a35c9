import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { verifySignature } from "../src/notify/payload.js";
import { CHROMIUM, hasChromium, launchChromium } from "./helpers/browser.js";
import { ROOT } from "./helpers/cli.js";
import { api, type Server, slipwayProcess, stopAll, until } from "./helpers/serve.js";

// The issue's "Done when" click-through, in Debian's Chromium against a real `slipway serve`
// polling a real bare repository: a push runs (the graph and the log follow it live), the
// production deployment waits, a reviewer approves it on /approvals, the environment page shows
// it; a second push's health check fails, the automated rollback redeploys the first, the
// environment page and /dora say so, and a local receiver got every signed notification.

const HMAC = "cd-clickthrough-hmac";
const RITA = "rita-token-cd";
const PAT = "pat-token-cd";
const SHOTS =
  process.env.SLIPWAY_TEST_SCREENSHOTS || join(ROOT, ".slipway", "test-screenshots", "cd-clickthrough");

// build waits for a gate file (so the page can be watched while it runs); health reads STATUS.
const workflow = (gates: string) => `name: CD
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "building version $(cat VERSION)"
          while [ ! -f "${gates}/go" ]; do sleep 0.1; done
          echo "built version $(cat VERSION)"
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: production
      url: https://shop.example/\${{ github.sha }}
    steps:
      - run: echo "deploying version $(cat VERSION)"
  health:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: |
          if grep -q broken STATUS; then echo "health check failed: $(cat STATUS)"; exit 1; fi
          echo healthy
`;

interface Got {
  headers: IncomingMessage["headers"];
  body: string;
}
// Per back end: its folder (bare repository, clone, gates, server data), receiver and server.
let top: string;
let gates: string;
let bare: string;
let dev: string;
let got: Got[];
let srv: Server;
let seen: Set<number>;
/** The screenshots' prefix: none on SQLite, "postgres-" on PostgreSQL. */
let label = "";
const tops: string[] = [];
const receivers: HttpServer[] = [];

const git = (cwd: string, ...a: string[]) =>
  execFileSync(
    "git",
    ["-c", "user.name=pat", "-c", "user.email=pat@example.com", "-c", "commit.gpgsign=false", ...a],
    { cwd, encoding: "utf8" },
  ).trim();

/** Commits VERSION and STATUS in the developer's clone and pushes to the bare repository. */
function push(version: string, status: string): string {
  writeFileSync(join(dev, "VERSION"), `${version}\n`);
  writeFileSync(join(dev, "STATUS"), `${status}\n`);
  git(dev, "add", "-A");
  git(dev, "commit", "-qm", `version ${version} (${status})`);
  git(dev, "push", "-q", "origin", "HEAD:main");
  return git(dev, "rev-parse", "HEAD");
}

/** The run of the next queued entry not seen before (the poller's, or the rollback's). */
async function nextRun(what: string): Promise<{ queued: number; run: number }> {
  return until(
    what,
    async () => {
      const list = (await api(srv, "/api/queue")).body as unknown as { queued: number; run: number | null }[];
      const q = list.find((x) => !seen.has(x.queued) && x.run !== null);
      if (!q) return undefined;
      seen.add(q.queued);
      return { queued: q.queued, run: q.run! };
    },
    60_000,
  );
}

const finished = (queued: number) =>
  until(
    `queued run ${queued} to finish`,
    async () => {
      const q = (await api(srv, `/api/queue/${queued}`)).body;
      return q.state === "done" ? (q.exitCode as number) : undefined;
    },
    60_000,
  );

interface D {
  id: number;
  sha: string;
  status: string;
  kind: string;
  rollbackOf?: number;
  run: number;
  url?: string;
  approvedBy: string[];
}
interface Env {
  current?: D;
  history: D[];
  incidents: { id: number; deployment?: number; reason: string; closedAt?: number }[];
}
const production = async () => (await api(srv, "/api/environments/production")).body as unknown as Env;

/** A bare repository with the pipeline, a receiver, and `slipway serve` polling it (on `db` when given). */
async function start(name: string, db: string | undefined): Promise<void> {
  label = name === "sqlite" ? "" : `${name}-`;
  top = mkdtempSync(join(tmpdir(), "slipway-cd-clickthrough-"));
  tops.push(top);
  gates = join(top, "gates");
  bare = join(top, "origin.git");
  dev = join(top, "dev");
  got = [];
  seen = new Set();
  mkdirSync(gates);
  const mine = got;
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      mine.push({ headers: req.headers, body });
      res.end("ok");
    });
  });
  receivers.push(receiver);
  await new Promise<void>((ok) => receiver.listen(0, "127.0.0.1", ok));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  git(top, "init", "-q", "--bare", "-b", "main", bare);
  git(top, "clone", "-q", bare, dev);
  mkdirSync(join(dev, ".github/workflows"), { recursive: true });
  writeFileSync(join(dev, ".github/workflows/cd.yml"), workflow(gates));
  writeFileSync(join(dev, "VERSION"), "0\n");
  writeFileSync(join(dev, "STATUS"), "ok\n");
  git(dev, "add", "-A");
  git(dev, "commit", "-qm", "the pipeline");
  git(dev, "push", "-q", "origin", "HEAD:main");
  const config = join(top, "slipway-server.yml");
  writeFileSync(
    config,
    `users:
  pat: { role: admin, token-env: T_PAT, emails: [pat@example.com] }
  rita: { role: reviewer, token-env: T_RITA }
groups:
  release: [rita]
environments:
  production:
    reviewers: [release]
    auto-rollback: true
notifications:
  - name: receiver
    url: ${hook}
    secret-env: NOTIFY_HMAC
`,
  );
  const p = slipwayProcess(
    [
      "serve",
      "--port",
      "0",
      "--repo",
      bare,
      "--data",
      join(top, "data"),
      "--poll",
      "1",
      "--config",
      config,
      "--no-sandbox",
      "--no-schedules",
      ...(db ? ["--db", db] : []),
    ],
    top,
    { T_PAT: PAT, T_RITA: RITA, NOTIFY_HMAC: HMAC },
  );
  const url = await until("listening", () => /listening on (http:\/\/\S+)/.exec(p.out())?.[1], 20_000);
  srv = { ...p, url };
}

afterAll(async () => {
  for (const t of tops) writeFileSync(join(t, "gates", "go"), "");
  await stopAll();
  for (const r of receivers) {
    r.closeAllConnections();
    r.close();
  }
  for (const t of tops) rmSync(t, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!hasChromium)(
  `CD click-through in Chromium${hasChromium ? "" : ` (skipped: ${CHROMIUM} is missing; .ci/run installs Debian's chromium)`}`,
  () => {
    let browser: Browser;
    const problems: string[] = [];
    const shot = (page: Page, name: string) =>
      page.screenshot({ path: join(SHOTS, `${label}${name}.png`), fullPage: true });

    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    /** A page of the reviewer's browser context whose problems are collected. */
    async function watched(page: Page): Promise<Page> {
      page.on("dialog", (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()} (${m.location().url})`);
      });
      return page;
    }

    /** Reloads `page` until `check` says yes (the pages without live parts). */
    async function reloadUntil(page: Page, what: string, check: () => Promise<boolean>, ms = 60_000) {
      await until(
        what,
        async () => {
          await page.reload();
          return (await check()) ? true : undefined;
        },
        ms,
      );
    }

    /** Approves the deployment of `run` on /approvals, with a comment; its request's id. */
    async function approve(page: Page, run: number, comment: string): Promise<string> {
      await page.goto(`${srv.url}/approvals`);
      const row = page.locator("tr", { has: page.locator(`a[href="/runs/${run}"]`) });
      await reloadUntil(page, `run #${run}'s request on /approvals`, async () => (await row.count()) === 1);
      expect(await row.textContent()).toContain("0 of 1");
      await shot(page, `approvals-run-${run}`);
      const id = (await row.locator("form").getAttribute("action"))!.split("/").at(-1)!;
      await row.locator('input[name="comment"]').fill(comment);
      await row.locator('button[value="approve"]').click();
      await page.waitForURL(`${srv.url}/approvals`);
      expect(await page.locator("tr", { has: page.locator(`a[href="/runs/${run}"]`) }).count()).toBe(0);
      return id;
    }

    describe.each(backends())("$name", (b) => {
      beforeAll(async () => {
        await start(b.name, (await b.fresh()).url);
      }, 60_000);

      test("push → live run → approval → deployment → failed health check → automated rollback → DORA; notified", async () => {
        const t0 = Date.now();
        const ctx = await browser.newContext();
        const page = await watched(await ctx.newPage());
        const log = await watched(await ctx.newPage());
        // The reviewer signs in with her token.
        await page.goto(`${srv.url}/signin`);
        await page.locator('input[name="token"]').fill(RITA);
        await page.locator('form:has(input[name="token"]) button').click();
        await page.waitForURL((u) => u.pathname !== "/signin");
        expect(await page.locator("#me").textContent()).toContain("rita");

        // 1. A push: the poller queues a run; its page and its build log follow it live.
        const first = push("1", "ok");
        const one = await nextRun("the first push's run");
        await page.goto(`${srv.url}/runs/${one.run}`);
        await log.goto(`${srv.url}/runs/${one.run}/jobs/build`);
        // Marks that tell a reload from a live update.
        await page.evaluate("window.stayed = 1");
        await log.evaluate("window.stayed = 1");
        const status = (key: string) => page.locator(`.graph [data-job="${key}"] .js`);
        await expect.poll(() => status("build").textContent(), { timeout: 30_000 }).toBe("running");
        await expect
          .poll(() => log.locator("#log").textContent(), { timeout: 30_000 })
          .toContain("building version 1");
        expect(await log.locator("#log").textContent()).not.toContain("built version 1");
        await shot(page, "1-run-live-building");
        await shot(log, "1-build-log-live");
        writeFileSync(join(gates, "go"), "");
        await expect.poll(() => status("build").textContent(), { timeout: 30_000 }).toBe("success");
        await expect
          .poll(() => log.locator("#log").textContent(), { timeout: 30_000 })
          .toContain("built version 1");
        await expect
          .poll(() => log.locator("#job-status").textContent(), { timeout: 30_000 })
          .toBe("success");
        expect(await page.evaluate("window.stayed")).toBe(1);
        expect(await log.evaluate("window.stayed")).toBe(1);
        await log.close();

        // 2. The production job waits: the run page says so; the reviewer approves on /approvals.
        await reloadUntil(
          page,
          "the run page to show the deployment waiting",
          async () => (await page.locator('.graph [data-job="deploy"] .waits').count()) === 1,
        );
        expect(await page.locator('.graph [data-job="deploy"] .waits').textContent()).toBe(
          "waiting for approval to production",
        );
        await shot(page, "2-run-waiting-for-approval");
        const asked1 = await approve(page, one.run, "looks good");
        const decided = (await api(srv, `/api/approvals/${asked1}`)).body as unknown as {
          decision: { state: string; by: string };
          reviews: { reviewer: string; approved: boolean; comment: string }[];
        };
        expect(decided.decision).toMatchObject({ state: "approved", by: "rita" });
        expect(decided.reviews).toMatchObject([{ reviewer: "rita", approved: true, comment: "looks good" }]);
        expect(await finished(one.queued)).toBe(0);
        await page.goto(`${srv.url}/environments/production`);
        const current = page.locator("h2:has-text('Current deployment') + p");
        expect(await current.textContent()).toContain(first.slice(0, 12));
        expect(await current.locator("a", { hasText: `https://shop.example/${first}` }).count()).toBe(1);
        const d1 = (await production()).current!;
        expect(d1).toMatchObject({ sha: first, status: "active", kind: "deploy", approvedBy: ["rita"] });
        expect(await page.locator(`#d${d1.id} .st`).textContent()).toBe("active");
        await shot(page, "2-environment-deployed");

        // 3. A second push whose health check fails: approved again, deployed, then rolled back.
        const second = push("2", "broken");
        const two = await nextRun("the second push's run");
        await page.goto(`${srv.url}/runs/${two.run}`);
        await reloadUntil(
          page,
          "the second run to wait for approval",
          async () => (await page.locator('.graph [data-job="deploy"] .waits').count()) === 1,
        );
        await approve(page, two.run, "second try");
        await page.goto(`${srv.url}/runs/${two.run}`);
        await expect
          .poll(() => page.locator("#run-status").textContent(), { timeout: 60_000 })
          .toBe("failure");
        expect(await status("deploy").textContent()).toBe("success");
        expect(await status("health").textContent()).toBe("failure");
        await shot(page, "3-run-health-check-failed");
        const rollback = await nextRun("the automated rollback's run");
        expect(await finished(rollback.queued)).toBe(0);
        const env = await until("the rollback to be active and the incident closed", async () => {
          const x = await production();
          return x.current?.kind === "rollback" && x.incidents[0]?.closedAt ? x : undefined;
        });
        const d2 = env.history.find((d) => d.run === two.run)!;
        expect(d2).toMatchObject({ sha: second, status: "failed", kind: "deploy" });
        expect(env.current).toMatchObject({
          sha: first,
          status: "active",
          rollbackOf: d1.id,
          run: rollback.run,
          approvedBy: ["auto-rollback"],
        });
        await page.goto(`${srv.url}/environments/production`);
        expect(await page.locator(`#d${d2.id} .st`).textContent()).toBe("failed");
        const rb = page.locator(`#d${env.current!.id}`);
        expect(await rb.locator(".st").textContent()).toBe("active");
        expect(await rb.textContent()).toContain(`rollback of ${d1.id}`);
        expect(await current.textContent()).toContain(first.slice(0, 12));
        const incidents = page.locator("h2:has-text('Incidents') + table");
        expect(await incidents.textContent()).toContain(
          `run #${two.run} failed after deploy deployed ${second.slice(0, 12)} to production: health failed`,
        );
        await shot(page, "3-environment-rolled-back");

        // 4. /dora: three deployments, one a change failure, restored.
        await page.goto(`${srv.url}/dora?days=7`);
        const dora = page.locator("section.env", { has: page.locator("h2", { hasText: "production" }) });
        const row = (name: string) => dora.locator("tr", { has: page.locator("th", { hasText: name }) });
        // The first deployment, the failed one (its job succeeded) and the rollback.
        expect(await row("Deployment frequency").locator("td").first().textContent()).toMatch(/^3 in 7 days/);
        const cfr = await row("Change failure rate").textContent();
        expect(cfr).toContain("1 of 3 deployments");
        expect(Number(/([\d.]+)\s*%/.exec(cfr!)?.[1])).toBeGreaterThan(0);
        const restore = await row("Time to restore").textContent();
        expect(restore).toContain("1 restored");
        expect(restore).not.toContain("not yet");
        expect(await dora.locator("h3:has-text('Failures') + table").textContent()).toContain(
          `deployment ${d2.id} incident #${env.incidents[0]!.id}`,
        );
        await shot(page, "4-dora");

        // 5. The receiver got each notification once, signed.
        const types = () => got.map((g) => g.headers["x-slipway-event"]);
        const count = (t: string) => types().filter((x) => x === t).length;
        const expected: Record<string, number> = {
          "approval.needed": 2,
          "approval.given": 2,
          "deployment.done": 2,
          "deployment.rolled_back": 1,
          "run.failed": 1,
        };
        // Deliveries are not awaited by the runs: wait for them all, then check none came twice.
        await until("every notification", () =>
          Object.entries(expected).every(([t, n]) => count(t) >= n) ? true : undefined,
        );
        for (const [t, n] of Object.entries(expected)) expect(count(t), t).toBe(n);
        for (const g of got) {
          expect(verifySignature(g.body, HMAC, g.headers["x-slipway-signature-256"] as string)).toBe(true);
          expect(JSON.parse(g.body).event).toBe(g.headers["x-slipway-event"]);
        }
        const body = (t: string) => JSON.parse(got.find((g) => g.headers["x-slipway-event"] === t)!.body);
        expect(body("approval.given")).toMatchObject({ environment: "production", run: one.run, by: "rita" });
        expect(body("run.failed")).toMatchObject({ run: two.run, workflow: "CD", branch: "main" });
        expect(body("deployment.rolled_back")).toMatchObject({
          environment: "production",
          deployment: { run: rollback.run, kind: "rollback", sha: first },
        });

        // 6. No console errors on any page; the whole story well under a minute's budget.
        expect(problems).toEqual([]);
        await ctx.close();
        console.log(`cd click-through (${b.name}): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }, 180_000);
    });
  },
);
