import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { slipway, slipwayAsync, tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, stopAll, until, webhook } from "./helpers/serve.js";
import { formToken, postForm, signIn } from "./helpers/session.js";

// Rollback on a real `slipway serve` (real git, real agent, SQLite and PostgreSQL): through the API and the
// CLI, a previous deployment's job runs again at its commit and is recorded as a rollback; and
// with `auto-rollback: true`, a health check failing after a deployment rolls it back on its
// own and records the incident.

const HOOK = "rollback-hook-secret";

const CONFIG = `users:
  rita: { role: reviewer, token-env: T_RITA }
  otto: { role: read, token-env: T_OTTO }
environments:
  production:
    reviewers: [rita]
    auto-rollback: true
  qa: {}
`;

// The commit's VERSION file is what gets "deployed"; a FAIL_HEALTH file makes the check fail.
const WF = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "building $(cat VERSION)"
  deploy:
    needs: build
    environment: production
    runs-on: ubuntu-latest
    steps:
      - run: echo "deploying version $(cat VERSION) at \${{ github.sha }} from \${{ github.ref }}"
  health:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: test ! -f FAIL_HEALTH
  qa:
    environment: qa
    runs-on: ubuntu-latest
    steps:
      - run: echo "qa gets $(cat VERSION)"
  qa-check:
    needs: qa
    runs-on: ubuntu-latest
    steps:
      - run: test ! -f FAIL_HEALTH
