// Personas, confidence, zizmor's ignore comments for the rules added with them, the forbidden-uses
// config and .github/dependabot.yml as the audit finds it in a repository.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression text, not JS templates
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { auditRepo, auditText } from "./audit.js";
import { usesMatcher } from "./config.js";
import { lintRepoDetailed } from "./index.js";

const wf = `on: push
permissions:
  contents: write
jobs:
  a:
    runs-on: [self-hosted]
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - run: make
        env:
          KEY: \${{ secrets.KEY }}
`;

const rules = (persona?: "regular" | "pedantic" | "auditor") =>
  [...new Set(auditText(wf, "w.yml", persona ? { persona } : {}).map((f) => f.rule))].sort();

const dirs: string[] = [];
function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-audit-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("personas", () => {
  test("regular (the default) leaves out pedantic and auditor rules; pedantic adds its own; auditor all", () => {
    expect(rules()).toEqual([]);
    expect(rules("regular")).toEqual([]);
    expect(rules("pedantic")).toEqual([
      "anonymous-definition",
      "concurrency-limits",
      "persist-credentials",
      "pin-comment-missing",
      "undocumented-permissions",
    ]);
    expect(rules("auditor")).toEqual([
      "anonymous-definition",
      "concurrency-limits",
      "persist-credentials",
      "pin-comment-missing",
      "secrets-outside-env",
      "self-hosted-runner",
      "undocumented-permissions",
    ]);
  });

  test("every audit finding has a confidence; an upload that is not the workspace is low", () => {
    const text = `on: push
permissions: {}
jobs:
  a:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
      - uses: actions/upload-artifact@v4
        with:
          path: dist/
`;
    const found = auditText(text, "w.yml").map((f) => `${f.rule}:${f.confidence}`);
    expect(found).toContain("persist-credentials:low");
    expect(found).toContain("unpinned-action:high");
  });
});

describe("zizmor ignore comments", () => {
  test("suppress the mapped rule only", () => {
    const text = `on: push # zizmor: ignore[concurrency-limits]
permissions: {}
jobs:
  a:
    runs-on: x
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # zizmor: ignore[ref-version-mismatch]
      - run: make
      - uses: foo/bar@11bd71901bbe5b1630ceea73d27597364c9af683 # zizmor: ignore[unpinned-uses]
`;
    const got = auditText(text, "w.yml", { persona: "pedantic" }).map((f) => `${f.line}:${f.rule}`);
    expect(got).not.toContain("1:concurrency-limits");
    expect(got).toContain("1:anonymous-definition"); // the same line, another rule
    expect(got).not.toContain("7:pin-comment-missing");
    expect(got).toContain("9:pin-comment-missing"); // ignore[unpinned-uses] is another rule
  });

  test("ignore[artipacked] suppresses persist-credentials, not artifact-workspace", () => {
    const text = `on: push
permissions: {}
jobs:
  a:
    runs-on: x
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2 # zizmor: ignore[artipacked]
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          path: . # zizmor: ignore[artipacked]
`;
    expect(auditText(text, "w.yml").map((f) => f.rule)).toEqual(["artifact-workspace"]);
  });
});

