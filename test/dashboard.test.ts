import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CHROMIUM, hasChromium, launchChromium } from "./helpers/browser.js";
import { ROOT, tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, stopAll, until, webhook } from "./helpers/serve.js";

// The dashboard of `slipway serve`, served by the real server process over real runs; the
// browser tests drive Debian's Chromium (installed by .ci/run) with playwright-core.

const SECRET = "hook-secret-d";
const TOKEN = "api-token-d";
// A secret with the characters HTML escapes: masked in pages as they write it.
const SECRET_VALUE = "x<y&z>w";
const gates = mkdtempSync(join(tmpdir(), "slipway-dashboard-gates-"));

const CI = `on: [push, workflow_dispatch]
jobs:
  build:
    if: github.ref != 'refs/heads/slow'
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [1, 2]
    steps:
      - run: |
          echo "::group::Setup things"
          echo "inside the group"
          echo "::endgroup::"
          printf '\\033[31mred text\\033[0m plain\\n'
          echo "::warning file=a.txt,line=3::look at this"
          echo '## Report <script>document.body.dataset.pwned = "1"; alert(1)</script> <img src=x onerror="alert(2)"> **bold**' >> "$GITHUB_STEP_SUMMARY"
          mkdir -p out && echo "artifact body" > out/a.txt
      - uses: actions/upload-artifact@v4
        with:
          name: out-\${{ matrix.n }}
          path: out
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo done
  slow:
    if: github.ref == 'refs/heads/slow'
    runs-on: ubuntu-latest
    steps:
      - run: echo waiting
      - run: while [ ! -f "${gates}/go-\${{ github.run_number }}" ] && [ ! -f "${gates}/stop" ]; do sleep 0.05; done
      - run: echo "went on"
  gpu:
    if: github.ref == 'refs/heads/gpu'
    runs-on: [self-hosted, gpu]
    steps:
      - run: echo never
`;

let repo: string;
let head: string;
let srv: Server;
/** Run numbers: main pushed by alice, a dispatch on main, feature pushed by bob. */
const runs: Record<string, number> = {};
let delivery = 0;

const push = (branch: string, actor: string) =>
  webhook(
    srv,
    "push",
    {
      ref: `refs/heads/${branch}`,
      before: "0".repeat(40),
      after: head,
      pusher: { name: actor },
      sender: { login: actor },
      repository: { full_name: "o/r" },
    },
    `d-${++delivery}`,
    SECRET,
  );

/** The run a queued request became, once it has ended. */
async function finished(queued: number): Promise<number> {
  return until(
    `queued run ${queued}`,
    async () => {
      const q = (await api(srv, `/api/queue/${queued}`)).body as { state?: string; run?: number };
      return q.state === "done" && q.run ? q.run : undefined;
    },
    60_000,
  );
}

async function html(path: string): Promise<string> {
  const r = await fetch(`${srv.url}${path}`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-security-policy")).toContain("script-src 'self'");
  return r.text();
}

const listed = (page: string) => [...page.matchAll(/<tr data-run="(\d+)">/g)].map((m) => Number(m[1]));

beforeAll(async () => {
  repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI });
  execFileSync("git", ["branch", "feature"], { cwd: repo });
  execFileSync("git", ["branch", "slow"], { cwd: repo });
  execFileSync("git", ["branch", "gpu"], { cwd: repo });
  head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  const secrets = join(gates, "secrets.env");
  writeFileSync(secrets, `MY_SECRET=${SECRET_VALUE}\n`);
  srv = await serve(repo, ["--secret-file", secrets], {
    SLIPWAY_WEBHOOK_SECRET: SECRET,
    SLIPWAY_SERVER_TOKEN: TOKEN,
  });
  const queued = async (r: Promise<{ body: Record<string, unknown> }>) => (await r).body.queued as number;
  runs.alice = await finished(await queued(push("main", "alice")));
  runs.dispatch = await finished(
    await queued(
      api(srv, "/api/runs", {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ ref: "main" }),
      }),
    ),
  );
  runs.bob = await finished(await queued(push("feature", "bob")));
}, 180_000);

afterAll(async () => {
  writeFileSync(join(gates, "stop"), "");
  await stopAll();
  rmSync(gates, { recursive: true, force: true });
}, 30_000);

