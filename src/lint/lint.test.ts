import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { renderFindings } from "../report/findings.js";
import { parseExpr } from "./expr-refs.js";
import { lintRepo, lintRepoDetailed } from "./index.js";
import { blankExpressions } from "./rules/shellcheck.js";

const fx = join(import.meta.dirname, "../../test/fixtures/lint");
const off = { shellcheck: false as const };

describe("lintRepo", () => {
  test("finds workflows and local actions under .github by default", async () => {
    const findings = await lintRepo(join(fx, "cli"));
    expect(findings.map((f) => `${f.file}:${f.line}:${f.col}:${f.rule}`)).toEqual([
      ".github/workflows/warn.yml:6:15:deprecated-action",
      ".github/workflows/warn.yml:7:31:unknown-property",
    ]);
  });

  test("expression findings point at the property and span it", async () => {
    const [f] = (await lintRepoDetailed(join(fx, "unknown-property"), ["bad.yml"], off)).findings;
    expect(f).toMatchObject({
      line: 12,
      col: 30,
      endLine: 12,
      endCol: 34,
      message: expect.stringContaining("'evnt'"),
    });
  });

  test("config ignores rules per file glob; inline comments on the line or above", async () => {
    const r = await lintRepoDetailed(join(fx, "suppress"), ["ignored.yml", "inline.yml"], off);
    expect(r.findings.map((f) => `${f.file}:${f.line}:${f.rule}`)).toEqual([
      "inline.yml:8:unknown-property",
      "inline.yml:10:runner-label",
    ]);
  });

  test("self-hosted runner labels listed for actionlint (.github/actionlint.yaml) are known", async () => {
    const r = await lintRepoDetailed(join(fx, "actionlint-config"), undefined, off);
    expect(r.findings.map((f) => `${f.line}:${f.rule}:${f.message}`)).toEqual([
      "12:runner-label:unknown runner label 'other-box'",
    ]);
  });

  test("a bad config is a finding in the config file, not a throw", async () => {
    const r = await lintRepoDetailed(join(fx, "config-error"), ["ok.yml"], off);
    expect(r.findings.map((f) => `${f.file}:${f.rule}:${f.message}`)).toEqual([
      ".slipway.yml:config:ignore must map rule ids to lists of globs",
      ".slipway.yml:config:runner-labels must be a list of labels",
    ]);
  });

  test("./ references resolve from the repository a file is in, wherever lint starts", async () => {
    const actions = join(fx, "../actions");
    const fromRepo = await lintRepoDetailed(join(actions, "reusable"), [".github/workflows/ci.yml"], off);
    const fromAbove = await lintRepoDetailed(actions, ["reusable/.github/workflows/ci.yml"], off);
    const shape = (r: typeof fromRepo) => r.findings.map((f) => `${f.line}:${f.col} ${f.rule} ${f.message}`);
    expect(shape(fromAbove)).toEqual(shape(fromRepo));
    expect(shape(fromAbove).join("\n")).not.toMatch(/cannot read reusable workflow/);
  });

  test("expressions made by double-quoted escapes and implicit ifs deep in steps are checked", async () => {
    // The expression walk skips subtrees whose text holds no `${{`: escapes and `if:` must not be lost.
    const dir = mkdtempSync(join(tmpdir(), "slipway-lint-"));
    const wf = join(dir, ".github/workflows");
    mkdirSync(wf, { recursive: true });
    writeFileSync(
      join(wf, "ci.yml"),
      [
        "on: push",
        "jobs:",
        "  a:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        '      - run: "echo \\x24{{ github.evnt }}"',
        "      - run: echo ok",
        "        if: github.evnt2 == 'x'",
        "",
      ].join("\n"),
    );
    const r = await lintRepoDetailed(dir, undefined, off);
    const props = r.findings
      .filter((f) => f.rule === "unknown-property")
      .map((f) => `${f.line} ${f.message}`);
    expect(props).toHaveLength(2);
    expect(props.join("\n")).toMatch(/^6 .*evnt/m);
    expect(props.join("\n")).toMatch(/^8 .*evnt2/m);
  });

  test("missing paths are reported, not thrown", async () => {
    const r = await lintRepoDetailed(fx, ["nope/"], off);
    expect(r.missing).toEqual(["nope/"]);
  });

  test("without shellcheck there is a note and no shellcheck findings", async () => {
    const r = await lintRepoDetailed(join(fx, "shellcheck"), ["bad.yml"], {
      shellcheck: "/nonexistent/shellcheck",
    });
    expect(r.findings).toEqual([]);
    expect(r.notes).toEqual(["shellcheck is not installed, so run: scripts were not checked"]);
  });

  test("shellcheck positions map back into the YAML (literal block and one-line scalar)", async () => {
    // A stand-in shellcheck that reports line 2 col 3 of every script (line 3 of each file, after the shebang).
    const dir = mkdtempSync(join(tmpdir(), "slipway-sc-"));
    const bin = join(dir, "shellcheck");
    const fake = `#!${process.execPath}
const files = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const c = { line: 3, column: 3, endLine: 3, endColumn: 5, level: "warning", code: 2086, message: "m" };
console.log(JSON.stringify({ comments: files.map((file) => ({ file, ...c })) }));
`;
    writeFileSync(bin, fake);
    chmodSync(bin, 0o755);
    const r = await lintRepoDetailed(join(fx, "shellcheck"), ["bad.yml"], { shellcheck: bin });
    // bad.yml: literal block body starts on line 7 at column 11; line 2 of it is YAML line 8.
    expect(r.findings.map((f) => `${f.line}:${f.col}:${f.message}`)).toEqual([
      "8:13:SC2086: m",
      "9:14:SC2086: m",
      "11:14:SC2086: m",
    ]);
  });

  test("SC2164 (cd without || exit) only for scripts not run with -e; the repository's .shellcheckrc is used", async () => {
    // A stand-in shellcheck: SC2164 on line 2 of every script, with the text of the
    // .shellcheckrc found beside the script files as its message.
    const dir = mkdtempSync(join(tmpdir(), "slipway-sc-"));
    const bin = join(dir, "shellcheck");
    writeFileSync(
      bin,
      `#!${process.execPath}
const { existsSync, readFileSync } = require("node:fs");
const { dirname, join } = require("node:path");
const files = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const rc = (f) => (existsSync(join(dirname(f), ".shellcheckrc")) ? readFileSync(join(dirname(f), ".shellcheckrc"), "utf8").trim() : "no rc");
console.log(JSON.stringify({ comments: files.map((file) => ({ file, line: 2, column: 1, endLine: 2, endColumn: 3, level: "warning", code: 2164, message: rc(file) })) }));
`,
    );
    chmodSync(bin, 0o755);
    const repo = join(dir, "repo");
    mkdirSync(join(repo, ".github/workflows"), { recursive: true });
    writeFileSync(join(repo, ".shellcheckrc"), "disable=SC2034");
    const steps = [
      "run: cd x",
      "shell: bash\n        run: cd x",
      "shell: sh\n        run: cd x",
      "shell: bash {0}\n        run: cd x",
      "shell: bash -eo pipefail {0}\n        run: cd x",
    ];
    writeFileSync(
      join(repo, ".github/workflows/ci.yml"),
      `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n${steps.map((s) => `      - ${s}\n`).join("")}`,
    );
    const r = await lintRepoDetailed(repo, undefined, { shellcheck: bin });
    expect(r.findings.map((f) => `${f.line}:${f.message}`)).toEqual(["12:SC2164: disable=SC2034"]);
  });

  test("expressions are blanked to same-length placeholders for shellcheck", () => {
    expect(blankExpressions('echo "${{ github.sha }}" x')).toBe(`echo "${"_".repeat(17)}" x`);
  });
});

