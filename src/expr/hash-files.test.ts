import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { evaluate } from "./evaluate.js";
import { hashFilesImpl } from "./hash-files.js";
import { ExprError } from "./types.js";

let ws = "";

function put(rel: string, body: string) {
  const p = path.join(ws, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, body);
}

/** The expected digest, computed independently: sha256 over each file's raw sha256 digest. */
function expected(files: string[]): string {
  const all = createHash("sha256");
  for (const f of files) {
    all.update(
      createHash("sha256")
        .update(files.includes(f) ? bodies[f]! : "")
        .digest(),
    );
  }
  return all.digest("hex");
}

const bodies: Record<string, string> = {
  "package-lock.json": "lock-root",
  "a/package-lock.json": "lock-a",
  "b/c/package-lock.json": "lock-c",
  "src/main.ts": "main",
  ".hidden/x.txt": "hidden",
};

beforeAll(() => {
  ws = mkdtempSync(path.join(tmpdir(), "slipway-hash-"));
  for (const [f, b] of Object.entries(bodies)) put(f, b);
  mkdirSync(path.join(ws, "empty-dir.json"));
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

describe("hashFilesImpl", () => {
  test("hashes matching files in sorted order", () => {
    expect(hashFilesImpl(ws, ["**/package-lock.json"])).toBe(
      expected(["a/package-lock.json", "b/c/package-lock.json", "package-lock.json"]),
    );
  });

  test("one file gives the hash of its digest, not of its content", () => {
    const one = hashFilesImpl(ws, ["src/main.ts"]);
    expect(one).toBe(expected(["src/main.ts"]));
    expect(one).not.toBe(createHash("sha256").update("main").digest("hex"));
  });

  test("order of patterns does not change the result; directories never match", () => {
    expect(hashFilesImpl(ws, ["src/main.ts", "package-lock.json"])).toBe(
      hashFilesImpl(ws, ["package-lock.json", "src/main.ts"]),
    );
    expect(hashFilesImpl(ws, ["*.json"])).toBe(expected(["package-lock.json"]));
  });

  test("! excludes files matched by earlier patterns", () => {
    expect(hashFilesImpl(ws, ["**/package-lock.json", "!b/**"])).toBe(
      expected(["a/package-lock.json", "package-lock.json"]),
    );
  });

  test("a directory pattern covers its files, dotfiles included", () => {
    expect(hashFilesImpl(ws, [".hidden"])).toBe(expected([".hidden/x.txt"]));
    expect(hashFilesImpl(ws, [path.join(ws, "src")])).toBe(expected(["src/main.ts"]));
  });

  test("nothing matched gives an empty string", () => {
    expect(hashFilesImpl(ws, ["**/*.nothing"])).toBe("");
    expect(hashFilesImpl(ws, ["!**"])).toBe("");
  });

  test("patterns outside the workspace are errors", () => {
    expect(() => hashFilesImpl(ws, ["../**"])).toThrow(ExprError);
    expect(() => hashFilesImpl(ws, ["/etc/passwd"])).toThrow(/outside the workspace/);
  });

  test("works through evaluate() when the host supplies it", () => {
    const host = { contexts: {}, hashFiles: (p: string[]) => hashFilesImpl(ws, p) };
    expect(evaluate("hashFiles('**/package-lock.json', '!a/**')", host)).toBe(
      expected(["b/c/package-lock.json", "package-lock.json"]),
    );
  });
});
