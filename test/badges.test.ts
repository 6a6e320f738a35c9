import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CHROMIUM, launchChromium } from "./helpers/browser.js";
import { BIN, ROOT, tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, stopAll, until, webhook } from "./helpers/serve.js";

// Badges, the DORA API and page, incidents, /metrics and `slipway stats --server`, served by a
// real `slipway serve` over real runs: a push to main passes, a push to 'broken' fails ci.yml
// (cov.yml, in the same run, passes there and reads a coverage report: 3 of 4 lines).

const SECRET = "hook-secret-b";
const TOKEN = "api-token-b";
const READ = "read-token-b";

const CI = `name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: '[ "\${{ github.ref_name }}" != "broken" ]'
`;
const COV = `on: push
jobs:
  cov:
    runs-on: ubuntu-latest
    steps:
      - run: printf 'SF:src/a.rs\\nDA:1,1\\nDA:2,1\\nDA:3,1\\nDA:4,0\\nend_of_record\\n' > lcov.info
      - uses: codecov/codecov-action@v5
        with: { files: lcov.info }
`;

let repo: string;
let head: string;
let srv: Server;
const auth = { authorization: `Bearer ${READ}` };
const admin = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

async function pushAndWait(branch: string, delivery: string): Promise<number> {
  const r = await webhook(
    srv,
    "push",
    {
      ref: `refs/heads/${branch}`,
      before: "0".repeat(40),
      after: head,
      repository: { full_name: "o/r" },
      sender: { login: "alice" },
    },
    delivery,
    SECRET,
  );
  expect(r.status).toBe(202);
  const queued = r.body.queued as number;
  return until(`run of ${branch}`, async () => {
    const q = await api(srv, `/api/queue/${queued}`, { headers: auth });
    return q.body.state === "done" ? (q.body.run as number) : undefined;
  });
}

beforeAll(async () => {
  repo = tempRepo(undefined, { ".github/workflows/ci.yml": CI, ".github/workflows/cov.yml": COV });
  head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  execFileSync("git", ["branch", "broken"], { cwd: repo });
  srv = await serve(
    repo,
    ["--webhook-secret", SECRET, "--token", TOKEN, "--read-token", READ, "--agents", "1"],
    {},
  );
  await pushAndWait("main", "b-1");
  await pushAndWait("broken", "b-2");
}, 120_000);
afterAll(stopAll);

const badge = async (path: string, headers: Record<string, string> = auth) => {
  const r = await fetch(`${srv.url}${path}`, { headers });
  return { status: r.status, headers: r.headers, text: await r.text() };
};
const texts = (svg: string) => [...svg.matchAll(/<text [^>]*y="14">([^<]*)</g)].map((m) => m[1]);

