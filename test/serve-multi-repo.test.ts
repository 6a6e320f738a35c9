import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { slipway } from "./helpers/cli.js";
import { api, sign, slipwayProcess, stopAll, until, webhook } from "./helpers/serve.js";

// `slipway serve --repo A --repo B`: one server, two repositories, each with its own clone,
// queue and history; webhooks go to the repository their payload names (or their URL), the
// API answers per repository under /api/repos/OWNER/NAME, and / lists every repository's runs.

afterAll(async () => {
  await stopAll();
}, 60_000);

const SECRET = "multi-repo-secret";
const ADMIN = "multi-repo-admin";
const READ = "multi-repo-read";
const RITA = "multi-repo-reviewer";
const PAT = "multi-repo-admin-user";
const BETA_SECRET = "beta-webhook-secret";

const workflow = (name: string, secrets = true) => `name: ${name}-ci
on: push
jobs:
  say:
    runs-on: ubuntu-latest
    steps:
      - run: echo "this is ${name}"
${
  secrets
    ? // Each repository has its own secrets: beta's is not alpha's.
      `      - run: test ${name === "beta" ? "-n" : "-z"} "\${{ secrets.ONLY_BETA }}"\n`
    : ""
}`;

// SQLite: a history file per repository; PostgreSQL: one database, the runs keyed by repository.
describe.each(backends())("$name", (backend) => {
  test("serve --repo A + repositories: [B]: each push runs that repository's workflows; API and pages per repository; / lists both", async () => {
    const { url: db } = await backend.fresh();
    const top = mkdtempSync(join(tmpdir(), "slipway-multi-repo-"));
    const git = (cwd: string, ...a: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", ...a], {
        cwd,
        encoding: "utf8",
      }).trim();
    mkdirSync(join(top, "acme"));
    const dev: Record<string, string> = {};
    for (const name of ["alpha", "beta"]) {
      const bare = join(top, "acme", `${name}.git`);
      dev[name] = join(top, `dev-${name}`);
      git(top, "init", "-q", "--bare", "-b", "main", bare);
      git(top, "clone", "-q", bare, dev[name]!);
      mkdirSync(join(dev[name]!, ".github/workflows"), { recursive: true });
      writeFileSync(join(dev[name]!, ".github/workflows", `${name}.yml`), workflow(name));
      git(dev[name]!, "add", "-A");
      git(dev[name]!, "commit", "-qm", "one");
      git(dev[name]!, "push", "-q", "origin", "HEAD:main");
    }
    // A forge's statuses API: each run's link names its repository's runs.
    const posted: { path: string; body: { state: string; target_url?: string } }[] = [];
    const statusApi = createServer((req, res) => {
      let text = "";
      req.on("data", (d: Buffer) => {
        text += d.toString();
      });
      req.on("end", () => {
        posted.push({ path: req.url ?? "", body: JSON.parse(text) });
        res.writeHead(201, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((ok) => statusApi.listen(0, "127.0.0.1", ok));
    const forge = `http://127.0.0.1:${(statusApi.address() as AddressInfo).port}`;

    // The second repository from slipway-server.yml's repositories: (the flags' come first).
    writeFileSync(
      join(top, "slipway-server.yml"),
      `repositories:\n  - url: ${join(top, "acme", "beta.git")}\n    name: acme/beta\n`,
    );
    const s = slipwayProcess(
      [
        "serve",
        "--port",
        "0",
        "--repo",
        join(top, "acme", "alpha.git"),
        "--data",
        join(top, "data"),
        "--agents",
        "1",
        "--no-sandbox",
        "--no-schedules",
        "--token",
        ADMIN,
        "--status-token",
        "status-token",
        "--status-api",
        forge,
        ...(db ? ["--db", db] : []),
      ],
      top,
      { SLIPWAY_WEBHOOK_SECRET: SECRET, SLIPWAY_DATABASE_URL: db ?? "" },
    );
    const url = await until("listening", () => /listening on (http:\/\/\S+)/.exec(s.out())?.[1], 30_000);
    const srv = { url };

    // A secret of beta's, kept in beta's store.
    const put = await api(srv, "/api/repos/acme/beta/secrets/ONLY_BETA", {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ value: "beta-s3cret" }),
    });
    expect(put.status, put.text).toBe(200);
    const names = async (path: string) =>
      (
        (await api(srv, path, { headers: { authorization: `Bearer ${ADMIN}` } })).body.secrets as {
          name: string;
        }[]
      ).map((x) => x.name);
    expect(await names("/api/repos/acme/beta/secrets")).toEqual(["ONLY_BETA"]);
    expect(await names("/api/secrets")).toEqual([]);

    // A push to each: alpha's webhook on the shared URL (routed by repository.full_name), beta's
    // on its own URL.
    const pushTo = (name: string) => {
      writeFileSync(join(dev[name]!, "change.txt"), `${name} two\n`);
      git(dev[name]!, "add", "-A");
      git(dev[name]!, "commit", "-qm", "two");
      git(dev[name]!, "push", "-q", "origin", "HEAD:main");
      return git(dev[name]!, "rev-parse", "HEAD");
    };
    const payload = (full: string, after: string) => ({
      ref: "refs/heads/main",
      before: "0".repeat(40),
      after,
      pusher: { name: "alice" },
      repository: { full_name: full },
    });
    const alphaSha = pushTo("alpha");
    const a = await webhook(srv, "push", payload("acme/alpha", alphaSha), "d-alpha", SECRET);
    expect(a.status, a.text).toBe(202);
    const betaSha = pushTo("beta");
    const betaBody = JSON.stringify(payload("acme/beta", betaSha));
    const b = await api(srv, "/webhooks/github/acme/beta", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": "d-beta",
        "x-hub-signature-256": sign(betaBody, SECRET),
      },
      body: betaBody,
    });
    expect(b.status, b.text).toBe(202);

    type Run = { number: number; sha: string; result: string; workflows: string[]; startedAt: number };
    const started: Record<string, number> = {};
    const runsOf = async (name: string) => {
      const r = await api(srv, `/api/repos/acme/${name}/runs`);
      expect(r.status, r.text).toBe(200);
      return r.body.runs as unknown as Run[];
    };
    for (const [name, sha] of [
      ["alpha", alphaSha],
      ["beta", betaSha],
    ] as const) {
      const runs = await until(
        `${name}'s run`,
        async () => {
          const r = await runsOf(name);
          return r.length === 1 && r[0]!.result ? r : undefined;
        },
        90_000,
      );
      // Only that repository's workflow ran, at its pushed commit.
      expect(runs.map((r) => [r.sha, r.result, r.workflows])).toEqual([
        [sha, "success", [`.github/workflows/${name}.yml`]],
      ]);
      started[`acme/${name}`] = runs[0]!.startedAt;
    }
    // The paths without a prefix are the first repository's, as with one repository.
    const plain = (await api(srv, "/api/runs")).body.runs as unknown as Run[];
    expect(plain.map((r) => r.sha)).toEqual([alphaSha]);
    expect((await api(srv, "/api/repos/acme/beta/runs/1")).body.sha).toBe(betaSha);
    expect((await api(srv, "/api/repos/acme/gamma/runs")).status).toBe(404);

    // A webhook for a repository not served: refused, counted; unsigned, it is refused for that.
    const unknown = await webhook(srv, "push", payload("acme/gamma", alphaSha), "d-gamma", SECRET);
    expect(unknown.status, unknown.text).toBe(404);
    expect(
      (await webhook(srv, "push", payload("acme/gamma", alphaSha), "d-gamma2", SECRET, null)).status,
    ).toBe(401);
    const perUrl = await api(srv, "/webhooks/github/acme/gamma", { method: "POST", body: "{}" });
    expect(perUrl.status).toBe(404);
    const server = (await api(srv, "/api/server")).body as unknown as { requests: Record<string, number> };
    expect(server.requests.unknownRepository).toBe(2);
    expect((await api(srv, "/api/repos/acme/alpha/queue")).body).toHaveLength(1);
    // /metrics counts every repository's runs.
    // (A run's result is in its history a moment before its queue entry is settled and counted.)
    const counted = await until("both runs counted in /metrics", async () => {
      const text = (await api(srv, "/metrics")).text;
      return /^slipway_runs_total\{result="success"\} 2$/m.test(text) ? text : undefined;
    });
    expect(counted).toMatch(/^slipway_runs_total\{result="success"\} 2$/m);

    // / : both repositories, their latest runs, and every run in one list, newest first.
    const home = await api(srv, "/");
    expect(home.status).toBe(200);
    expect(home.text).toContain('data-repo="acme/alpha"');
    expect(home.text).toContain('data-repo="acme/beta"');
    const listed = [
      ...home.text.matchAll(/<tr class="run"><td class="repo"><a href="\/repos\/([\w/]+)\/">/g),
    ].map((m) => m[1]);
    // (Both ran at once: newest first is whichever started last.)
    expect(listed).toEqual(Object.keys(started).sort((x, y) => started[y]! - started[x]!));
    // A repository's pages under its prefix, their links kept under it.
    const betaPage = await api(srv, "/repos/acme/beta/");
    expect(betaPage.status).toBe(200);
    expect(betaPage.text).toContain('href="/repos/acme/beta/runs/1"');
    expect(betaPage.text).not.toContain('href="/runs/1"');
    const links = await until(
      "the final statuses",
      () => {
        const done = posted.filter((p) => p.body.state === "success");
        return done.length === 2 ? done.map((p) => [p.path, p.body.target_url]).sort() : undefined;
      },
      10_000,
    );
    expect(links).toEqual([
      [`/repos/acme/alpha/statuses/${alphaSha}`, `${url}/api/runs/1`],
      [`/repos/acme/beta/statuses/${betaSha}`, `${url}/api/repos/acme/beta/runs/1`],
    ]);
    statusApi.close();
    const betaRun = await api(srv, "/repos/acme/beta/runs/1");
    expect(betaRun.status).toBe(200);
    expect(betaRun.text).toContain("beta.yml");
    // Its live script reads that repository's API.
    const live = await api(srv, "/repos/acme/beta/web/live.js");
    expect(live.text).toContain('"/api/repos/acme/beta/runs/"');
    expect(live.text).not.toContain('"/api/runs/"');
    // SIGTERM stops every repository's queue and the server exits cleanly.
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  }, 180_000);
});

