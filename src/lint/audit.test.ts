// Every audit rule has a fixture that triggers it (bad*.yml) and one that does not (ok*.yml).
// Expected findings are written in the fixtures as `expect: rule-id[, rule-id]` on their line.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression text, not JS templates
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { auditRepo, auditText } from "./audit.js";
import { ONLINE_RULES } from "./online.js";
import { auditDependabot } from "./rules-security/dependabot.js";
import { AUDIT_RULES, type AuditRuleDoc, type AuditRuleId, type Persona } from "./rules-security/docs.js";

const fx = join(import.meta.dirname, "../../test/fixtures/audit");
const store = join(fx, "store");

/** `expect: rule` on the finding's line; `expect-above: rule` on the line below it. */
function expected(text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    const m = /\bexpect(-above)?: ([\w-]+(?:, [\w-]+)*)/.exec(line);
    for (const rule of m?.[2]?.split(", ") ?? []) out.push(`${m![1] ? i : i + 1}:${rule}`);
  });
  return out.sort();
}

/**
 * A fixture runs at the least persona that shows its rule (or `# persona: x` in the file); above
 * regular only the rule's own findings are compared, the persona's other rules being elsewhere.
 */
function personaFor(rule: string, text: string): Persona {
  const set = /^# persona: (\w+)/m.exec(text)?.[1] as Persona | undefined;
  const doc: AuditRuleDoc = AUDIT_RULES[rule as AuditRuleId];
  return set ?? doc.persona ?? "regular";
}

describe("audit rules", () => {
  test("every rule has a bad and an ok fixture", () => {
    const missing = Object.keys(AUDIT_RULES).filter((r) => {
      if (ONLINE_RULES.has(r)) return false; // online.test.ts, against a local repository and server
      const files = readdirSync(join(fx, r), { withFileTypes: true }).map((d) => d.name);
      return !files.some((f) => f.startsWith("bad")) || !files.some((f) => f.startsWith("ok"));
    });
    expect(missing).toEqual([]);
  });

  for (const rule of Object.keys(AUDIT_RULES).filter((r) => !ONLINE_RULES.has(r))) {
    const files = readdirSync(join(fx, rule)).filter((f) => f.endsWith(".yml"));
    for (const file of files) {
      test(`${rule}/${file}`, async () => {
        const text = readFileSync(join(fx, rule, file), "utf8");
        const persona = personaFor(rule, text);
        const findings = rule.startsWith("dependabot-")
          ? auditDependabot(text, file, persona)
          : (await auditRepo(join(fx, rule), [file], { store, persona })).findings;
        const r = { findings: persona === "regular" ? findings : findings.filter((f) => f.rule === rule) };
        const got = r.findings.map((f) => `${f.line}:${f.rule}`).sort();
        const want = expected(text);
        expect(got, JSON.stringify(r.findings, null, 1)).toEqual(want);
        if (file.startsWith("bad")) expect(want.some((w) => w.endsWith(`:${rule}`))).toBe(true);
        for (const f of r.findings) {
          expect(f.fix, f.rule).toBeTruthy();
          expect(f.col).toBeGreaterThan(0);
        }
      });
    }
  }
});

