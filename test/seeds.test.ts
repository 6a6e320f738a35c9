import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

// Every complete workflow in the seed plans (/work/shared/seeds), verbatim in test/fixtures/seeds
// (see its README.md): each must load, be listed, and plan for every event it triggers on.
const dir = join(ROOT, "test/fixtures/seeds");
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith(".yml"))
  .sort();

/** Seed workflows GitHub itself rejects: the errors `slipway plan` must give, as line:col: message. */
const INVALID: Record<string, string[]> = {
  // The plan elides three jobs to a comment ("# ... (use optimized matrix from Phase 3)"), so they
  // have neither runs-on, uses nor steps, and leaves a step's `env:` holding only a comment (null).
  "001_06cf0a4bb5a5f273-release-automated.yml": [
    "73:5: There's not enough info to determine what you meant. Add one of these properties:",
    "79:5: There's not enough info to determine what you meant. Add one of these properties:",
    "85:5: There's not enough info to determine what you meant. Add one of these properties:",
    "120:13: Unexpected value ''",
  ],
};

/** Jobs the seeds' own `if:` conditions skip for each planned event, read from the files by hand. */
const SKIPPED: Record<string, Record<string, string[]>> = {
  "004_b94924eae7ad4319-ci.yml": {
    "push --ref refs/heads/main": [],
    "push --ref refs/heads/develop": ["build-docker"], // if: ... github.ref == 'refs/heads/main'
    "pull_request --base main": ["benchmarks", "build-docker"], // if: github.event_name == 'push'
  },
  "004_b94924eae7ad4319-release.yml": {
    "push --ref refs/tags/v1.2.3": [],
  },
};

type Doc = { on: unknown; jobs: Record<string, Record<string, unknown>> };

const literals = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === "string" ? [v] : []).filter(
    (s): s is string => typeof s === "string" && !/[*?[\]!+]/.test(s),
  );

/** `[flag, first literal value]`, or nothing when the filter has no literal value. */
const firstAs = (flag: string, v: unknown): string[] =>
  literals(v)
    .slice(0, 1)
    .flatMap((x) => [flag, x]);

/** The `on:` of a workflow as event → configuration. */
function eventsOf(on: unknown): Record<string, unknown> {
  if (typeof on === "string") return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [e, null]));
  return on as Record<string, unknown>;
}

/** `slipway plan` arguments for each event (and each literal branch) the workflow triggers on. */
function planArgs(on: unknown): string[][] {
  const out: string[][] = [];
  for (const [name, value] of Object.entries(eventsOf(on))) {
    const cfg = (value ?? {}) as Record<string, unknown>;
    switch (name) {
      case "push": {
        if (cfg.tags !== undefined) out.push(["push", "--ref", "refs/tags/v1.2.3"]);
        if (cfg.branches !== undefined || cfg.tags === undefined) {
          const branches = literals(cfg.branches);
          if (!branches.length) out.push(["push"]);
          for (const b of branches) out.push(["push", "--ref", `refs/heads/${b}`]);
        }
        break;
      }
      case "pull_request":
      case "pull_request_target":
        out.push([name, ...firstAs("--base", cfg.branches)]);
        break;
      case "workflow_dispatch": {
        const inputs = Object.entries((cfg.inputs ?? {}) as Record<string, Record<string, unknown> | null>);
        const given = inputs
          .filter(([, d]) => d?.required === true && d.default === undefined)
          .flatMap(([k, d]) => {
            const v =
              d?.type === "boolean" ? "true" : d?.type === "number" ? "1" : (literals(d?.options)[0] ?? "x");
            return ["--input", `${k}=${v}`];
          });
        out.push([name, ...given]);
        break;
      }
      case "release":
        out.push([name, ...firstAs("--type", cfg.types)]);
        break;
      case "schedule":
        out.push([name]);
        break;
      default:
        throw new Error(`seeds.test.ts: no plan arguments for the event '${name}' yet`);
    }
  }
  return out;
}

