import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import { main } from "./lint.js";

const root = join(import.meta.dirname, "../../test/fixtures/lint/cli");

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

describe("slipway lint", () => {
  test("exit 1 when findings reach --fail-on (default error), 0 below it", async () => {
    const io = capture();
    expect(await main(["--no-shellcheck"], root)).toBe(1);
    expect(io.out.join("")).toContain("warn.yml");
    expect(await main(["--no-shellcheck", ".github/workflows/clean.yml"], root)).toBe(0);
    expect(await main(["--no-shellcheck", "--fail-on", "never"], root)).toBe(0);
  });

  test("--fail-on warning counts warnings", async () => {
    capture();
    expect(await main(["--no-shellcheck", "--fail-on", "error", ".github/workflows/clean.yml"], root)).toBe(
      0,
    );
    expect(await main(["--no-shellcheck", "--fail-on", "warning", ".github/workflows/warn.yml"], root)).toBe(
      1,
    );
  });

  test("--format json prints parseable findings", async () => {
    const io = capture();
    await main(["--no-shellcheck", "--format", "json"], root);
    const findings = JSON.parse(io.out.join(""));
    expect(findings.map((f: { rule: string }) => f.rule)).toEqual(["deprecated-action", "unknown-property"]);
  });

  test("--audit adds exactly audit's findings, from the same pass", async () => {
    const io = capture();
    const json = async (fn: () => Promise<number>) => {
      io.out.length = 0;
      await fn();
      return JSON.parse(io.out.join("")) as { rule: string; line: number; col: number; file: string }[];
    };
    const key = (f: { rule: string; line: number; col: number; file: string }) =>
      `${f.file}:${f.line}:${f.col}:${f.rule}`;
    const lint = await json(() => main(["--no-shellcheck", "-f", "json"], root));
    const { main: audit } = await import("./audit.js");
    const sec = await json(() => audit(["-f", "json"], root));
    const both = await json(() => main(["--no-shellcheck", "--audit", "-f", "json"], root));
    expect(sec.length).toBeGreaterThan(0);
    expect(both.map(key).sort()).toEqual([...lint, ...sec].map(key).sort());
  });

  test("--audit says an always-true if: once (lint's if-always-true, not also audit's unsound-condition)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-lint-"));
    mkdirSync(join(dir, ".github/workflows"), { recursive: true });
    writeFileSync(
      join(dir, ".github/workflows/ci.yml"),
      "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    if: ${{ false }} || x\n    steps:\n      - run: echo hi\n",
    );
    const io = capture();
    const rules = async (fn: () => Promise<number>) => {
      io.out.length = 0;
      await fn();
      return (JSON.parse(io.out.join("")) as { rule: string }[]).map((f) => f.rule);
    };
    const { main: audit } = await import("./audit.js");
    expect(await rules(() => audit(["-f", "json"], dir))).toContain("unsound-condition");
    const both = await rules(() => main(["--no-shellcheck", "--audit", "-f", "json"], dir));
    expect(both).toContain("if-always-true");
    expect(both).not.toContain("unsound-condition");
    rmSync(dir, { recursive: true, force: true });
  });

  test("exit 2 on usage errors and missing paths", async () => {
    const io = capture();
    expect(await main(["--format", "xml"], root)).toBe(2);
    expect(await main(["--bogus"], root)).toBe(2);
    expect(await main(["nope.yml"], root)).toBe(2);
    expect(io.err.join("\n")).toContain("nope.yml: no such file or directory");
  });
});