describe("audit details", () => {
  test("template injection points at the expression and says how to fix it", () => {
    const text =
      'on: issues\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo "${{ github.event.issue.title }}"\n';
    const [f] = auditText(text, "w.yml").filter((f) => f.rule === "template-injection");
    expect(f).toMatchObject({ line: 6, col: 24, endCol: 48, severity: "error" });
    expect(f!.fix).toContain('env: (e.g. env: VALUE: ${{ github.event.issue.title }}) and use "$VALUE"');
  });

  test("first-party tags are info, third-party tags and branches warnings", () => {
    const text =
      "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/checkout@main\n      - uses: foo/bar@v1.2.3\n";
    const sev = auditText(text, "w.yml").map((f) => `${f.line}:${f.severity}`);
    expect(sev).toEqual(["7:info", "8:warning", "9:warning"]);
  });

  test("slipway-ignore and zizmor ignore comments suppress", () => {
    const text =
      "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: foo/bar@v1 # zizmor: ignore[unpinned-uses]\n      # slipway-ignore: unpinned-action\n      - uses: foo/baz@v1\n      - uses: foo/qux@v1\n";
    expect(auditText(text, "w.yml").map((f) => f.line)).toEqual([10]);
  });

  test("dangerous-triggers is a warning when untrusted code is checked out, info otherwise", () => {
    const wf = (step: string) =>
      `on: pull_request_target\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - ${step}\n`;
    const sev = (text: string) =>
      auditText(text, "w.yml")
        .filter((f) => f.rule === "dangerous-triggers")
        .map((f) => `${f.line}:${f.col}:${f.severity}`);
    expect(sev(wf("run: make"))).toEqual(["1:5:info"]);
    expect(sev(wf("run: gh pr checkout 1 && make"))).toEqual(["1:5:warning"]);
  });

  test("unsound-contains is an error for needles users choose, a warning for others", () => {
    const text =
      "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    if: contains('a b', github.head_ref) || contains('a b', matrix.os)\n    steps:\n      - run: make\n";
    const got = auditText(text, "w.yml").map((f) => `${f.rule}:${f.col}:${f.severity}`);
    expect(got).toEqual(["unsound-contains:9:error", "unsound-contains:45:warning"]);
  });

  test("zizmor ignore comments suppress only the rule each zizmor audit maps to", () => {
    const text = [
      "on:",
      "  workflow_run: # zizmor: ignore[dangerous-triggers]",
      "    workflows: [ci]",
      "permissions: {}",
      "jobs:",
      "  a:",
      "    runs-on: x",
      "    container: node:20 # zizmor: ignore[unpinned-images]",
      "    steps:",
      "      # zizmor: ignore[github-env]",
      '      - run: echo "A=$(cat a)" >> "$GITHUB_ENV"',
      "      - run: pip install black # zizmor: ignore[unpinned-images]",
      "",
    ].join("\n");
    expect(auditText(text, "w.yml").map((f) => `${f.line}:${f.rule}`)).toEqual(["12:adhoc-packages"]);
  });

  test("an unparseable file is one syntax finding, not a crash", () => {
    const [f, ...rest] = auditText("on: push\njobs:\n  a: [\n", "w.yml");
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule: "syntax", severity: "error", file: "w.yml" });
  });

  test("composite actions are audited too", () => {
    const text =
      "runs:\n  using: composite\n  steps:\n    - uses: foo/bar@v1\n    - shell: bash\n      run: curl -s https://x.sh | bash\n";
    const rules = auditText(text, "action.yml", { action: true }).map((f) => `${f.line}:${f.rule}`);
    expect(rules).toEqual(["4:unpinned-action", "6:curl-pipe-shell"]);
  });
});

test("unpinned-action says what the ref really is: a branch the store recorded, rust-toolchain's branches", async () => {
  const { mkdtempSync, mkdirSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
  const put = (repo: string, ref: string, refKind: string) => {
    mkdirSync(join(store, repo, ref), { recursive: true });
    writeFileSync(
      join(store, repo, ref, ".slipway-action.json"),
      JSON.stringify({ commit: "a".repeat(40), source: "x", refKind }),
    );
  };
  put("acme/deploy", "v2", "branch");
  put("acme/tool", "release", "tag");
  const text = `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: dtolnay/rust-toolchain@1.87.0
      - uses: acme/deploy@v2
      - uses: acme/tool@release
      - uses: acme/other@v3
      - uses: acme/other@main
`;
  const messages = auditText(text, "w.yml", { store })
    .filter((f) => f.rule === "unpinned-action")
    .map((f) => f.message);
  expect(messages).toEqual([
    "dtolnay/rust-toolchain is pinned to a branch '1.87.0', not a commit SHA",
    "acme/deploy is pinned to a branch 'v2', not a commit SHA",
    "acme/tool is pinned to a tag 'release', not a commit SHA",
    "acme/other is pinned to a tag 'v3', not a commit SHA",
    "acme/other is pinned to a branch or moving ref 'main', not a commit SHA",
  ]);
});