/** Legs of a job whose matrix is literal lists only (no include/exclude/expressions), else undefined. */
function literalLegs(job: Record<string, unknown>): number | undefined {
  const matrix = (job.strategy as { matrix?: unknown } | undefined)?.matrix;
  if (!matrix || typeof matrix !== "object") return undefined;
  const axes = Object.entries(matrix);
  if (axes.some(([k, v]) => k === "include" || k === "exclude" || !Array.isArray(v))) return undefined;
  return axes.reduce((n, [, v]) => n * (v as unknown[]).length, 1);
}

interface PlannedJob {
  id: string;
  condition: string;
  legs: { name: string }[] | { atRunTime: string };
}
interface PlanJson {
  workflows: { file: string; errors: string[]; jobs: PlannedJob[] }[];
  notTriggered: { file: string; reason: string }[];
  errors: string[];
}

describe("seed workflows", () => {
  test("the fixtures and the expectation tables agree", () => {
    expect(fixtures.length).toBeGreaterThan(0);
    for (const f of [...Object.keys(INVALID), ...Object.keys(SKIPPED)]) expect(fixtures).toContain(f);
  });

  describe.each(fixtures)("%s", (name) => {
    const text = readFileSync(join(dir, name), "utf8");
    const doc = parse(text) as Doc;
    const file = `.github/workflows/${name}`;
    const repo = tempRepo(undefined, { [file]: text });
    const jobIds = Object.keys(doc.jobs);
    const invalid = INVALID[name];

    test("slipway list --json lists it", () => {
      const r = slipway(["list", "--json"], repo);
      const rows = JSON.parse(r.stdout) as { file: string; triggers: string[]; jobs: { id: string }[] }[];
      const row = rows.find((w) => w.file === file);
      expect(row, r.stderr).toBeDefined();
      if (invalid) {
        expect(r.code).not.toBe(0);
        return;
      }
      expect(r.code, r.stderr).toBe(0);
      expect(row!.triggers.sort()).toEqual(Object.keys(eventsOf(doc.on)).sort());
      expect(row!.jobs.map((j) => j.id)).toEqual(jobIds);
    });

    const push = eventsOf(doc.on).push as Record<string, unknown> | null | undefined;
    if (!invalid && push?.tags !== undefined && push.branches === undefined)
      test("a branch push does not trigger a tags-only workflow", () => {
        const r = slipway(["plan", "push", "-W", file, "--json"], repo);
        expect(r.code, r.stderr).toBe(0);
        const plan = JSON.parse(r.stdout) as PlanJson;
        expect(plan.workflows).toEqual([]);
        expect(plan.notTriggered.map((k) => k.file)).toEqual([file]);
      });

    test.each(planArgs(doc.on).map((a) => [a.join(" "), a] as const))("slipway plan %s", (label, args) => {
      const r = slipway(["plan", ...args, "-W", file, "--json"], repo);
      expect(r.stderr, "no stack trace").not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      if (invalid) {
        expect(r.code).toBe(1);
        for (const e of invalid) expect(r.stderr).toContain(`${file}:${e}`);
        return;
      }
      expect(r.code, r.stderr).toBe(0);
      const plan = JSON.parse(r.stdout) as PlanJson;
      expect(plan.errors).toEqual([]);
      expect(plan.notTriggered).toEqual([]);
      expect(plan.workflows.map((w) => w.file)).toEqual([file]);
      const wf = plan.workflows[0]!;
      expect(wf.errors).toEqual([]);
      expect(wf.jobs.map((j) => j.id).sort()).toEqual([...jobIds].sort());
      for (const j of wf.jobs) {
        const legs = literalLegs(doc.jobs[j.id] ?? {});
        if (legs !== undefined) expect(j.legs, j.id).toHaveLength(legs);
      }
      const skipped = SKIPPED[name]?.[label];
      expect(skipped, `add what '${label}' skips to SKIPPED`).toBeDefined();
      expect(wf.jobs.filter((j) => j.condition === "skip").map((j) => j.id)).toEqual(skipped);
    });
  });
});
