import { expect, test } from "vitest";
import type { RunRow } from "../db/reads.js";
import { runsPage } from "./page.js";

test("the runs page escapes what it shows", () => {
  const run: RunRow = {
    number: 3,
    runId: "1",
    workflows: [],
    event: "push",
    ref: "refs/heads/<script>alert(1)</script>",
    sha: "a".repeat(40),
    actor: "x",
    result: null,
    startedAt: 0,
    endedAt: null,
    interrupted: null,
    folder: "",
    payload: null,
  };
  const html = runsPage(`repo"&'`, [], [run]);
  expect(html).not.toContain("<script>");
  expect(html).toContain("refs/heads/&lt;script&gt;alert(1)&lt;/script&gt;");
  expect(html).toContain("Slipway: repo&quot;&amp;&#39;");
  expect(html).toContain('<td class="running">running</td>');
  expect(html).toContain('<a href="/api/runs/3">#3</a>');
});