describe("dashboard pages", () => {
  test("the runs list filters by branch, event, result and actor, and pages by run number", async () => {
    const all = listed(await html("/"));
    expect(all).toEqual([runs.bob, runs.dispatch, runs.alice]);
    expect(listed(await html("/?branch=feature"))).toEqual([runs.bob]);
    expect(listed(await html("/?event=workflow_dispatch"))).toEqual([runs.dispatch]);
    expect(listed(await html("/?actor=alice"))).toEqual([runs.alice]);
    expect(listed(await html("/?result=success&branch=main"))).toEqual([runs.dispatch, runs.alice]);
    expect(listed(await html("/?result=failure"))).toEqual([]);
    expect(listed(await html("/?workflow=ci.yml&actor=bob"))).toEqual([runs.bob]);
    expect(listed(await html("/?workflow=other.yml"))).toEqual([]);
    expect(listed(await html("/?result=running"))).toEqual([]);
    // Pages of one: the link to the older page carries the filter and the keyset.
    const first = await html("/?branch=main&limit=1");
    expect(listed(first)).toEqual([runs.dispatch]);
    const older = /<a rel="next" href="([^"]+)"/.exec(first)?.[1]?.replaceAll("&amp;", "&");
    expect(older).toBe(`/?branch=main&limit=1&before=${runs.dispatch}`);
    const second = await html(older!);
    expect(listed(second)).toEqual([runs.alice]);
    expect(second).not.toContain('rel="next"');
    // The page is masked as the API is (here the API token, echoed by the form).
    const masked = await html(`/?actor=${TOKEN}`);
    expect(masked).not.toContain(TOKEN);
    expect(masked).toContain('value="***"');
    const escaped = await html(`/?actor=${encodeURIComponent(SECRET_VALUE)}`);
    expect(escaped).toContain('value="***"');
    expect(escaped).not.toContain("x&lt;y");
    // What the filter says is escaped back into the form.
    expect(await html('/?actor="><script>x</script>')).toContain(
      'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"',
    );
  });

  test("the run page shows the trigger, the graph by stage with matrix legs, and links to the jobs", async () => {
    const page = await html(`/runs/${runs.bob}`);
    expect(page).toContain("refs/heads/feature");
    expect(page).toContain(head);
    expect(page).toContain("<dt>actor</dt><dd>bob</dd>");
    const stages = page.split('class="stage"').slice(1);
    expect(stages).toHaveLength(2);
    expect(stages[0]).toContain(`href="/runs/${runs.bob}/jobs/build.1"`);
    expect(stages[0]).toContain(`href="/runs/${runs.bob}/jobs/build.2"`);
    expect(stages[1]).toContain('needs <a href="#job-build">build</a>');
    expect((await fetch(`${srv.url}/runs/999`)).status).toBe(404);
    expect((await fetch(`${srv.url}/runs/${runs.bob}/jobs/nope`)).status).toBe(404);
  });

  test("artifacts download by the names the run recorded; other paths are refused", async () => {
    const base = `/runs/${runs.alice}/artifacts/out-1/`;
    expect(await html(base)).toContain('<a href="a.txt">a.txt</a>');
    const file = await fetch(`${srv.url}${base}a.txt`);
    expect(file.status).toBe(200);
    expect(await file.text()).toBe("artifact body\n");
    // Raw paths (fetch would resolve the dots itself).
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((ok, ko) => {
        request(`${srv.url}${path}`, (res) => {
          let body = "";
          res.on("data", (d) => {
            body += d;
          });
          res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
        })
          .on("error", ko)
          .end();
      });
    for (const path of [
      `${base}..%2F..%2Fevents.jsonl`,
      `${base}..%2Fout-1.artifact.json`,
      `${base}%2Fetc%2Fpasswd`,
      `/runs/${runs.alice}/artifacts/..%2Flogs/build.1.log`,
      `/runs/${runs.alice}/artifacts/..%2F..%2F..%2F..%2F/x`,
      `/runs/${runs.alice}/artifacts/out-1/../../events.jsonl`,
    ]) {
      const r = await raw(path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('"type":');
    }
  });
});

describe("dashboard and the read token", () => {
  test("with --read-token, pages need a sign-in or the token (or the admin token) as the API does", async () => {
    const other = tempRepo(undefined, {});
    const s = await serve(other, ["--read-token", "reader-d", "--agents", "0"], {
      SLIPWAY_SERVER_TOKEN: TOKEN,
    });
    for (const path of ["/", "/runs/1", "/workflows", "/queue"]) {
      const r = await fetch(`${s.url}${path}`, { redirect: "manual" });
      expect(r.status, path).toBe(303);
      expect(r.headers.get("location"), path).toBe(`/signin?next=${encodeURIComponent(path)}`);
    }
    expect((await fetch(`${s.url}/api/runs`)).status).toBe(401);
    // The style sheet holds nothing of the repository: the sign-in page needs it.
    expect((await fetch(`${s.url}/web/app.css`)).status).toBe(200);
    for (const t of ["reader-d", TOKEN]) {
      const r = await fetch(`${s.url}/`, { headers: { authorization: `Bearer ${t}` } });
      expect(r.status).toBe(200);
      expect(await r.text()).toContain("No runs match.");
    }
    s.proc.kill("SIGTERM");
    await s.exited;
  }, 60_000);
});

