import { execFileSync } from "node:child_process";
import { XMLValidator } from "fast-xml-parser";
import { Registry } from "prom-client";
import { expect, test } from "vitest";
import type { Deployment, Incident } from "../cd/types.js";
import { tempRoots } from "../db/test-helpers.js";
import { doraPageFor } from "./dora-page.js";
import { listIncidents } from "./incidents.js";
import { registerDora } from "./prometheus.js";
import { historyAccess, MetricsService } from "./service.js";
import type { CdSource } from "./source.js";

// The service over a real repository and history, with deployments from a CD source made of
// constructed records (the environments' table is connected to the same interface).
const roots = tempRoots();
const NOW = Date.UTC(2026, 11, 5, 12);
const H = 3_600_000;

function repoWithCommits(n: number): { root: string; shas: string[] } {
  const root = roots();
  const git = (args: string[], at?: number) =>
    execFileSync("git", args, {
      cwd: root,
      encoding: "utf8",
      env: {
        ...process.env,
        ...(at ? { GIT_COMMITTER_DATE: `@${at / 1000} +0000`, GIT_AUTHOR_DATE: `@${at / 1000} +0000` } : {}),
      },
    }).trim();
  git(["init", "-q", "-b", "main"]);
  git(["config", "user.email", "t@example.com"]);
  git(["config", "user.name", "t"]);
  const shas: string[] = [];
  for (let i = 0; i < n; i++) {
    git(["commit", "-q", "--allow-empty", "-m", `c${i}`], NOW - (n - i) * 2 * H);
    shas.push(git(["rev-parse", "HEAD"]));
  }
  return { root, shas };
}

const dep = (id: number, sha: string, at: number, over: Partial<Deployment> = {}): Deployment => ({
  id,
  repo: "",
  environment: "production",
  sha,
  ref: "refs/heads/main",
  run: id,
  job: "deploy",
  attempt: 1,
  approvedBy: [],
  startedAt: at - 60_000,
  finishedAt: at,
  status: "inactive",
  kind: "deploy",
  ...over,
});

test("figures from the CD source and the API's incidents, on the page, in /metrics", async () => {
  const { root, shas } = repoWithCommits(6);
  // Commits every 2 h from NOW-12h; deployments 1 h after commits 1, 3 (fails), a rollback, then 5.
  const deployments = [
    dep(1, shas[1]!, NOW - 9 * H),
    dep(2, shas[3]!, NOW - 5 * H, { failedAt: NOW - 5 * H + 60_000, status: "rolled_back" }),
    dep(3, shas[1]!, NOW - 4.5 * H, { kind: "rollback", rollbackOf: 1 }),
    dep(4, shas[5]!, NOW - H),
    dep(5, shas[5]!, NOW - H, { environment: "staging" }),
  ];
  const theirs: Incident[] = [
    {
      id: 1,
      repo: "",
      environment: "production",
      deployment: 2,
      reason: "health check",
      openedAt: NOW - 5 * H,
    },
  ];
  let asked = 0;
  const source: CdSource = {
    deployments: async (repo, since) => {
      asked++;
      expect([repo, since]).toEqual(["", 0]);
      return deployments;
    },
    // The API's incidents are in the same table as the environments' (cd_incidents).
    incidents: async () => [
      ...theirs,
      ...(await historyAccess(root, undefined)((db) => listIncidents(db, 0))),
    ],
  };
  const m = new MetricsService({ root, withDb: historyAccess(root, undefined), source, now: () => NOW });
  const r = await m.dora(7);
  expect(r.environments.map((f) => f.environment)).toEqual(["production", "staging"]);
  const prod = r.environments[0]!;
  expect(prod.frequency.deployments).toBe(4);
  // d1, the first, brings its own c1 (1 h); d2 brings c2, c3 (3 h, 1 h); the rollback none;
  // d4 brings c4, c5 (3 h, 1 h).
  expect(prod.leadTime).toEqual({ count: 5, medianMs: H, p90Ms: 3 * H });
  expect(prod.changeFailure).toMatchObject({ failed: 1, failedIds: [2] });
  expect(prod.restore).toMatchObject({ count: 1, medianMs: 0.5 * H, open: 0 });
  expect(prod.failures[0]).toMatchObject({ deployment: 2, incidents: [1] });

  // An incident opened through the API shows at once (the cached figures are dropped).
  await m.dora(7);
  expect(asked).toBe(1);
  const opened = await m.openIncident({ environment: "production", reason: "slow checkout" });
  expect((await m.dora(7, "production")).environments[0]!.restore.open).toBe(1);
  expect((await m.incidents()).map((x) => x.reason)).toEqual(["health check", "slow checkout"]);
  await m.closeIncident(opened.id);

  const html = await doraPageFor(m, "shop", new URL("http://x/dora?days=7&env=production"));
  expect(html).toContain("<h2>production");
  expect(html).not.toContain("<h2>staging");
  expect(html).toContain("1 of 4 deployments");
  expect(html).toContain("median 1.0h, p90 3.0h");
  const svgs = [...html.matchAll(/<svg [\s\S]*?<\/svg>/g)].map((x) => x[0]);
  expect(svgs).toHaveLength(2);
  for (const s of svgs) expect(XMLValidator.validate(s)).toBe(true);
  expect(svgs[0]).toContain("<title>2026-12-05: 4 deployments, 1 failed</title>");

  const reg = new Registry();
  registerDora(reg, [{ repository: "acme/shop", service: m }]);
  const text = await reg.metrics();
  expect(text).toContain(
    'slipway_dora_deployments{repository="acme/shop",environment="production",days="7"} 4',
  );
  expect(text).toContain(
    'slipway_dora_lead_time_seconds{repository="acme/shop",environment="production",days="30",quantile="0.9"} 10800',
  );
  expect(text).toContain(
    'slipway_dora_change_failure_rate{repository="acme/shop",environment="production",days="90"} 0.25',
  );
  expect(text).toContain('slipway_dora_deployments{repository="acme/shop",environment="staging",days="7"} 1');
  await expect(doraPageFor(m, "shop", new URL("http://x/dora?days=x"))).rejects.toThrow("days must be");
});
