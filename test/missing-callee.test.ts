import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

// A remote reusable workflow that is not in the action store: one error at its uses: line in
// list, plan and lint; the workflow's other jobs are still listed, planned and run.
const WORKFLOW = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
  deploy:
    needs: build
    uses: someone/shared/.github/workflows/deploy.yml@v1
  docs:
    runs-on: ubuntu-latest
    steps:
      - run: echo docs
`;

describe("a remote reusable workflow missing from the action store", () => {
  const dir = tempRepo(undefined, { ".github/workflows/ci.yml": WORKFLOW });
  const env = { SLIPWAY_ACTION_STORE: join(dir, "empty-store"), SLIPWAY_OFFLINE: "1" };
  const at =
    /\.github\/workflows\/ci\.yml:9:11: Unable to find reusable workflow: 'someone\/shared\/\.github\/workflows\/deploy\.yml@v1' is not in the (offline )?action store/g;

  test("list shows the triggers and jobs, and the error once", () => {
    const r = slipway(["list"], dir, env);
    expect(r.stdout).toContain("  on: push\n");
    expect(r.stdout).toMatch(/- build 1 step\n\s+- deploy \(needs build\) uses someone\/shared/);
    expect(r.stdout.match(at)).toHaveLength(1);
    expect(r.code).toBe(1);
  });

  test("plan plans the other jobs and says the error once", () => {
    const r = slipway(["plan", "push"], dir, env);
    expect(r.stdout).not.toContain("No workflow is triggered");
    expect(r.stdout).toMatch(/• build/);
    expect(r.stdout).toMatch(/• docs/);
    expect((r.stdout + r.stderr).match(at)).toHaveLength(1);
    expect(r.code).toBe(1);
  });

  test("run fails the calling job only; a run of the other jobs succeeds", () => {
    const all = slipway(["run", "--json"], dir, env);
    const out = JSON.parse(all.stdout) as { result: string; jobs: { name: string; result: string }[] };
    expect(out.result).toBe("failure");
    expect(out.jobs.find((j) => j.name === "docs")?.result).toBe("success");
    expect(all.stderr.match(at)).toHaveLength(1);
    const docs = slipway(["run", "-j", "docs"], dir, env);
    expect(docs.stderr.match(at)).toHaveLength(1);
    expect(docs.stdout).toMatch(/Run success/);
    expect(docs.code).toBe(0);
  });

  test("lint reports it at the uses: line", () => {
    const r = slipway(["lint", "--no-shellcheck"], dir, env);
    expect(r.stdout).toMatch(
      /9:11 {2}warning {2}Unable to find reusable workflow: 'someone\/shared\/\.github\/workflows\/deploy\.yml@v1' is not in the offline action store.*\[reusable-workflow\]/,
    );
  });
});

test("plan over a workflow that cannot be loaded says so, not 'No workflow is triggered'", () => {
  const dir = tempRepo(undefined, { ".github/workflows/ci.yml": "on: push\njobs:\n  a:\n    ? k: v\n" });
  const r = slipway(["plan", "push"], dir);
  expect(r.stderr).toMatch(/ci\.yml:4:7: A mapping key must be plain text/);
  expect(r.stdout).toContain("No workflow is planned: 1 workflow file could not be loaded (errors above).");
  expect(r.code).toBe(1);
});

test("a callee the store lacks and the fetch cannot get fails only its job's plan line", () => {
  const dir = tempRepo(undefined, { ".github/workflows/ci.yml": WORKFLOW });
  const r = slipway(["plan", "push"], dir, {
    SLIPWAY_ACTION_STORE: join(dir, "empty-store"),
    SLIPWAY_GITHUB_URL: join(dir, "no-such-host"),
  });
  expect(r.stderr).toMatch(/ci\.yml:9:11: Unable to find reusable workflow: /);
  expect(r.stdout).toMatch(/• build/);
  expect(r.stdout).toMatch(/• docs/);
  expect(r.code).toBe(1);
});