`;

afterAll(async () => {
  await stopAll();
}, 60_000);

// On SQLite, and on PostgreSQL when SLIPWAY_TEST_DATABASE_URL gives one (serve --db).
describe.each(backends())("$name", (b) => {
  let repo: string;
  let s: Server;
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, encoding: "utf8" }).trim();
  const shas: string[] = [];
  type D = {
    id: number;
    sha: string;
    status: string;
    kind: string;
    rollbackOf?: number;
    approvedBy: string[];
    failedAt?: number;
    run: number;
  };
  type Env = {
    current?: D;
    history: D[];
    incidents: { id: number; deployment?: number; reason: string; closedAt?: number }[];
  };

  beforeAll(async () => {
    repo = tempRepo(undefined, {
      ".github/workflows/cd.yml": WF,
      ".gitignore": ".slipway/\nslipway-server.yml\n",
      VERSION: "1\n",
    });
    writeFileSync(join(repo, "slipway-server.yml"), CONFIG);
    shas.push(git("rev-parse", "HEAD"));
    const { url } = await b.fresh();
    s = await serve(repo, ["--no-schedules", "--token", "admin-t", ...(url ? ["--db", url] : [])], {
      SLIPWAY_WEBHOOK_SECRET: HOOK,
      T_RITA: "rita-token",
      T_OTTO: "otto-token",
    });
  }, 60_000);

  let delivery = 0;
  async function push() {
    const sha = git("rev-parse", "HEAD");
    const r = await webhook(
      s,
      "push",
      {
        ref: "refs/heads/main",
        before: "0".repeat(40),
        after: sha,
        pusher: { name: "pat" },
        repository: { full_name: "o/r" },
      },
      `rb-${++delivery}`,
      HOOK,
    );
    expect(r.status).toBe(202);
    return r.body.queued as number;
  }

  function commit(version: string, failHealth = false) {
    writeFileSync(join(repo, "VERSION"), `${version}\n`);
    if (failHealth) writeFileSync(join(repo, "FAIL_HEALTH"), "");
    else rmSync(join(repo, "FAIL_HEALTH"), { force: true });
    git("add", "-A");
    git("commit", "-q", "-m", `version ${version}`);
    shas.push(git("rev-parse", "HEAD"));
  }

  async function approveNext() {
    const a = await until("a deployment to wait", async () => {
      // Production's: qa's request (no rules) is listed for a moment too, until its run settles it.
      const list = (await api(s, "/api/approvals")).body.approvals as unknown as {
        id: string;
        environment: string;
      }[];
      return list.find((x) => x.environment === "production");
    });
    const r = await api(s, `/api/approvals/${a.id}`, {
      method: "POST",
      headers: { authorization: "Bearer rita-token" },
      body: JSON.stringify({ decision: "approve" }),
    });
    expect(r.status, r.text).toBe(200);
  }

  async function done(queued: number) {
    return until(
      `queued run ${queued} to finish`,
      async () => {
        const q = (await api(s, `/api/queue/${queued}`)).body;
        return q.state === "done" ? (q.run as number) : undefined;
      },
      60_000,
    );
  }

  const env = async () => (await api(s, "/api/environments/production")).body as unknown as Env;

  test("deployments, then a rollback through the API and one through the CLI, each at the earlier commit", async () => {
    let q = await push();
    await approveNext();
    await done(q);
    commit("2");
    q = await push();
    await approveNext();
    await done(q);
    let e = await env();
    expect(e.history.map((d) => [d.sha, d.status, d.kind])).toEqual([
      [shas[1], "active", "deploy"],
      [shas[0], "inactive", "deploy"],
    ]);
    const [second, first] = e.history as [D, D];
    const diff = (await api(s, `/api/environments/production/diff?from=${first.id}&to=${second.id}`))
      .body as unknown as {
      added: { sha: string; subject: string }[];
      removed: unknown[];
    };
    expect(diff.added.map((c) => c.subject)).toEqual(["version 2"]);
    expect(diff.removed).toEqual([]);

    // A reader may not roll back; a reviewer may (no approval needed again: asking was the decision).
    const refused = await api(s, "/api/environments/production/rollback", {
      method: "POST",
      headers: { authorization: "Bearer otto-token" },
      body: "{}",
    });
    expect(refused.status).toBe(403);
    const rb = await api(s, "/api/environments/production/rollback", {
      method: "POST",
      headers: { authorization: "Bearer rita-token" },
      body: "{}",
    });
    expect(rb.status).toBe(202);
    expect(rb.body).toMatchObject({ status: "queued", rollbackOf: first.id, sha: shas[0] });
    const n = await done(rb.body.queued as number);
    const text = (await api(s, `/api/runs/${n}`)).body as unknown as {
      jobs: { key: string; result: string }[];
    };
    // Only the deployment job and what it needs ran again, not the health check.
    expect(text.jobs.map((j) => [j.key, j.result]).sort()).toEqual([
      ["build", "success"],
      ["deploy", "success"],
    ]);
    // The first commit's files, under the branch's ref, as the first deployment ran.
    expect(readFileSync(join(repo, ".slipway", "runs", String(n), "events.jsonl"), "utf8")).toContain(
      `deploying version 1 at ${shas[0]} from refs/heads/main`,
    );
    e = await env();
    expect(e.current).toMatchObject({
      sha: shas[0],
      kind: "rollback",
      rollbackOf: first.id,
      approvedBy: ["rita"],
    });
    expect(e.history.find((d) => d.id === second.id)!.status).toBe("rolled_back");

    // The CLI: back to the second deployment.
    const cli = await slipwayAsync(
      [
        "deploy",
        "rollback",
        "production",
        "--to",
        String(second.id),
        "--server",
        s.url,
        "--token",
        "admin-t",
      ],
      repo,
    );
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(
      new RegExp(
        `rollback of production to deployment ${second.id} \\(${shas[1]!.slice(0, 12)}\\) queued as (\\d+)`,
      ),
    );
    await done(Number(/queued as (\d+)/.exec(cli.stdout)![1]));
    e = await env();
    expect(e.current).toMatchObject({ sha: shas[1], kind: "rollback", rollbackOf: second.id });
    const bad = await slipwayAsync(
      ["deploy", "rollback", "production", "--to", "999", "--server", s.url, "--token", "admin-t"],
      repo,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("404: no deployment 999 of this environment");
    // The page: no buttons for someone not signed in; rita's redeploy button goes back to the first.
    const page = await api(s, "/environments/production");
    expect(page.text).toContain("rolled back");
    expect(page.text).not.toContain('action="/environments/production/rollback"');
    const rita = await signIn(s.url, "rita-token");
    const mine = await fetch(`${s.url}/environments/production`, { headers: { cookie: rita } }).then((r) =>
      r.text(),
    );
    expect(mine).toContain('action="/environments/production/rollback"');
    const form = await postForm(s.url, "/environments/production/rollback", rita, {
      _csrf: formToken(mine),
      to: String(first.id),
    });
    expect(form.status).toBe(303);
    expect(form.headers.get("location")).toBe("/environments/production");
    await until("the page's redeploy to go live", async () => {
      const x = await env();
      return x.current?.rollbackOf === first.id && x.current.id > second.id + 2 ? x : undefined;
    });
  }, 180_000);

  test("auto-rollback: the health check fails after the deployment succeeded; the last good one is redeployed and the incident recorded", async () => {
    const before = (await env()).current!;
    commit("3", true);
    const q = await push();
    await approveNext();
    const n = await done(q);
    expect((await api(s, `/api/queue/${q}`)).body.exitCode).toBe(1);
    const e = await until(
      "the automated rollback to finish",
      async () => {
        const x = await env();
        return x.current?.kind === "rollback" && x.current.sha === before.sha && x.incidents[0]?.closedAt
          ? x
          : undefined;
      },
      60_000,
    );
    const failed = e.history.find((d) => d.run === n)!;
    expect(failed).toMatchObject({ sha: shas[2], status: "failed", kind: "deploy" });
    expect(failed.failedAt).toBeGreaterThan(0);
    expect(e.current).toMatchObject({ approvedBy: ["auto-rollback"], rollbackOf: before.id });
    expect(e.incidents[0]).toMatchObject({ deployment: failed.id });
    expect(e.incidents[0]!.reason).toContain(
      `run #${n} failed after deploy deployed ${shas[2]!.slice(0, 12)} to production: health`,
    );
    // qa has no auto-rollback: its deployment stays, marked as a change failure with an open incident.
    const qa = (await api(s, "/api/environments/qa")).body as unknown as Env;
    // No review was asked for: nobody approved it.
    expect(qa.current).toMatchObject({ sha: shas[2], status: "active", approvedBy: [] });
    expect(qa.current!.failedAt).toBeGreaterThan(0);
    expect(qa.incidents[0]).toMatchObject({ deployment: qa.current!.id });
    expect(qa.incidents[0]!.reason).toContain("qa-check failed");
    expect(qa.incidents[0]!.closedAt).toBeUndefined();
  }, 180_000);
});

