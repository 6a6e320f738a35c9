// `slipway audit` and `slipway lint --audit` options: --persona, and the confidence of each
// finding in human, JSON and SARIF output.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import { main } from "./audit.js";
import { main as lint } from "./lint.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-audit-cli-"));
mkdirSync(join(dir, ".github/workflows"), { recursive: true });
writeFileSync(
  join(dir, ".github/workflows/ci.yml"),
  "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2\n        with:\n          path: dist/\n",
);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out.push(String(s));
    return true;
  });
  vi.spyOn(console, "error").mockImplementation((s) => {
    err.push(String(s));
  });
  vi.spyOn(console, "log").mockImplementation((s) => {
    out.push(String(s));
  });
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--persona", () => {
  test("regular by default; pedantic adds code smells", async () => {
    const io = capture();
    await main(["--json", "--fail-on", "never"], dir);
    const regular = JSON.parse(io.out.join("")) as { rule: string }[];
    io.out.length = 0;
    await main(["--json", "--fail-on", "never", "--persona", "pedantic"], dir);
    const pedantic = JSON.parse(io.out.join("")) as { rule: string }[];
    expect(regular.map((f) => f.rule)).toEqual(["persist-credentials"]);
    expect(pedantic.map((f) => f.rule)).toEqual([
      "concurrency-limits",
      "anonymous-definition",
      "anonymous-definition",
      "persist-credentials",
    ]);
  });

  test("an unknown persona is a usage error", async () => {
    const io = capture();
    expect(await main(["--persona", "paranoid"], dir)).toBe(2);
    expect(io.err.join("\n")).toContain("--persona must be regular, pedantic, auditor");
  });

  test("lint takes --persona with --audit only", async () => {
    const io = capture();
    expect(await lint(["--persona", "auditor"], dir)).toBe(2);
    expect(io.err.join("\n")).toContain("--persona needs --audit");
    io.out.length = 0;
    await lint(["--no-shellcheck", "--audit", "--persona", "pedantic", "--format", "json"], dir);
    expect(io.out.join("")).toContain('"concurrency-limits"');
  });
});

describe("confidence", () => {
  test("shown after the rule, and in JSON and SARIF (a result property: SARIF has no field for it)", async () => {
    const io = capture();
    await main([], dir);
    expect(io.out.join("")).toContain("[persist-credentials, low confidence]");
    io.out.length = 0;
    await main(["--json"], dir);
    expect(JSON.parse(io.out.join(""))[0].confidence).toBe("low");
    io.out.length = 0;
    await main(["--format", "sarif"], dir);
    const sarif = JSON.parse(io.out.join(""));
    expect(sarif.runs[0].results[0].properties).toEqual({ confidence: "low" });
  });
});
