import { describe, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

// A job whose only running step outlives timeout-minutes: the run must end with the job
// failed and the result printed. On the host it used to end silently with exit 0 (the
// process had nothing left that kept it alive once the job timer fired).
const WORKFLOW = `on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    timeout-minutes: 0.02
    steps:
      - run: sleep 30
      - run: echo after
`;

describe("a job timeout", () => {
  for (const executor of ["--no-sandbox", "--sandbox"]) {
    test(`fails the job and prints the result (${executor})`, () => {
      const repo = tempRepo(undefined, { ".github/workflows/ci.yml": WORKFLOW });
      const r = slipway(["run", executor], repo);
      if (executor === "--sandbox" && /no sandbox/.test(r.stderr)) return;
      expect(r.stdout, r.stderr).toMatch(/exceeded its timeout of 0\.02 minutes/);
      expect(r.stdout).toMatch(/Run failure/);
      expect(r.code).toBe(1);
    });
  }
});