test("slipway deploy: usage mistakes exit 2, an unreachable server 1, said once", () => {
  const dir = tempRepo();
  const usage = slipway(["deploy", "rollback"], dir);
  expect(usage).toMatchObject({ code: 2, stdout: "" });
  expect(usage.stderr).toContain("expected one environment");
  expect(slipway(["deploy", "rollback", "prod"], dir, { SLIPWAY_SERVER_URL: "" }).stderr).toContain(
    "--server URL is required",
  );
  expect(
    slipway(["deploy", "rollback", "prod", "--to", "x", "--server", "http://127.0.0.1:9"], dir).stderr,
  ).toContain("--to expects a deployment's id");
  const gone = slipway(["deploy", "rollback", "prod", "--server", "http://127.0.0.1:9"], dir);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/^slipway deploy: cannot reach http:\/\/127\.0\.0\.1:9: .+\n$/);
});

test("slipway run --sha runs an earlier commit under the branch's ref; a sha not in the repository is a usage error", () => {
  const dir = tempRepo(undefined, {
    ".github/workflows/ci.yml": `on: push
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "at \${{ github.sha }} on \${{ github.ref }}, version $(cat VERSION)"
`,
    VERSION: "1\n",
  });
  const g = (...a: string[]) => execFileSync("git", a, { cwd: dir, encoding: "utf8" }).trim();
  const first = g("rev-parse", "HEAD");
  writeFileSync(join(dir, "VERSION"), "2\n");
  g("commit", "-qam", "two");
  const r = slipway(["run", "push", "--ref", "refs/heads/main", "--sha", first, "--no-sandbox"], dir);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`at ${first} on refs/heads/main, version 1`);
  const bad = slipway(["run", "push", "--sha", "f".repeat(40)], dir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain(`--sha expects the full hash of a commit in ${dir}, got '${"f".repeat(40)}'`);
});
