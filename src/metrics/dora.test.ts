import { describe, expect, test } from "vitest";
import type { CommitTime, Deployment, Incident } from "../cd/types.js";
import { band, DAY, dora, doraByEnvironment } from "./dora.js";
import type { CommitsOf } from "./source.js";

const H = 3_600_000;
const NOW = Date.UTC(2026, 11, 5, 12);

let ids = 0;
function dep(at: number, over: Partial<Deployment> = {}): Deployment {
  const id = ++ids;
  return {
    id,
    repo: "",
    environment: "production",
    sha: `sha${id}`,
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
  };
}

/** Commits per deployment id, as a provider that ignores the previous deployment. */
function stored(m: Record<number, CommitTime[]>): CommitsOf {
  return (d) => m[d.id] ?? [];
}

const figures = (deployments: Deployment[], over: Partial<Parameters<typeof dora>[0]> = {}) =>
  dora({ deployments, incidents: [], commitsOf: () => [], days: 30, now: NOW, ...over }, "", "production");

describe("deployment frequency", () => {
  test("successful deployments in the window, per day and per week", () => {
    const ds = [
      dep(NOW - 1 * DAY),
      dep(NOW - 2 * DAY),
      dep(NOW - 3 * DAY),
      dep(NOW - 40 * DAY), // before the window
      dep(NOW - DAY, { status: "in_progress", finishedAt: undefined }),
      dep(NOW - DAY, { status: "failed" }), // the deployment job failed: nothing reached production
      dep(NOW - DAY, { environment: "staging" }),
    ];
    const f = figures(ds).frequency;
    expect(f.deployments).toBe(3);
    expect(f.perDay).toBeCloseTo(3 / 30);
    expect(f.perWeek).toBeCloseTo(0.7);
  });

  test("bands: daily, weekly, monthly, yearly, none", () => {
    const week = (w: number, d: number) => NOW - w * 7 * DAY - d * DAY - H;
    // Three days a week, every week of 30 days' 4 weeks.
    expect(
      band(
        [0, 1, 2, 3].flatMap((w) => [week(w, 0), week(w, 2), week(w, 4)]),
        30,
        NOW,
      ),
    ).toBe("daily");
    // Three days in only one week of four: weekly (every week had one).
    expect(band([week(0, 0), week(0, 1), week(0, 2), week(1, 0), week(2, 0), week(3, 0)], 30, NOW)).toBe(
      "weekly",
    );
    // Two weeks of four with a deployment: at least half.
    expect(band([week(0, 0), week(2, 0)], 30, NOW)).toBe("weekly");
    expect(band([week(0, 0)], 30, NOW)).toBe("monthly");
    expect(band([week(3, 0), week(9, 0), week(11, 0)], 90, NOW)).toBe("monthly");
    expect(band([week(5, 0)], 90, NOW)).toBe("yearly");
    expect(band([], 7, NOW)).toBe("none");
  });
});

describe("lead time for changes", () => {
  test("median and p90 from each commit's time to the first deployment containing it", () => {
    const d1 = dep(NOW - 10 * H);
    const d2 = dep(NOW - 2 * H);
    const f = figures([d1, d2], {
      commitsOf: stored({
        [d1.id]: [
          { sha: "a", time: NOW - 11 * H },
          { sha: "b", time: NOW - 12 * H },
        ],
        [d2.id]: [
          { sha: "c", time: NOW - 3 * H },
          { sha: "d", time: NOW - 7 * H },
          { sha: "e", time: NOW - 2 * H - 60_000 },
        ],
      }),
    });
    expect(f.leadTime.count).toBe(5);
    // 1h, 2h (d1); 1h, 5h, 1m (d2): sorted 1m, 1h, 1h, 2h, 5h.
    expect(f.leadTime.medianMs).toBe(H);
    expect(f.leadTime.p90Ms).toBe(5 * H);
  });

  test("a commit counts once: not again in the deployment after a rollback", () => {
    // d2 brings c; it is rolled back (r deploys d1's commit); d3 brings c again with d.
    const d1 = dep(NOW - 20 * H);
    const d2 = dep(NOW - 10 * H, { status: "rolled_back" });
    const r = dep(NOW - 9 * H, { kind: "rollback", rollbackOf: d1.id, sha: d1.sha });
    const d3 = dep(NOW - 2 * H);
    const c = { sha: "c", time: NOW - 11 * H };
    const d = { sha: "d", time: NOW - 4 * H };
    const f = figures([d3, r, d1, d2], { commitsOf: stored({ [d2.id]: [c], [d3.id]: [c, d] }) });
    expect(f.leadTime.count).toBe(2);
    // c: 1h at d2 (not 9h at d3); d: 2h.
    expect(f.leadTime.medianMs).toBe(H);
    expect(f.leadTime.p90Ms).toBe(2 * H);
  });

  test("the provider gets the previous successful deployment of the environment", () => {
    const d1 = dep(NOW - 5 * H);
    const bad = dep(NOW - 4 * H, { status: "failed" });
    const other = dep(NOW - 3 * H, { environment: "staging" });
    const d2 = dep(NOW - 2 * H);
    const seen: [number, number | undefined][] = [];
    figures([d1, bad, other, d2], {
      commitsOf: (d, prev) => {
        seen.push([d.id, prev?.id]);
        return [];
      },
    });
    expect(seen).toEqual([
      [d1.id, undefined],
      [d2.id, d1.id],
    ]);
  });

  test("commits first deployed before the window are not in it", () => {
    const old = dep(NOW - 31 * DAY);
    const f = figures([old], { commitsOf: stored({ [old.id]: [{ sha: "x", time: NOW - 32 * DAY }] }) });
    expect(f.leadTime).toEqual({ count: 0, medianMs: null, p90Ms: null });
  });
});

