import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { tempRepo } from "./helpers/cli.js";
import { api, serve, stopAll, until, webhook } from "./helpers/serve.js";

// A re-run through `slipway serve` is a new attempt of its run: the deployment it makes says
// which attempt (github.run_attempt), and the version built from github.run_number is the same.

const HOOK = "attempts-hook";

afterAll(async () => {
  await stopAll();
}, 60_000);

test("re-running all jobs on the server deploys again as attempt 2 of the run, with its run number", async () => {
  const healthy = join(mkdtempSync(join(tmpdir(), "slipway-attempt-")), "healthy");
  const repo = tempRepo(undefined, {
    ".gitignore": ".slipway/\nslipway-server.yml\n",
    ".github/workflows/cd.yml": `on: push
jobs:
  deploy:
    environment: qa
    runs-on: ubuntu-latest
    steps:
      - run: echo "deploying 1.0.\${{ github.run_number }} attempt \${{ github.run_attempt }}"
  check:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: test -f ${healthy}
`,
  });
  writeFileSync(join(repo, "slipway-server.yml"), "environments:\n  qa: {}\n");
  const s = await serve(repo, ["--no-schedules", "--token", "admin-t"], { SLIPWAY_WEBHOOK_SECRET: HOOK });
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  const r = await webhook(
    s,
    "push",
    { ref: "refs/heads/main", before: "0".repeat(40), after: head, repository: { full_name: "o/r" } },
    "attempt-1",
    HOOK,
  );
  const done = (queued: unknown) =>
    until(
      `queued run ${queued}`,
      async () => {
        const q = (await api(s, `/api/queue/${queued}`)).body;
        return q.state === "done" ? (q as unknown as { run: number; exitCode: number }) : undefined;
      },
      60_000,
    );
  const first = await done(r.body.queued);
  expect(first.exitCode).toBe(1);
  writeFileSync(healthy, "");
  const again = await api(s, `/api/queue/${r.body.queued}/rerun?jobs=all`, {
    method: "POST",
    headers: { authorization: "Bearer admin-t" },
  });
  expect(again.status).toBe(202);
  const second = await done(again.body.queued);
  expect(second.exitCode).toBe(0);
  expect((await api(s, `/api/runs/${second.run}`)).body).toMatchObject({
    attempt: 2,
    attemptOf: first.run,
  });
  const qa = (await api(s, "/api/environments/qa")).body as unknown as {
    history: { run: number; attempt: number }[];
  };
  expect(qa.history.map((d) => [d.run, d.attempt])).toEqual([
    [second.run, 2],
    [first.run, 1],
  ]);
  const log = (await api(s, `/api/runs/${second.run}/events`)).text;
  expect(log).toContain(`deploying 1.0.${first.run} attempt 2`);
}, 120_000);
