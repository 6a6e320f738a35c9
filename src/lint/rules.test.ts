// Every rule has a fixture that triggers it (bad) and one that does not (ok). Expected findings
// are written in the fixtures as `# expect: rule-id[, rule-id]` on the line they belong to.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { lintRepoDetailed } from "./index.js";
import { LINT_RULES } from "./rule-docs.js";
import { shellcheckAvailable } from "./rules/shellcheck.js";

const fx = join(import.meta.dirname, "../../test/fixtures/lint");
const CASES = ["bad.yml", "ok.yml", "bad-action/action.yml", "ok-action/action.yml"];

function expected(text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    const m = /# expect: ([\w-]+(?:, [\w-]+)*)/.exec(line);
    for (const rule of m?.[1]?.split(", ") ?? []) out.push(`${i + 1}:${rule}`);
  });
  return out.sort();
}

const hasShellcheck = await shellcheckAvailable("shellcheck");
const ruleDirs = readdirSync(fx).filter((d) => d in LINT_RULES);

describe("lint rules", () => {
  test("every rule except config has a bad and an ok fixture", () => {
    const missing = Object.keys(LINT_RULES).filter(
      (r) => r !== "config" && !(existsSync(join(fx, r, "bad.yml")) && existsSync(join(fx, r, "ok.yml"))),
    );
    expect(missing).toEqual([]);
  });

  for (const rule of ruleDirs) {
    for (const file of CASES.filter((c) => existsSync(join(fx, rule, c)))) {
      const skip = rule === "shellcheck" && !hasShellcheck;
      test.skipIf(skip)(`${rule}/${file}`, async () => {
        const opts = rule === "shellcheck" ? {} : { shellcheck: false as const };
        const r = await lintRepoDetailed(join(fx, rule), [file], opts);
        const got = r.findings.map((f) => `${f.line}:${f.rule}`).sort();
        const want = expected(readFileSync(join(fx, rule, file), "utf8"));
        expect(got, JSON.stringify(r.findings, null, 1)).toEqual(want);
        if (file.startsWith("bad")) expect(want.some((w) => w.endsWith(`:${rule}`))).toBe(true);
      });
    }
  }
});
