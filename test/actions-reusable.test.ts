import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

const FIX = join(ROOT, "test/fixtures/actions/reusable");

describe("reusable workflows", () => {
  const repo = tempRepo(FIX);
  const r = slipway(
    ["run", "push", "-W", ".github/workflows/ci.yml", "--secret", "token=s3cret", "--json"],
    repo,
  );
  const out = JSON.parse(r.stdout) as {
    run: number;
    jobs: { job: string; result: string; reason?: string; outputs: Record<string, string> }[];
  };
  const job = (k: string) => out.jobs.filter((j) => j.job === k).at(-1);

  test("with:, secrets:, typed defaults, outputs, needs", () => {
    expect(r.stderr).not.toMatch(/internal error/);
    expect(job("call.greet")?.result).toBe("success");
    expect(job("call")?.result).toBe("success");
    expect(job("call")?.outputs).toEqual({ greeting: "hello world x2" });
    expect(job("after")?.result).toBe("success");
  });
  test("secrets: inherit and nesting", () => {
    expect(job("call.nested.deep")?.result).toBe("success");
    expect(job("call.nested")?.result).toBe("success");
  });
  test("strategy.matrix on the caller", () => {
    expect(job("call-matrix.1.greet")?.result).toBe("success");
    expect(job("call-matrix.2.greet")?.result).toBe("success");
    expect(job("call-matrix")?.result).toBe("success");
  });
  test("if: on the caller", () => expect(job("skipped")?.result).toBe("skipped"));
  test("the whole run succeeds", () => expect(r.code).toBe(0));
});

describe("reusable workflow errors", () => {
  test("a missing required input or secret is found when the workflow loads, with file:line:column", () => {
    const repo = tempRepo(FIX);
    const r = slipway(["run", "push", "-W", "bad-static.yml"], repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /bad-static\.yml:\d+:\d+: Input who is required, but not provided while calling/,
    );
    expect(r.stderr).toMatch(
      /bad-static\.yml:\d+:\d+: Secret token is required, but not provided while calling/,
    );
  });
  test("a value of the wrong type fails the calling job, naming it and the position", () => {
    const repo = tempRepo(FIX);
    const r = slipway(["run", "push", "-W", "bad-runtime.yml", "--json"], repo);
    const out = JSON.parse(r.stdout) as { jobs: { job: string; result: string; reason?: string }[] };
    const job = out.jobs.find((j) => j.job === "wrong-type");
    expect(job?.result).toBe("failure");
    expect(job?.reason).toMatch(
      /bad-runtime\.yml:4:11: job 'wrong-type': input 'count' of .*called\.yml must be a number, got 'push'/,
    );
    expect(r.code).toBe(1);
  });
});