test("serve --repo A --repo B --poll: a push to B runs B's workflows only; B's deployment waits for B's approval and is B's alone (environments, DORA, /metrics, badges); each repository's webhook secret; a read token guards every repository", async () => {
  const top = mkdtempSync(join(tmpdir(), "slipway-multi-poll-"));
  const git = (cwd: string, ...a: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", ...a], {
      cwd,
      encoding: "utf8",
    }).trim();
  const dev: Record<string, string> = {};
  for (const name of ["alpha", "beta"]) {
    mkdirSync(join(top, name === "alpha" ? "one" : "two"));
    const bare = join(top, name === "alpha" ? "one" : "two", `${name}.git`);
    dev[name] = join(top, `dev-${name}`);
    git(top, "init", "-q", "--bare", "-b", "main", bare);
    git(top, "clone", "-q", bare, dev[name]!);
    mkdirSync(join(dev[name]!, ".github/workflows"), { recursive: true });
    writeFileSync(join(dev[name]!, ".github/workflows", `${name}.yml`), workflow(name, false));
    git(dev[name]!, "add", "-A");
    git(dev[name]!, "commit", "-qm", "one");
    git(dev[name]!, "push", "-q", "origin", "HEAD:main");
  }
  // Beta has environments' rules of its own (the server's are for the others) and its own webhook secret.
  writeFileSync(
    join(top, "slipway-server.yml"),
    `users:
  rita: { role: reviewer, token-env: T_RITA }
  pat: { role: admin, token-env: T_PAT }
environments:
  staging: {}
repositories:
  - url: ${join(top, "two", "beta.git")}
    webhook-secret-env: BETA_HOOK
    environments:
      staging:
        reviewers: [rita]
`,
  );
  const s = slipwayProcess(
    [
      "serve",
      "--port",
      "0",
      "--repo",
      join(top, "one", "alpha.git"),
      "--data",
      join(top, "data"),
      "--poll",
      "1",
      "--read-token",
      READ,
      "--agents",
      "1",
      "--no-sandbox",
      "--no-schedules",
    ],
    top,
    { SLIPWAY_DATABASE_URL: "", T_RITA: RITA, T_PAT: PAT, BETA_HOOK: BETA_SECRET },
  );
  const url = await until("listening", () => /listening on (http:\/\/\S+)/.exec(s.out())?.[1], 30_000);
  const auth = { headers: { authorization: `Bearer ${READ}` } };
  writeFileSync(
    join(dev.beta!, ".github/workflows/deploy.yml"),
    `on: push
jobs:
  ship:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: echo shipped
`,
  );
  git(dev.beta!, "add", "-A");
  git(dev.beta!, "commit", "-qm", "deploy");
  git(dev.beta!, "push", "-q", "origin", "HEAD:main");
  const sha = git(dev.beta!, "rev-parse", "HEAD");
  // Beta's deployment waits for a reviewer, in beta's list only; approved there, it runs.
  const asked = await until(
    "beta's approval request",
    async () => {
      const a = (await api({ url }, "/api/repos/two/beta/approvals", auth)).body.approvals as unknown as {
        id: string;
        environment: string;
      }[];
      return a?.length ? a : undefined;
    },
    60_000,
  );
  expect(asked.map((a) => a.environment)).toEqual(["staging"]);
  expect((await api({ url }, "/api/approvals", auth)).body.approvals).toEqual([]);
  const rita = { authorization: `Bearer ${RITA}`, "content-type": "application/json" };
  // The first repository knows no such request.
  const elsewhere = await api({ url }, `/api/approvals/${asked[0]!.id}`, {
    method: "POST",
    headers: rita,
    body: JSON.stringify({ decision: "approve" }),
  });
  expect(elsewhere.status).toBe(404);
  const yes = await api({ url }, `/api/repos/two/beta/approvals/${asked[0]!.id}`, {
    method: "POST",
    headers: rita,
    body: JSON.stringify({ decision: "approve", comment: "ship it" }),
  });
  expect(yes.status, yes.text).toBe(200);
  const run = await until(
    "beta's run to end",
    async () => {
      const r = (await api({ url }, "/api/repos/two/beta/runs", auth)).body.runs as unknown as {
        number: number;
        sha: string;
        result: string | null;
      }[];
      return r.length === 1 && r[0]!.result ? r[0] : undefined;
    },
    60_000,
  );
  expect(run.sha).toBe(sha);
  const detail = await api({ url }, `/api/repos/two/beta/runs/${run.number}`, auth);
  const jobs = detail.body.jobs as { key: string; result: string; reason: string | null }[];
  expect(jobs.map((j) => [j.key, j.result, j.reason])).toEqual([
    ["beta.say", "success", null],
    ["deploy.ship", "success", null],
  ]);
  // The deployment is beta's: its environment's history, its DORA figures, its badge.
  const staging = await until("beta's deployment recorded", async () => {
    const e = (await api({ url }, "/api/repos/two/beta/environments/staging", auth)).body as unknown as {
      current?: { sha: string; status: string };
    };
    return e.current ? e : undefined;
  });
  expect(staging.current).toMatchObject({ sha, status: "active" });
  const alphaStaging = (await api({ url }, "/api/environments/staging", auth)).body as unknown as {
    current?: unknown;
    history: unknown[];
  };
  expect([alphaStaging.current, alphaStaging.history]).toEqual([undefined, []]);
  // Alpha's staging follows the server's rules (nobody reviews), beta's its own.
  expect((alphaStaging as unknown as { rule: { reviewers: string[] } }).rule.reviewers).toEqual([]);
  expect((staging as unknown as { rule: { reviewers: string[] } }).rule.reviewers).toEqual(["rita"]);
  const dora = (await api({ url }, "/api/repos/two/beta/dora?env=staging&days=7", auth)).body as unknown as {
    environments: { environment: string; frequency: { deployments: number } }[];
  };
  expect(dora.environments.map((e) => [e.environment, e.frequency.deployments])).toEqual([["staging", 1]]);
  const alphaDora = (await api({ url }, "/api/dora?env=staging&days=7", auth)).body as unknown as {
    environments: { frequency: { deployments: number } }[];
  };
  expect(alphaDora.environments).toEqual([]);
  const metrics = (await api({ url }, "/metrics", auth)).text;
  expect(metrics).toContain(
    'slipway_dora_deployments{repository="two/beta",environment="staging",days="7"} 1',
  );
  expect(metrics).not.toContain(
    'slipway_dora_deployments{repository="one/alpha",environment="staging",days="7"} 1',
  );
  // Beta's pages: its environments (links under its prefix) and its delivery metrics.
  const envPage = await (await fetch(`${url}/repos/two/beta/environments`, auth)).text();
  expect(envPage).toContain('<a href="/repos/two/beta/environments/staging">staging</a>');
  expect(envPage).toContain(`<a href="/repos/two/beta/runs/${run.number}">#${run.number}</a>`);
  const doraPage = await (await fetch(`${url}/repos/two/beta/dora?days=7`, auth)).text();
  expect(doraPage).toContain("<h1>Delivery metrics · two/beta</h1>");
  const badge = await fetch(`${url}/repos/two/beta/badges/deploy.svg?branch=main`, auth);
  expect(badge.status).toBe(200);
  expect(await badge.text()).toContain("passing");
  // Beta's webhooks are signed with beta's secret; alpha has none (refused).
  const ping = (repo: string, secret: string, delivery: string, path = "/webhooks/github") => {
    const body = JSON.stringify({ zen: "hi", hook_id: 1, repository: { full_name: repo } });
    return api({ url }, path, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "ping",
        "x-github-delivery": delivery,
        "x-hub-signature-256": sign(body, secret),
      },
      body,
    });
  };
  expect((await ping("two/beta", BETA_SECRET, "p1")).status).toBe(200);
  expect((await ping("two/beta", BETA_SECRET, "p2", "/webhooks/github/two/beta")).status).toBe(200);
  expect((await ping("two/beta", "not-it", "p3")).status).toBe(401);
  expect((await ping("one/alpha", BETA_SECRET, "p4")).status).toBe(401);
  // The poll's push names the repository as it is served.
  expect((detail.body.payload as { repository: { full_name: string } }).repository.full_name).toBe(
    "two/beta",
  );
  expect((await api({ url }, "/api/repos/one/alpha/runs", auth)).body.runs).toEqual([]);
  // A read token guards every repository's API and pages, the view of all too.
  expect((await api({ url }, "/api/repos/two/beta/runs")).status).toBe(401);
  expect((await api({ url }, "/api/repos")).status).toBe(401);
  const repos = (await api({ url }, "/api/repos", auth)).body.repositories as unknown as {
    name: string;
    default: boolean;
    latest: { sha: string; result: string } | null;
  }[];
  expect(repos.map((r) => [r.name, r.default, r.latest?.sha ?? null, r.latest?.result ?? null])).toEqual([
    ["one/alpha", true, null, null],
    ["two/beta", false, sha, "success"],
  ]);
  const manual = { redirect: "manual" } as const;
  const home = await fetch(`${url}/`, manual);
  expect([home.status, home.headers.get("location")]).toEqual([303, "/signin?next=%2F"]);
  const betaHome = await fetch(`${url}/repos/two/beta/`, manual);
  expect(betaHome.status).toBe(303);
  expect(betaHome.headers.get("location")).toMatch(/^\/repos\/two\/beta\/signin\?next=/);
  const signedIn = await fetch(`${url}/`, { ...manual, headers: { authorization: `Bearer ${READ}` } });
  expect(signedIn.status).toBe(200);
  expect(await signedIn.text()).toContain('data-repo="two/beta"');
  // A configured admin uses the API with their own token (the run is theirs); a reviewer may not.
  const start = (token: string) =>
    api({ url }, "/api/repos/one/alpha/runs", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ event: "push", ref: "main" }),
    });
  const refused = await start(RITA);
  expect([refused.status, refused.body.error]).toEqual([403, "rita is not an admin"]);
  const byPat = await start(PAT);
  expect(byPat.status, byPat.text).toBe(202);
  const patRun = await until("pat's run", async () => {
    const q = (await api({ url }, `/api/repos/one/alpha/queue/${byPat.body.queued}`, auth)).body;
    return q.state === "done" ? q : undefined;
  });
  expect((await api({ url }, `/api/repos/one/alpha/runs/${patRun.run}`, auth)).body).toMatchObject({
    actor: "pat",
    result: "success",
  });
}, 120_000);

test("two repositories with one name or one clone, or a bad repositories: list, are usage errors (exit 2, no stack)", () => {
  const top = mkdtempSync(join(tmpdir(), "slipway-multi-bad-"));
  const same = slipway(["serve", "--repo", "/srv/a/app.git", "--repo", "https://x.test/a/app"], top);
  expect(same.code).toBe(2);
  expect(same.stderr).toBe(
    "slipway serve: --repo: two repositories are named a/app (give one a name in repositories:)\n",
  );
  const clone = slipway(["serve", "--repo", "/srv/a/app.git", "--repo", "/srv/b/app.git"], top);
  expect(clone.code).toBe(2);
  expect(clone.stderr).toMatch(
    /^slipway serve: --repo: \/srv\/a\/app\.git and \/srv\/b\/app\.git would share the clone /,
  );
  writeFileSync(
    join(top, "slipway-server.yml"),
    "port: 0\nrepositories:\n  - url: /srv/a.git\n    name: nope\n",
  );
  const bad = slipway(["serve"], top);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe(
    "slipway serve: slipway-server.yml:3:5: repositories: name must be OWNER/NAME, got 'nope'\n",
  );
});