/** Where the browser tests leave a screenshot of each page they checked (kept after the run; .slipway/ is ignored by git). */
const SHOTS = process.env.SLIPWAY_TEST_SCREENSHOTS || join(ROOT, ".slipway", "test-screenshots", "dashboard");
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe.skipIf(!hasChromium)(
  `dashboard in Chromium${hasChromium ? "" : ` (skipped: ${CHROMIUM} is missing; .ci/run installs Debian's chromium)`}`,
  () => {
    let browser: Browser;
    const problems: string[] = [];
    const open = async (path: string): Promise<Page> => {
      const page = await browser.newPage();
      page.on("dialog", (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()} (${m.location().url})`);
      });
      await page.goto(`${srv.url}${path}`);
      return page;
    };

    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    test("a job page renders the log: a group fold, an ANSI colour, an annotation at its line", async () => {
      const page = await open(`/runs/${runs.alice}/jobs/build.1`);
      const fold = page.locator("#log details").first();
      expect(await fold.locator("summary").textContent()).toBe("Setup things");
      expect(await fold.getAttribute("open")).not.toBeNull();
      await expect.poll(() => fold.locator(".l .t").first().textContent()).toBe("inside the group");
      await fold.locator("summary").click();
      expect(await fold.locator(".l").first().isVisible()).toBe(false);
      const red = page.locator("#log .f1", { hasText: "red text" });
      expect(
        await red.evaluate(
          (el) =>
            (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(
              el,
            ).color,
        ),
      ).toBe("rgb(255, 123, 114)");
      // The annotation's line is marked, and the list above links to it.
      const link = page.locator(".annotations a").first();
      const anchor = await link.getAttribute("href");
      expect(anchor).toMatch(/^#L\d+$/);
      const line = page.locator(anchor!);
      expect(await line.getAttribute("class")).toContain("ann warning");
      expect(await line.textContent()).toContain("look at this");
      await link.click();
      expect(new URL(page.url()).hash).toBe(anchor);
      // Search hides the lines without the text; times show on request.
      await page.locator("#log-search").fill("RED TEXT");
      expect(await page.locator("#log .l:visible").count()).toBe(1);
      expect(await page.locator("#log-found").textContent()).toBe("1 line(s)");
      await page.locator("#log-search").fill("");
      expect(await page.locator("#log .l:visible").count()).toBeGreaterThan(5);
      expect(await page.locator("#log .ts").first().isVisible()).toBe(false);
      await page.locator("#log-times").check();
      await shot(page, "job-page");
      expect(await page.locator("#log .ts").first().textContent()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
      expect(problems).toEqual([]);
    });

    test("a step summary's <script> and event handlers do not run", async () => {
      const page = await open(`/runs/${runs.alice}/jobs/build.1`);
      const summary = page.locator(".summary");
      expect(await summary.locator("strong").textContent()).toBe("bold");
      expect(await summary.textContent()).toContain('<script>document.body.dataset.pwned = "1"');
      expect(await summary.locator("script, img").count()).toBe(0);
      await page.waitForTimeout(200);
      expect(await page.evaluate("document.body.dataset.pwned")).toBeUndefined();
      expect(problems).toEqual([]);
    });

    test("a run page updates live when the run finishes", async () => {
      const queued = (await push("slow", "carol")).body.queued as number;
      const n = await until("the slow run's page", async () => {
        const q = (await api(srv, `/api/queue/${queued}`)).body as { run?: number };
        if (!q.run) return undefined;
        const r = await fetch(`${srv.url}/runs/${q.run}`);
        return r.status === 200 && (await r.text()).includes("data-live=") ? q.run : undefined;
      });
      const page = await open(`/runs/${n}`);
      const log = await open(`/runs/${n}/jobs/slow`);
      expect(await page.locator("#run-status").textContent()).toBe("running");
      const job = page.locator('.graph [data-job="slow"] .js');
      await expect.poll(() => job.textContent(), { timeout: 20_000 }).toBe("running");
      writeFileSync(join(gates, `go-${n}`), "");
      await expect.poll(() => job.textContent(), { timeout: 30_000 }).toBe("success");
      await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 30_000 }).toBe("success");
      expect(await page.locator("#run").getAttribute("data-ended")).toBe("success");
      await shot(page, "run-page-live");
      // The job page followed the log as it was written.
      await expect.poll(() => log.locator("#log").textContent(), { timeout: 30_000 }).toContain("went on");
      expect(await log.locator("#job-status").textContent()).toBe("success");
      // Numbered live as the raw log numbers it.
      const id = await log.locator("#log .l.stdout", { hasText: "went on" }).getAttribute("id");
      const raw = (await (await fetch(`${srv.url}/runs/${n}/jobs/slow/log.txt`)).text()).split("\n");
      expect(raw[Number(id?.slice(1)) - 1]).toBe("went on");
      expect(problems).toEqual([]);
    }, 90_000);

    test("the queue panel says what waits and why", async () => {
      const queued = (await push("gpu", "dave")).body.queued as number;
      const page = await open("/");
      await expect
        .poll(
          async () => {
            await page.reload();
            return page.locator("aside").textContent();
          },
          { timeout: 30_000 },
        )
        .toContain("no agent with labels self-hosted, gpu");
      expect(await page.locator("aside").textContent()).toContain("refs/heads/gpu");
      await shot(page, "runs-list-queue");
      const cancel = await api(srv, `/api/queue/${queued}/cancel`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(cancel.status).toBe(202);
      expect(problems).toEqual([]);
    }, 60_000);
  },
);