describe("change failure rate", () => {
  test("failed health check, rolled back, replaced by a rollback or a fix: each deployment once", () => {
    const ok1 = dep(NOW - 10 * H);
    // Health check failed, then rolled back: one failure, not two.
    const hc = dep(NOW - 9 * H, { failedAt: NOW - 9 * H + 60_000, status: "rolled_back" });
    const rb = dep(NOW - 8 * H, { kind: "rollback", rollbackOf: ok1.id, sha: ok1.sha });
    const ok2 = dep(NOW - 7 * H);
    // Followed by a fix-forward.
    const broken = dep(NOW - 6 * H);
    const fix = dep(NOW - 5 * H, { kind: "fix" });
    const f = figures([ok1, hc, rb, ok2, broken, fix]);
    expect(f.changeFailure.failedIds).toEqual([hc.id, broken.id]);
    expect(f.changeFailure.deployments).toBe(6);
    expect(f.changeFailure.rate).toBeCloseTo(2 / 6);
  });

  test("an incident naming a deployment or its root-cause commit marks that deployment once", () => {
    const d1 = dep(NOW - 10 * H);
    const d2 = dep(NOW - 8 * H, { failedAt: NOW - 7 * H });
    const d3 = dep(NOW - 6 * H);
    const incidents: Incident[] = [
      { id: 1, repo: "", environment: "production", deployment: d2.id, reason: "5xx", openedAt: NOW - 7 * H },
      {
        id: 2,
        repo: "",
        environment: "production",
        reason: "slow pages",
        openedAt: NOW - 5 * H,
        closedAt: NOW - 4 * H,
        rootCauseSha: "abcdef1",
      },
    ];
    const f = figures([d1, d2, d3], {
      incidents,
      commitsOf: stored({ [d3.id]: [{ sha: "abcdef1234567890", time: NOW - 7 * H }] }),
    });
    expect(f.changeFailure.failedIds).toEqual([d2.id, d3.id]);
  });

  test("no deployments: no rate", () => {
    expect(figures([]).changeFailure.rate).toBeNull();
  });
});

describe("time to restore", () => {
  test("from the failed deployment to the next successful deployment that did not fail", () => {
    const d1 = dep(NOW - 10 * H);
    const bad = dep(NOW - 9 * H, { failedAt: NOW - 9 * H + 120_000 });
    const alsoBad = dep(NOW - 8 * H, { failedAt: NOW - 8 * H + 60_000 });
    const good = dep(NOW - 6 * H);
    const f = figures([d1, bad, alsoBad, good]);
    // bad: 9h → 6h; alsoBad: 8h → 6h.
    expect(f.restore.count).toBe(2);
    expect(f.restore.medianMs).toBe(2 * H);
    expect(f.restore.p90Ms).toBe(3 * H);
    expect(f.failures.map((x) => [x.deployment, x.restoredAt])).toEqual([
      [bad.id, good.finishedAt],
      [alsoBad.id, good.finishedAt],
    ]);
  });

  test("a rollback restores; an unrestored failure is open", () => {
    const d1 = dep(NOW - 10 * H);
    const d2 = dep(NOW - 9 * H, { status: "rolled_back", failedAt: NOW - 9 * H });
    const rb = dep(NOW - 8.5 * H, { kind: "rollback", sha: d1.sha });
    const d3 = dep(NOW - H, { failedAt: NOW - H + 1 });
    const f = figures([d1, d2, rb, d3]);
    expect(f.restore.count).toBe(1);
    expect(f.restore.medianMs).toBe(0.5 * H);
    expect(f.restore.open).toBe(1);
  });

  test("incidents from the API: from opening to the next successful deployment or the close", () => {
    const d1 = dep(NOW - 10 * H);
    const d2 = dep(NOW - 4 * H);
    const inc = (id: number, openedAt: number, closedAt?: number): Incident => ({
      id,
      repo: "",
      environment: "production",
      reason: "down",
      openedAt,
      ...(closedAt ? { closedAt } : {}),
    });
    const f = figures([d1, d2], {
      incidents: [
        inc(1, NOW - 6 * H), // restored by d2: 2h
        inc(2, NOW - 3 * H, NOW - 2.5 * H), // closed: 0.5h
        inc(3, NOW - 2 * H), // open
        { ...inc(4, NOW - 3 * H), environment: "staging" },
      ],
    });
    expect(f.failures.map((x) => x.incidents)).toEqual([[1], [2], [3]]);
    expect(f.restore).toEqual({ count: 2, medianMs: 0.5 * H, p90Ms: 2 * H, open: 1 });
    // Incidents alone are not change failures.
    expect(f.changeFailure.failed).toBe(0);
  });
});

test("per environment and repository, with a day-by-day series for the charts", () => {
  const ds = [
    dep(NOW - 2 * DAY),
    dep(NOW - 2 * DAY + H, { failedAt: NOW - 2 * DAY + 2 * H }),
    dep(NOW - DAY, { environment: "staging" }),
    dep(NOW - DAY, { repo: "o/other" }),
  ];
  const all = doraByEnvironment({ deployments: ds, incidents: [], commitsOf: () => [], days: 7, now: NOW });
  expect(all.map((f) => [f.repo, f.environment, f.frequency.deployments])).toEqual([
    ["", "production", 2],
    ["", "staging", 1],
    ["o/other", "production", 1],
  ]);
  const daily = all[0]!.daily;
  expect(daily).toHaveLength(7);
  expect(daily.at(-1)!.day).toBe("2026-12-05");
  expect(daily.find((p) => p.day === "2026-12-03")).toMatchObject({ deployments: 2, failures: 1 });
});