describe("badges", () => {
  test("workflow status per branch: well-formed SVG, shields' layout, cache headers and ETag", async () => {
    const main = await badge("/badges/ci.svg?branch=main");
    expect(main.status).toBe(200);
    expect(main.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(main.headers.get("cache-control")).toBe("max-age=60, must-revalidate");
    expect(XMLValidator.validate(main.text)).toBe(true);
    expect(texts(main.text)).toEqual(["ci", "passing"]);
    expect(main.text).toContain('fill="#4c1"');
    // The same answer revalidates without a body.
    const etag = main.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const again = await badge("/badges/ci.svg?branch=main", { ...auth, "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");

    // On 'broken' ci.yml failed, while cov.yml, in the same run, passed.
    const broken = await badge("/badges/ci.svg?branch=broken");
    expect(texts(broken.text)).toEqual(["ci", "failing"]);
    expect(broken.headers.get("etag")).not.toBe(etag);
    expect(texts((await badge("/badges/cov.yml.svg?branch=broken")).text)).toEqual(["cov", "passing"]);
    // By the workflow's name too; the default branch (main) when none is given.
    expect(texts((await badge("/badges/CI.svg")).text)).toEqual(["CI", "passing"]);
    expect(texts((await badge("/badges/nothing.svg")).text)).toEqual(["nothing", "no runs"]);
  });

  test("the width follows the text (11px Verdana): a longer message, a wider badge", async () => {
    const width = (svg: string) => Number(/^<svg [^>]*width="(\d+)"/.exec(svg)![1]);
    const passing = width((await badge("/badges/ci.svg?branch=main")).text);
    const failing = width((await badge("/badges/ci.svg?branch=broken")).text);
    // Each side is its text's width plus 10: "ci" 8.8, "passing" 41.7, "failing" 33.3 px.
    expect(passing).toBe(19 + 52);
    expect(failing).toBe(19 + 43);
  });

  test("coverage of the branch's last run with a report, and slipway score, cached by commit", async () => {
    const cov = await badge("/badges/coverage.svg?branch=broken");
    expect(XMLValidator.validate(cov.text)).toBe(true);
    expect(texts(cov.text)).toEqual(["coverage", "75%"]);
    const score = await badge("/badges/score.svg");
    expect(XMLValidator.validate(score.text)).toBe(true);
    expect(score.headers.get("cache-control")).toBe("max-age=300, must-revalidate");
    const [label, value] = texts(score.text);
    expect(label).toBe("slipway score");
    const card = spawnSync(process.execPath, [BIN, "score", "--json"], { cwd: repo, encoding: "utf8" });
    expect(value).toBe(`${JSON.parse(card.stdout).score}/100`);
  });

  test("badges follow the read token; unknown names and bad branches are 404", async () => {
    // Without a token the dashboard sends a browser to sign in (it covers every address it sees).
    const r = await fetch(`${srv.url}/badges/ci.svg`, { redirect: "manual" });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/signin?next=%2Fbadges%2Fci.svg");
    expect((await badge("/badges/a%20b.svg")).status).toBe(404);
    expect((await badge("/badges/ci.svg?branch=a%20b")).status).toBe(404);
  });
});

describe("delivery metrics served", () => {
  test("incidents: opened and closed with the admin token; the DORA figures count them", async () => {
    const open = await api(srv, "/api/incidents", {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ environment: "production", reason: "checkout answers 500" }),
    });
    expect(open.status).toBe(201);
    const id = open.body.id as number;
    expect(open.body).toMatchObject({ environment: "production", reason: "checkout answers 500" });
    // The read token cannot.
    const refused = await api(srv, "/api/incidents", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ environment: "production", reason: "x" }),
    });
    expect(refused.status).toBe(401);
    const bad = await api(srv, "/api/incidents", {
      method: "POST",
      headers: admin,
      body: '{"environment":"p"}',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("reason");

    let dora = await api(srv, "/api/dora?days=7&env=production", { headers: auth });
    expect(dora.status).toBe(200);
    const env = (dora.body.environments as { environment: string; restore: unknown }[])[0]!;
    expect(env.environment).toBe("production");
    expect(env.restore).toMatchObject({ count: 0, open: 1 });

    const closed = await api(srv, `/api/incidents/${id}/close`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ rootCauseSha: head }),
    });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ id, rootCauseSha: head });
    expect(typeof closed.body.closedAt).toBe("number");
    const twice = await api(srv, `/api/incidents/${id}/close`, {
      method: "POST",
      headers: admin,
      body: "{}",
    });
    expect(twice.status).toBe(409);
    expect(
      (await api(srv, "/api/incidents/999/close", { method: "POST", headers: admin, body: "{}" })).status,
    ).toBe(404);
    dora = await api(srv, "/api/dora?days=7", { headers: auth });
    expect((dora.body.environments as { environment: string; restore: unknown }[])[0]!.restore).toMatchObject(
      {
        count: 1,
        open: 0,
      },
    );
    expect((await api(srv, "/api/dora?days=0", { headers: auth })).status).toBe(400);
  });

  test("the /dora page: figures, charts as inline SVG, pipeline trends; strict CSP", async () => {
    const r = await fetch(`${srv.url}/dora?days=7`, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await r.text();
    expect(html).toContain("Time to restore");
    expect(html).toContain("<strong>7 days</strong>");
    const svgs = [...html.matchAll(/<svg [\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs.length).toBeGreaterThanOrEqual(3);
    for (const s of svgs) expect(XMLValidator.validate(s)).toBe(true);
    // Both workflows ran twice; ci failed once, on another branch than it passed: not flaky.
    expect(html).toMatch(/<td>CI<\/td><td>2<\/td><td>50%<\/td>/);
    expect(html).toContain("None: no job both failed and passed on one commit and ref.");
  });

  test("GET /api/stats and /metrics carry the same figures", async () => {
    const s = await api(srv, "/api/stats?days=7", { headers: auth });
    expect(s.status).toBe(200);
    const trends = s.body.trends as { workflows: { workflow: string; runs: number; successRate: number }[] };
    expect(trends.workflows.find((w) => w.workflow === "CI")).toMatchObject({ runs: 2, successRate: 0.5 });
    const m = await fetch(`${srv.url}/metrics`, { headers: auth }).then((x) => x.text());
    expect(m).toMatch(
      /slipway_dora_time_to_restore_seconds\{repository="[^"]+",environment="production",days="7",quantile="0.5"\} \d/,
    );
    expect(m).toMatch(
      /slipway_dora_failures_open\{repository="[^"]+",environment="production",days="30"\} 0/,
    );
  });

  test("slipway stats --server URL --json fetches both; a bad token is a clear error", () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [BIN, "stats", "--server", srv.url, ...args], {
        encoding: "utf8",
        env: { ...process.env, SLIPWAY_SERVER_TOKEN: "", ...env },
      });
    const ok = run(["--json", "--days", "7", "--token", READ]);
    expect(ok.status).toBe(0);
    const out = JSON.parse(ok.stdout);
    expect(out.dora.days).toBe(7);
    expect(out.dora.environments[0].environment).toBe("production");
    // An unnamed workflow is known by its path.
    expect(out.trends.workflows.map((w: { workflow: string }) => w.workflow).sort()).toEqual([
      ".github/workflows/cov.yml",
      "CI",
    ]);
    const text = run([], { SLIPWAY_SERVER_TOKEN: READ });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("ENVIRONMENT");
    const both = run(["--bench"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("--server reads the server's figures: no --bench");
    const bad = run(["--token", "nope"]);
    expect(bad.status).toBe(74);
    expect(bad.stderr).toContain("401");
    expect(bad.stderr).not.toContain("    at ");
  });
});

test.skipIf(!existsSync(CHROMIUM))(
  "the /dora page in Chromium: drawn, no console errors under the strict CSP",
  async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ extraHTTPHeaders: auth });
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()}`);
      });
      await page.goto(`${srv.url}/dora?days=7`);
      expect(await page.locator("h1").textContent()).toContain("Delivery metrics");
      // The charts are drawn, each with its title.
      const charts = page.locator("svg.chart");
      expect(await charts.count()).toBeGreaterThanOrEqual(3);
      const box = await charts.first().boundingBox();
      expect(box?.width).toBe(720);
      expect(await page.locator("svg.chart > title").count()).toBe(await charts.count());
      // Their axes are drawn (bars only for days with a value above zero).
      expect(await page.locator("svg.chart line").count()).toBeGreaterThan(0);
      await page.locator("a", { hasText: "30 days" }).click();
      // 30 days is the default: its address has no query.
      await page.waitForURL(/\/dora$/);
      expect(await page.locator(".windows strong").first().textContent()).toBe("30 days");
      const shots =
        process.env.SLIPWAY_TEST_SCREENSHOTS || join(ROOT, ".slipway", "test-screenshots", "dora");
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, "dora.png"), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  },
);
