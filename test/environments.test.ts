import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";
import { api, type Server, serve, stopAll, until, webhook } from "./helpers/serve.js";
import { formToken, postForm, signIn } from "./helpers/session.js";

// Environments on a real `slipway serve` with a real agent, git and SQLite: protection rules
// from slipway-server.yml (N-of-M reviewers, self-review by the actor and by the commits'
// author, branch policies, a wait timer, no admin bypass), environment secrets reaching only
// the approved deployment job, masked, and the deployment recorded.

const HOOK = "env-hook-secret";
const SECRET_VALUE = "prod-deploy-key-7f3a9c";
const T = {
  alice: "alice-token-0001",
  bob: "bob-token-0002",
  carol: "carol-token-0003",
  dave: "dave-token-0004",
  erin: "erin-token-0005",
};

const CONFIG = `agents: 1
users:
  alice: { role: admin, token-env: T_ALICE }
  bob: { role: reviewer, token-env: T_BOB }
  carol: { role: reviewer, token-env: T_CAROL }
  dave: { role: reviewer, token-env: T_DAVE, emails: [dave@example.com] }
  erin: { role: reviewer, token-env: T_ERIN }
groups:
  release: [bob, carol, dave, erin]
environments:
  production:
    reviewers: [release]
    required-approvals: 2
    prevent-self-review: true
    deployment-branches: [main, "release/*"]
    admin-bypass: false
  staging:
    wait-timer: 3s
`;

const WF = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
  deploy:
    needs: build
    if: github.ref != 'refs/heads/stage'
    # As GitHub Pages' deploy does: the url is a step's output, read after the steps.
    environment:
      name: production
      url: \${{ steps.out.outputs.url }}
    runs-on: ubuntu-latest
    steps:
      - id: out
        run: echo "url=https://example.com/\${{ github.sha }}" >> "$GITHUB_OUTPUT"
      - run: echo "key-length=\${#KEY} key=[$KEY]"
        env:
          KEY: \${{ secrets.DEPLOY_KEY }}
  other:
    runs-on: ubuntu-latest
    steps:
      - run: echo "other-length=\${#KEY}"
        env:
          KEY: \${{ secrets.DEPLOY_KEY }}
  stage:
    if: github.ref == 'refs/heads/stage'
    environment: staging
    runs-on: ubuntu-latest
    steps:
      - run: echo staged
`;

let repo: string;
let s: Server;
const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, encoding: "utf8" }).trim();
type Pending = {
  id: string;
  run: number;
  job: string;
  environment: string;
  waiting: string;
  progress: string;
  rule: { required: number; given: string[] };
};

beforeAll(async () => {
  repo = tempRepo(undefined, { ".github/workflows/cd.yml": WF, ".gitignore": ".slipway/\n" });
  writeFileSync(join(repo, "slipway-server.yml"), CONFIG);
  // The commit to deploy is dave's: he may not approve it.
  writeFileSync(join(repo, "app.txt"), "v2\n");
  git("add", "app.txt");
  execFileSync(
    "git",
    ["-c", "user.email=dave@example.com", "-c", "user.name=Dave", "commit", "-q", "-m", "v2"],
    {
      cwd: repo,
    },
  );
  git("branch", "feature");
  git("branch", "stage");
  s = await serve(repo, ["--no-schedules", "--token", "admin-t"], {
    SLIPWAY_WEBHOOK_SECRET: HOOK,
    T_ALICE: T.alice,
    T_BOB: T.bob,
    T_CAROL: T.carol,
    T_DAVE: T.dave,
    T_ERIN: T.erin,
  });
  const put = await api(s, "/api/environments/production/secrets/DEPLOY_KEY", {
    method: "PUT",
    headers: { authorization: `Bearer ${T.alice}` },
    body: JSON.stringify({ value: SECRET_VALUE }),
  });
  expect(put.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await stopAll();
}, 60_000);

let delivery = 0;
async function push(ref: string, pusher = "carol") {
  const r = await webhook(
    s,
    "push",
    {
      ref,
      before: "0".repeat(40),
      after: git("rev-parse", ref),
      pusher: { name: pusher },
      repository: { full_name: "o/cd" },
    },
    `env-${++delivery}`,
    HOOK,
  );
  expect(r.status).toBe(202);
  return r.body.queued as number;
}

async function finished(queued: number) {
  return until(
    "the run to finish",
    async () => {
      const q = (await api(s, `/api/queue/${queued}`)).body;
      return q.state === "done" ? (q.run as number) : undefined;
    },
    60_000,
  );
}

const waiting = (environment: string) =>
  until(`a deployment to ${environment} to wait`, async () => {
    const a = (await api(s, "/api/approvals")).body.approvals as unknown as Pending[];
    return a.find((x) => x.environment === environment);
  });

const decide = (id: string, token: string, decision: "approve" | "reject", comment?: string) =>
  api(s, `/api/approvals/${id}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify({ decision, comment }),
  });