describe("forbidden-uses config", () => {
  const steps = `on: push
permissions: {}
jobs:
  a:
    runs-on: x
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: github/codeql-action/init@ce28f5bb42b7a9f2c824e633a3f6ee835bab6858 # v3.29.0
      - uses: someone/else@ce28f5bb42b7a9f2c824e633a3f6ee835bab6858 # v1.0.0
`;
  test("allow: only the listed actions pass", async () => {
    const dir = repo({
      ".slipway.yml": "forbidden-uses:\n  allow: [actions/*, github/codeql-action/*]\n",
      ".github/workflows/ci.yml": steps,
    });
    const r = await auditRepo(dir);
    expect(r.findings.map((f) => `${f.line}:${f.rule}:${f.message}`)).toEqual([
      "9:forbidden-uses:someone/else@ce28f5bb42b7a9f2c824e633a3f6ee835bab6858 is not in the forbidden-uses allow list of the config",
    ]);
  });

  test("patterns read as zizmor's repository patterns", () => {
    const m = usesMatcher(["actions/*", "github/codeql-action/*", "docker/login-action", "a/b/c@v1"]);
    expect(m("actions/checkout@v4")).toBe(true);
    expect(m("actions/cache/save@v4")).toBe(true);
    expect(m("github/codeql-action@v3")).toBe(true);
    expect(m("github/codeql-action/init@v3")).toBe(true);
    expect(m("Docker/Login-Action@v3")).toBe(true);
    expect(m("docker/login-action/sub@v3")).toBe(false); // owner/repo is that action only
    expect(m("a/b/c@v1")).toBe(true);
    expect(m("a/b/c@v2")).toBe(false);
    expect(m("actions-x/checkout@v4")).toBe(false);
    expect(usesMatcher(["*"])("any/thing@main")).toBe(true);
  });

  test("zizmor.yml's rules.forbidden-uses.config counts when .slipway.yml has none", async () => {
    const dir = repo({
      ".github/zizmor.yml": "rules:\n  forbidden-uses:\n    config:\n      deny: [someone/*]\n",
      ".github/workflows/ci.yml": steps,
    });
    const r = await auditRepo(dir);
    expect(r.findings.map((f) => `${f.line}:${f.rule}`)).toEqual(["9:forbidden-uses"]);
  });

  test("a list that is neither allow nor deny is a config error of lint", async () => {
    const dir = repo({
      ".slipway.yml": "forbidden-uses: [actions/*]\n",
      ".github/workflows/ci.yml": steps,
    });
    const r = await lintRepoDetailed(dir, undefined, { shellcheck: false });
    expect(r.findings.filter((f) => f.rule === "config").map((f) => f.message)).toEqual([
      "forbidden-uses must have either allow: or deny: (a list of uses: patterns such as actions/*)",
    ]);
  });
});

describe("dependabot.yml", () => {
  const dependabot = `version: 2
updates:
  - package-ecosystem: "pip"
    directory: "/"
    schedule:
      interval: "daily"
    insecure-external-code-execution: allow
`;
  const files = {
    ".github/dependabot.yml": dependabot,
    ".github/workflows/ci.yml":
      "name: ci\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n",
  };

  test("audit reads .github/dependabot.yml with positions", async () => {
    const r = await auditRepo(repo(files));
    expect(r.findings.map((f) => `${f.file}:${f.line}:${f.col}:${f.rule}:${f.severity}`)).toEqual([
      ".github/dependabot.yml:3:5:dependabot-cooldown:warning",
      ".github/dependabot.yml:7:5:dependabot-execution:error",
    ]);
    expect(r.files).toBe(2);
  });

  test("lint --audit reads it too; lint alone does not, and never as a workflow", async () => {
    const dir = repo(files);
    const audited = await lintRepoDetailed(dir, undefined, { shellcheck: false, audit: {} });
    expect(audited.findings.map((f) => f.rule)).toEqual(["dependabot-cooldown", "dependabot-execution"]);
    const linted = await lintRepoDetailed(dir, [".github"], { shellcheck: false });
    expect(linted.findings).toEqual([]);
  });

  test("a YAML error is said at its place, once", async () => {
    const dir = repo({ ...files, ".github/dependabot.yml": "version: 2\nupdates:\n  - [\n" });
    const r = await auditRepo(dir);
    expect(r.findings.map((f) => `${f.file}:${f.line}:${f.rule}`)).toEqual([
      ".github/dependabot.yml:4:syntax",
    ]);
  });

  test("a zizmor ignore comment suppresses the mapped rule", async () => {
    const dir = repo({
      ...files,
      ".github/dependabot.yml": dependabot.replace("allow", "allow # zizmor: ignore[dependabot-execution]"),
    });
    expect((await auditRepo(dir)).findings.map((f) => f.rule)).toEqual(["dependabot-cooldown"]);
  });
});
