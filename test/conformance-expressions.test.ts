// Runs GitHub's cross-language expression test data through Slipway's own evaluate().
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ExprError, evaluate, type Json } from "../src/expr/index.js";

const DIR = "/work/shared/conformance/github-languageservices/expressions";

interface Case {
  expr: string;
  contexts?: Record<string, Json>;
  result?: { kind: string; value: Json };
  err?: { kind: string; value: string };
  options?: { skip?: string[] };
  skip?: string[];
}

function kindOf(v: Json): string {
  if (v === null) return "Null";
  if (typeof v === "boolean") return "Boolean";
  if (typeof v === "number") return "Number";
  if (typeof v === "string") return "String";
  return Array.isArray(v) ? "Array" : "Object";
}

function skipped(c: Case): boolean {
  const list = [...(c.skip ?? []), ...(c.options?.skip ?? [])];
  return list.some((s) => s.toLowerCase() === "typescript");
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort();

for (const file of files) {
  const groups = JSON.parse(readFileSync(path.join(DIR, file), "utf8")) as Record<string, Case[]>;
  const rows = Object.entries(groups).flatMap(([group, cases]) =>
    cases.map((c, i) => ({ name: `${group} #${i + 1}: ${c.expr.slice(0, 80)}`, c })),
  );
  if (rows.length === 0) continue; // some files only point at another file
  describe(file, () => {
    const run = rows.filter((r) => !skipped(r.c));
    const skip = rows.filter((r) => skipped(r.c));
    if (skip.length) test.skip.each(skip)("$name", () => {});
    if (run.length)
      test.each(run)("$name", ({ c }) => {
        const host = { contexts: c.contexts ?? {} };
        if (c.err) {
          let caught: unknown;
          try {
            evaluate(c.expr, host);
          } catch (e) {
            caught = e;
          }
          expect(caught).toBeInstanceOf(ExprError);
          const e = caught as ExprError;
          expect(e.kind).toBe(c.err.kind);
          // GitHub's data shortens some messages (e.g. "Too few parameters supplied: " without the
          // function name), so the expected text must be a prefix of ours.
          expect(e.message.startsWith(c.err.value), `${e.message} vs ${c.err.value}`).toBe(true);
          return;
        }
        const got = evaluate(c.expr, host);
        expect(kindOf(got)).toBe(c.result!.kind);
        expect(got).toStrictEqual(c.result!.value);
      });
  });
}