const events = (n: number) => readFileSync(join(repo, ".slipway", "runs", String(n), "events.jsonl"), "utf8");
const jobs = async (n: number) =>
  Object.fromEntries(
    (
      (await api(s, `/api/runs/${n}`)).body.jobs as unknown as {
        key: string;
        result: string;
        reason?: string;
      }[]
    ).map((j) => [j.key, j]),
  );

test("2 of the release group approve; the actor, the commit's author and an admin without bypass cannot; the secret reaches only the deployment, masked", async () => {
  const q = await push("refs/heads/main");
  const p = await waiting("production");
  expect(p).toMatchObject({ job: "deploy", waiting: "approval", rule: { required: 2, given: [] } });
  // The run page says the job waits, and where to decide.
  const runPage = await until("the run page to show the wait", async () => {
    const t = (await api(s, `/runs/${p.run}`)).text;
    return t.includes("waiting for approval to production") ? t : undefined;
  });
  expect(runPage).toContain('href="/approvals"');
  // carol pushed (the actor); dave wrote the commit; alice is an admin but bypass is off.
  expect((await decide(p.id, T.carol, "approve")).body.error).toMatch(/carol triggered this run/);
  expect((await decide(p.id, T.dave, "approve")).body.error).toMatch(
    /dave wrote a commit.*dave@example\.com/,
  );
  const a = await decide(p.id, T.alice, "approve");
  expect(a.status).toBe(403);
  expect(a.body.error).toMatch(/not a reviewer of production \(admin bypass is off\)/);
  expect((await decide(p.id, "no-such-token", "approve")).status).toBe(401);
  expect((await decide(p.id, T.bob, "approve", "looks good")).status).toBe(200);
  expect((await decide(p.id, T.bob, "approve")).status).toBe(409);
  const one = (await api(s, `/api/approvals/${p.id}`)).body as unknown as Pending;
  expect(one).toMatchObject({
    progress: "1 of 2 approvals given",
    rule: { given: ["bob"] },
    waiting: "approval",
  });
  expect(await api(s, "/approvals").then((r) => r.text)).toContain("1 of 2");
  expect((await decide(p.id, T.erin, "approve")).body).toMatchObject({ approved: true, by: "bob, erin" });
  // The record: who decided, when, with what comment.
  const record = (await api(s, `/api/approvals/${p.id}`)).body as unknown as {
    decision: { state: string; by: string; at: string };
    reviews: { reviewer: string; approved: boolean; comment: string | null; at: string }[];
  };
  expect(record.decision).toMatchObject({ state: "approved", by: "bob, erin" });
  expect(record.reviews.map((r) => [r.reviewer, r.approved, r.comment])).toEqual([
    ["bob", true, "looks good"],
    ["erin", true, null],
  ]);
  expect(Date.parse(record.reviews[0]!.at)).toBeGreaterThan(0);
  const n = await finished(q);
  const j = await jobs(n);
  expect(j.deploy!.result).toBe("success");
  const text = events(n);
  expect(text).toContain(`key-length=${SECRET_VALUE.length} key=[***]`);
  expect(text).toContain("other-length=0");
  expect(text).not.toContain(SECRET_VALUE);
  const envAnswer = await api(s, "/api/environments/production");
  const env = envAnswer.body as unknown as {
    current: {
      sha: string;
      run: number;
      job: string;
      approvedBy: string[];
      url: string;
      status: string;
      kind: string;
    };
  };
  expect(env.current).toMatchObject({
    sha: git("rev-parse", "main"),
    run: n,
    job: "deploy",
    approvedBy: ["bob", "erin"],
    url: `https://example.com/${git("rev-parse", "main")}`,
    status: "active",
    kind: "deploy",
  });
  const list = (await api(s, "/api/environments")).body.environments as unknown as { name: string }[];
  expect(list.map((e) => e.name)).toEqual(["production", "staging"]);
  const page = await api(s, "/environments/production");
  expect(page.text).toContain("bob, erin");
  expect(page.text).not.toContain(SECRET_VALUE);
}, 120_000);

