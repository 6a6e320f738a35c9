import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, test } from "vitest";
import { backends, freshHistory, newRun } from "../db/test-helpers.js";
import { addCoverage, endJob, endRun, insertRun, upsertJob } from "../db/writes.js";
import { badge, textWidth } from "./badge-svg.js";
import { Badges } from "./badges.js";

const texts = (svg: string) => [...svg.matchAll(/<text [^>]*y="14">([^<]*)</g)].map((m) => m[1]);

test("a badge is well-formed SVG, its text escaped, each side its text's width plus 10 px", () => {
  const svg = badge('a<b & "c"', "ok", "green");
  expect(XMLValidator.validate(svg)).toBe(true);
  expect(svg).toContain("a&lt;b &amp; &quot;c&quot;");
  // Verdana 11px: "i" is narrow, "W" wide; digits all alike.
  expect(textWidth("iiii")).toBeLessThan(textWidth("WWWW") / 2);
  expect(textWidth("0123")).toBe(textWidth("9999"));
  const w = Math.round(textWidth("build") + 10) + Math.round(textWidth("passing") + 10);
  expect(badge("build", "passing", "brightgreen")).toContain(`width="${w}"`);
  // Outside ASCII: counted as a capital letter.
  expect(textWidth("é")).toBe(textWidth("é".normalize("NFC")));
});

describe.each(backends())("badges over the history on $name", (b) => {
  test("workflow status per branch (a run of two workflows judged per workflow), coverage, score once per commit", async () => {
    const { db, root, url } = await freshHistory(b);
    await db.close();
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: root });
    mkdirSync(join(root, ".github", "workflows"), { recursive: true });
    writeFileSync(join(root, ".github", "workflows", "ci.yml"), "name: CI\non: push\njobs: {}\n");
    execFileSync("git", ["add", "-A"], { cwd: root });
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c"], { cwd: root });
    const { historyAccess } = await import("./service.js");
    const withDb = historyAccess(root, url);
    await withDb(async (db) => {
      // Run 1 on main: CI passes, lint fails. Run 2 on main: still going. Run 3 on dev: CI fails.
      const plan: [number, string, string | null, string][] = [
        [1, "refs/heads/main", "success", "failure"],
        [2, "refs/heads/main", null, "success"],
        [3, "refs/heads/dev", "failure", "success"],
      ];
      for (const [n, ref, ci, lint] of plan) {
        const run = await insertRun(
          db,
          newRun(n, { ref, workflows: [".github/workflows/ci.yml", ".github/workflows/lint.yml"] }),
        );
        const st = [
          upsertJob(run, "build", "build", "CI"),
          upsertJob(run, "lint", "lint", ".github/workflows/lint.yml"),
          endJob(run, "lint", { result: lint as "success", outputs: {}, endedAt: 5, durationMs: 1 }),
        ];
        if (ci) {
          st.push(endJob(run, "build", { result: ci as "success", outputs: {}, endedAt: 5, durationMs: 1 }));
          st.push(endRun(run, ci === "failure" || lint === "failure" ? "failure" : "success", 6));
        }
        if (n === 1)
          st.push(
            ...addCoverage(run, "build", 0, [
              { path: "a.ts", lines: 10, hit: 9 },
              { path: "b.ts", lines: 6, hit: 4 },
            ]),
          );
        await db.batch(st);
      }
    });
    let scored = 0;
    const badges = new Badges({
      root,
      withDb,
      score: async () => {
        scored++;
        return 87;
      },
    });
    const get = async (address: string) => {
      const url = new URL(`http://x${address}`);
      return texts((await badges.svg(url.pathname, url))!.svg);
    };
    expect(await get("/badges/ci.svg")).toEqual(["ci", "passing"]);
    expect(await get("/badges/CI.svg?branch=main")).toEqual(["CI", "passing"]);
    expect(await get("/badges/lint.yml.svg")).toEqual(["lint", "failing"]);
    expect(await get("/badges/ci.svg?branch=dev")).toEqual(["ci", "failing"]);
    expect(await get("/badges/ci.svg?branch=refs/heads/nope")).toEqual(["ci", "no runs"]);
    expect(await get("/badges/coverage.svg")).toEqual(["coverage", "81.3%"]);
    expect(await get("/badges/coverage.svg?branch=dev")).toEqual(["coverage", "unknown"]);
    expect(await get("/badges/score.svg")).toEqual(["slipway score", "87/100"]);
    await get("/badges/score.svg");
    expect(scored).toBe(1);
    execFileSync(
      "git",
      ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "d", "--allow-empty"],
      {
        cwd: root,
      },
    );
    await get("/badges/score.svg");
    expect(scored).toBe(2);
    expect(await badges.svg("/badges/x y.svg", new URL("http://x/"))).toBeUndefined();
    expect(await badges.svg("/badges/ci.png", new URL("http://x/"))).toBeUndefined();
  });
});