test("an over-long expression is said in GitHub's words, not the lexer's error code", () => {
  const r = parseExpr(`'${"x".repeat(21001)}'`);
  expect(r.ok ? "" : r.message).toBe("Exceeded max expression length 21000");
});

test("a CR-only file is read line by line: findings on their lines, output linear in the input", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-cr-lint-"));
  mkdirSync(join(dir, ".github/workflows"), { recursive: true });
  const lines = ["on: push", "jobs:", "  a:", "    runs-on: ubuntu-latest", "    steps:"];
  for (let i = 0; i < 4000; i++) lines.push("      - run: echo ${{ foo.bar }}", `        bad${i}: 1`);
  writeFileSync(join(dir, ".github/workflows/cr.yml"), `${lines.join("\r")}\r`); // ~250 KB
  const r = await lintRepoDetailed(dir, undefined, off);
  expect(r.findings.length).toBeGreaterThan(4000);
  expect(r.findings[0]).toMatchObject({ line: 6, col: 23, rule: "unknown-context" });
  const out = renderFindings(r.findings, "human", r.sources);
  expect(out.length).toBeLessThan(r.findings.length * 400);
});

test("with: keys and step outputs are checked against an action in the action store", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-store-lint-"));
  const store = join(dir, "store");
  mkdirSync(join(store, "acme/greet/v3"), { recursive: true });
  writeFileSync(
    join(store, "acme/greet/v3/action.yml"),
    "name: g\ndescription: g\ninputs:\n  who: { description: w, required: true }\noutputs:\n  said: { description: s }\nruns: { using: node24, main: index.js }\n",
  );
  mkdirSync(join(dir, ".github/workflows"), { recursive: true });
  writeFileSync(
    join(dir, ".github/workflows/ci.yml"),
    [
      "on: push",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - id: g",
      "        uses: acme/greet@v3",
      "        with: { whom: x }",
      "      - run: echo ${{ steps.g.outputs.sad }} ${{ steps.g.outputs.said }}",
      "",
    ].join("\n"),
  );
  const before = process.env.SLIPWAY_ACTION_STORE;
  process.env.SLIPWAY_ACTION_STORE = store;
  try {
    const r = await lintRepoDetailed(dir, undefined, off);
    expect(r.findings.map((f) => `${f.line}:${f.rule}:${f.message}`)).toEqual([
      "7:action-input:acme/greet@v3 requires 'who', which is not given in with:",
      "8:action-input:'whom' is not an input of acme/greet@v3; did you mean 'who'?",
      "9:action-output:acme/greet@v3 has no output 'sad'; did you mean 'said'?",
    ]);
  } finally {
    if (before === undefined) delete process.env.SLIPWAY_ACTION_STORE;
    else process.env.SLIPWAY_ACTION_STORE = before;
  }
});

test("hold-out of what users reported as false positives (ternaries, head.sha, outcome, docker context, cache: false) stays silent", async () => {
  const r = await lintRepoDetailed(join(fx, "holdout"), ["hold.yml"], { shellcheck: false, audit: {} });
  // Only the pinning advice, which the hold-out keeps on purpose (tags, not SHAs).
  expect(r.findings.filter((f) => f.rule !== "unpinned-action")).toEqual([]);
});

test("an untagged docker:// image is said once by lint --audit (audit's unpinned-images), by lint alone otherwise", async () => {
  const dir = join(fx, "holdout");
  const alone = await lintRepoDetailed(dir, ["docker.yml"], off);
  expect(alone.findings.map((f) => f.rule)).toEqual(["docker-image-tag"]);
  const both = await lintRepoDetailed(dir, ["docker.yml"], { shellcheck: false, audit: {} });
  expect(both.findings.map((f) => f.rule).filter((r) => r !== "missing-permissions")).toEqual([
    "unpinned-images",
  ]);
});