test("a reviewer's rejection (the approvals page's form) fails the job and the run, with the comment", async () => {
  const q = await push("refs/heads/main", "alice");
  const p = await waiting("production");
  // As a browser: bob signs in with his token, the page's form carries its CSRF token.
  const bob = await signIn(s.url, T.bob);
  const page = await fetch(`${s.url}/approvals`, { headers: { cookie: bob } }).then((r) => r.text());
  expect(page).toContain(`action="/approvals/${p.id}"`);
  expect(page).toContain("bob (reviewer)");
  const fields = { decision: "reject", comment: "not today" };
  expect((await postForm(s.url, `/approvals/${p.id}`, bob, fields)).status).toBe(403); // no CSRF token
  const form = await postForm(s.url, `/approvals/${p.id}`, bob, { _csrf: formToken(page), ...fields });
  expect(form.status).toBe(303);
  expect(form.headers.get("location")).toBe("/approvals");
  const n = await finished(q);
  expect((await api(s, `/api/queue/${q}`)).body.exitCode).toBe(1);
  const j = await jobs(n);
  expect(j.deploy).toMatchObject({ result: "failure", reason: "rejected by bob: not today" });
}, 120_000);

test("a branch the policy does not list cannot deploy: the job fails at once", async () => {
  const q = await push("refs/heads/feature");
  const n = await finished(q);
  const j = await jobs(n);
  expect(j.deploy).toMatchObject({ result: "failure" });
  expect(j.deploy!.reason).toContain('Branch "feature" is not allowed to deploy to production');
}, 120_000);

test("a wait timer holds the deployment, said as the reason, then lets it go", async () => {
  const q = await push("refs/heads/stage");
  const p = await waiting("staging");
  expect(p.waiting).toBe("wait timer");
  const n = await finished(q);
  expect((await jobs(n)).stage!.result).toBe("success");
}, 120_000);

test("a mistake in slipway-server.yml stops serve with its file:line:col", () => {
  const dir = tempRepo(undefined, {
    "slipway-server.yml":
      "users:\n  ann: {}\nenvironments:\n  prod:\n    reviewers: [ann]\n    required-approvals: 2\n",
  });
  const r = slipway(["serve", "--port", "0"], dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(
    "slipway serve: slipway-server.yml:6:25: environments.prod.required-approvals: 2 of 1 reviewers can never be met\n",
  );
  const t = slipway(["serve", "--port", "0", "--approval-timeout", "soon"], dir, {
    SLIPWAY_SERVE_CONFIG: "/dev/null",
  });
  expect(t.code).toBe(2);
  expect(t.stderr).toContain("--approval-timeout expects a duration such as 30d, 2h or 90s, got 'soon'");
});
