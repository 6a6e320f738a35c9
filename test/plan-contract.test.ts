// The plan is the contract: `slipway plan --json > p.json` then `slipway run --plan p.json`
// runs the same jobs with the same results and outputs as `slipway run`, a secret's value
// never reaches the plan file, and what the plan deferred is expanded at run time.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

const SECRET = "s3cr3t-plan-value";

interface RunOut {
  result: string;
  run: number;
  runId: string;
  folder: string;
  jobs: { job: string; name: string; result: string; reason?: string; outputs: Record<string, string> }[];
}

/** What must agree between two runs: jobs, names, results, reasons and outputs (not times or ids). */
const shape = (r: RunOut) =>
  r.jobs
    .map(({ job, name, result, reason, outputs }) => ({ job, name, result, reason, outputs }))
    .sort((a, b) => a.job.localeCompare(b.job));

describe("slipway run --plan runs exactly the saved plan", () => {
  const repo = tempRepo(join(ROOT, "test/fixtures/plan-contract"));
  // --no-reuse: the saved plan's run must run the jobs, not reuse the direct run's.
  const opts = ["--host", "--json", "--approve", "production", "--no-reuse"];

  test("same jobs, results and outputs as slipway run; secrets masked and absent from the plan", () => {
    const direct = slipway(["run", ...opts, "-s", `DEPLOY_TOKEN=${SECRET}`], repo);
    expect(direct.code, direct.stderr).toBe(0);
    const planned = slipway(
      ["plan", "--json", "-s", `DEPLOY_TOKEN=${SECRET}`, "--approve", "production"],
      repo,
    );
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).not.toContain(SECRET);
    const file = join(repo, "p.json");
    writeFileSync(file, planned.stdout);
    const plan = JSON.parse(planned.stdout).plan;
    expect(plan.version).toBe(1);
    expect(plan.secretNames).toEqual(["DEPLOY_TOKEN"]);
    const jobs = Object.fromEntries(
      plan.workflows[0].jobs.map((j: { id: string; legs: unknown }) => [j.id, j.legs]),
    );
    expect(jobs.test.legs.map((l: { name: string }) => l.name)).toEqual(["Test on 22", "Test on 24"]);
    expect(jobs.build.deferred).toContain("needs");
    expect(jobs.deploy.legs[0].environment).toEqual({ name: "production" });

    const saved = slipway(["run", "--plan", "p.json", ...opts, "-s", `DEPLOY_TOKEN=${SECRET}`], repo);
    expect(saved.code, saved.stderr).toBe(0);
    const a = JSON.parse(direct.stdout) as RunOut;
    const b = JSON.parse(saved.stdout) as RunOut;
    expect(shape(b)).toEqual(shape(a));
    expect(b.run).toBe(a.run + 1);
    expect(b.runId).not.toBe(a.runId);
    const byKey = Object.fromEntries(b.jobs.map((j) => [j.job, j]));
    expect(byKey.build!.outputs).toEqual({ built: expect.stringMatching(/^(arm|x86)$/) });
    expect(byKey["build.1"]!.name).toBe("build (arm)");
    expect(byKey.deploy!.outputs).toEqual({ said: "hi-push" });
    // Each run keeps the plan it obeyed: running it again gives the same jobs once more.
    const kept = join(b.folder, "plan.json");
    expect(readFileSync(kept, "utf8")).not.toContain(SECRET);
    const again = slipway(["run", "--plan", kept, ...opts, "-s", `DEPLOY_TOKEN=${SECRET}`], repo);
    expect(again.code, again.stderr).toBe(0);
    expect(shape(JSON.parse(again.stdout) as RunOut)).toEqual(shape(a));
    expect(byKey["lib.hello"]!.name).toBe("lib / hello");

    // The deferred nodes were expanded by the planner at run time, and said so.
    const events = readFileSync(join(b.folder, "events.jsonl"), "utf8");
    const expanded = events
      .split("\n")
      .filter((l) => l.includes('"plan-expanded"'))
      .map((l) => JSON.parse(l));
    expect(expanded.map((e) => [e.job, e.legs])).toEqual(
      expect.arrayContaining([
        ["build", ["build (arm)", "build (x86)"]],
        ["lib", ["lib.hello"]],
      ]),
    );
    // The secret reached the steps (masked) in both runs, and no saved file holds it.
    expect(events).toContain("with token ***");
    expect(events).not.toContain(SECRET);
    expect(readFileSync(join(b.folder, "events.jsonl"), "utf8")).toContain("deploying");
  });

  test("without --approve the deployment is skipped, as in slipway run", () => {
    const saved = slipway(
      ["run", "--plan", "p.json", "--host", "--json", "-s", `DEPLOY_TOKEN=${SECRET}`],
      repo,
    );
    const r = JSON.parse(saved.stdout) as RunOut;
    expect(r.jobs.find((j) => j.job === "deploy")).toMatchObject({ result: "skipped" });
  });

  test("a secret the plan names but the run does not give is said, by name", () => {
    const saved = slipway(["run", "--plan", "p.json", "--host", "--json"], repo);
    expect(saved.stderr).toContain("the plan was made with secret DEPLOY_TOKEN, not given now");
  });

  test("bad plan files: the file, the place, exit 2, no stack", () => {
    const cases: [string, string, string][] = [
      ["broken.json", '{"version": 1,\n  "trigger": {,', "broken.json:2:15: not a JSON plan"],
      [
        "old.json",
        '{"version": 99}',
        "old.json: plan version 99 is not supported (this Slipway reads version 1)",
      ],
      ["none.json", "[]", "none.json: not a run plan"],
      ["shape.json", '{"version": 1, "trigger": {}}', "shape.json: trigger.event must be a string"],
    ];
    for (const [name, text, message] of cases) {
      writeFileSync(join(repo, name), text);
      const r = slipway(["run", "--plan", name], repo);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toContain(message);
      expect(r.stderr, name).not.toMatch(/\n\s+at /);
    }
    const p = JSON.parse(readFileSync(join(repo, "p.json"), "utf8"));
    p.plan.workflows[0].jobs[0].body.pairs[0][1] = { type: "mystery" };
    writeFileSync(join(repo, "token.json"), JSON.stringify(p));
    const r = slipway(["run", "--plan", "token.json"], repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'token.json: workflows[0].jobs[0].body.pairs[0][1]: unknown token type "mystery"',
    );
    const mixed = slipway(["run", "--plan", "p.json", "--matrix", "node=22"], repo);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("--plan runs the plan as saved: --matrix belongs to 'slipway plan'");
  });
});
