import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test, vi } from "vitest";
import { main } from "../cli/audit.js";
import { auditRepo } from "./audit.js";

afterEach(() => vi.restoreAllMocks());

const WORKFLOW = `name: ci
on: push

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make # builds
      - uses: actions/upload-artifact@v4
        with:
          name: all
          path: .
  docs:
    runs-on: ubuntu-latest
    steps:
      - name: Check out
        uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/upload-artifact@v4
        with: { name: docs, path: "." }
`;

function repo(text: string): string {
  const root = mkdtempSync(join(tmpdir(), "slipway-fix-"));
  mkdirSync(join(root, ".github/workflows"), { recursive: true });
  writeFileSync(join(root, ".github/workflows/ci.yml"), text);
  return root;
}

const capture = () => {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  vi.spyOn(console, "error").mockImplementation(() => {});
  return () => out;
};

test("audit --fix --dry-run prints the diff and changes nothing; --fix makes it, keeping the rest as written", async () => {
  const root = repo(WORKFLOW);
  const rules = async () => (await auditRepo(root, [])).findings.map((f) => f.rule);
  expect(await rules()).toEqual(expect.arrayContaining(["missing-permissions", "persist-credentials"]));
  const out = capture();
  await main(["--fix", "--dry-run", "--fail-on", "never"], root);
  expect(out()).toContain("+++ b/.github/workflows/ci.yml");
  expect(out()).toContain("+permissions:\n+  contents: read");
  expect(out()).toContain("+        with:\n+          persist-credentials: false");
  expect(out()).toContain("+          persist-credentials: false");
  expect(readFileSync(join(root, ".github/workflows/ci.yml"), "utf8")).toBe(WORKFLOW);
  vi.restoreAllMocks();
  capture();
  await main(["--fix", "--fail-on", "never"], root);
  const fixed = readFileSync(join(root, ".github/workflows/ci.yml"), "utf8");
  expect(fixed).toBe(
    WORKFLOW.replace("\njobs:", "\npermissions:\n  contents: read\n\njobs:")
      .replace(
        "      - uses: actions/checkout@v4\n",
        "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n",
      )
      .replace(
        "          fetch-depth: 0\n",
        "          fetch-depth: 0\n          persist-credentials: false\n",
      ),
  );
  const left = await rules();
  expect(left).not.toContain("missing-permissions");
  expect(left).not.toContain("persist-credentials");
});

test("no permissions block is added when a job uses the token to write; an explicit true becomes false", async () => {
  const root = repo(`on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: true
      - run: git push origin HEAD:main
      - uses: actions/upload-artifact@v4
        with: { name: a, path: . }
`);
  capture();
  await main(["--fix", "--persona", "auditor", "--fail-on", "never"], root);
  const fixed = readFileSync(join(root, ".github/workflows/ci.yml"), "utf8");
  expect(fixed).not.toContain("permissions:\n  contents: read");
  expect(fixed).toContain("persist-credentials: false");
});

test("SARIF carries the same fixes (replacements at character offsets)", async () => {
  const root = repo(WORKFLOW);
  const out = capture();
  await main(["--format", "sarif", "--fail-on", "never"], root);
  const sarif = JSON.parse(out()) as {
    runs: {
      results: {
        ruleId: string;
        fixes?: {
          artifactChanges: {
            replacements: { deletedRegion: { charOffset: number }; insertedContent: { text: string } }[];
          }[];
        }[];
      }[];
    }[];
  };
  const fixes = sarif.runs[0]!.results.filter((r) => r.fixes).map((r) => [
    r.ruleId,
    r.fixes![0]!.artifactChanges[0]!.replacements[0]!,
  ]);
  expect(fixes).toEqual(
    expect.arrayContaining([
      [
        "missing-permissions",
        {
          deletedRegion: { charOffset: WORKFLOW.indexOf("jobs:"), charLength: 0 },
          insertedContent: { text: "permissions:\n  contents: read\n\n" },
        },
      ],
    ]),
  );
  expect(fixes.filter(([rule]) => rule === "persist-credentials")).toHaveLength(2);
});

test("template injection in a bash run: moved into env (block and one-line scripts, an env block kept); pwsh and functions left", async () => {
  const text = `on: pull_request_target
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "title: \${{ github.event.pull_request.title }}"
          echo "\${{ github.head_ref }}" "\${{ github.head_ref }}"
      - name: x
        run: echo \${{ github.event.issue.body }}
        env:
          FOO: bar
      - shell: pwsh
        run: echo "\${{ github.event.issue.title }}"
      - run: echo "\${{ format('{0}', github.event.issue.title) }}"
`;
  const root = repo(text);
  capture();
  await main(["--fix", "--fail-on", "never"], root);
  const fixed = readFileSync(join(root, ".github/workflows/ci.yml"), "utf8");
  expect(fixed).toBe(
    text
      .replace(
        '          echo "title: ${{ github.event.pull_request.title }}"\n          echo "${{ github.head_ref }}" "${{ github.head_ref }}"\n',
        '          echo "title: ${PULL_REQUEST_TITLE}"\n          echo "${HEAD_REF}" "${HEAD_REF}"\n        env:\n          PULL_REQUEST_TITLE: ${{ github.event.pull_request.title }}\n          HEAD_REF: ${{ github.head_ref }}\n',
      )
      .replace("run: echo ${{ github.event.issue.body }}", "run: echo ${ISSUE_BODY}")
      .replace(
        "          FOO: bar\n",
        "          FOO: bar\n          ISSUE_BODY: ${{ github.event.issue.body }}\n",
      ),
  );
  const left = (await auditRepo(root, [])).findings
    .filter((f) => f.rule === "template-injection")
    .map((f) => f.line);
  // Only the pwsh step and the format() call are left to a person.
  expect(left).toEqual([19, 20]);
});

test("env names: the context path, never one GitHub sets", async () => {
  const { envNameFor } = await import("./fix.js");
  expect(envNameFor("github.event.pull_request.head.ref")).toBe("PULL_REQUEST_HEAD_REF");
  expect(envNameFor("inputs.name")).toBe("NAME");
  expect(envNameFor("github.event.workflow_run.head_branch")).toBe("WORKFLOW_RUN_HEAD_BRANCH");
  expect(envNameFor("github.event.github_token")).toBe("UNTRUSTED_GITHUB_TOKEN");
});
