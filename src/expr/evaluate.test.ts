// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression text, not JS templates
import { describe, expect, test } from "vitest";
import { evaluate, evaluateCondition, parseCheck } from "./evaluate.js";
import { ExprError, type ExprHost, type StatusInfo } from "./types.js";

const ok: StatusInfo = { success: true, failure: false, cancelled: false };
const failed: StatusInfo = { success: false, failure: true, cancelled: false };
const cancelled: StatusInfo = { success: false, failure: false, cancelled: true };

function host(status?: StatusInfo): ExprHost {
  return { contexts: { github: { ref: "refs/heads/main", event_name: "push" }, env: { FLAG: "1" } }, status };
}

function errorOf(fn: () => unknown): ExprError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExprError) return e;
    throw e;
  }
  throw new Error("expected an ExprError");
}

describe("evaluate", () => {
  test("reads contexts case-insensitively", () => {
    expect(evaluate("GITHUB.Event_Name", host())).toBe("push");
    expect(evaluate("github['REF']", host())).toBe("refs/heads/main");
  });

  test("unknown context is a parse error naming it", () => {
    const e = errorOf(() => evaluate("secrets.TOKEN", host()));
    expect(e.kind).toBe("parsing");
    expect(e.message).toContain("Unrecognized named-value: 'secrets'");
  });

  test("status functions exist only when the host gives a status", () => {
    expect(evaluate("success()", host(ok))).toBe(true);
    expect(evaluate("failure()", host(failed))).toBe(true);
    expect(evaluate("cancelled()", host(cancelled))).toBe(true);
    expect(evaluate("always()", host(failed))).toBe(true);
    expect(errorOf(() => evaluate("success()", host())).kind).toBe("parsing");
  });

  test("hashFiles calls the host with every argument as a string", () => {
    const seen: string[][] = [];
    const h: ExprHost = {
      ...host(),
      hashFiles: (p) => {
        seen.push(p);
        return "abc";
      },
    };
    expect(evaluate("hashFiles('**/*.lock', 'x', 1)", h)).toBe("abc");
    expect(seen).toEqual([["**/*.lock", "x", "1"]]);
    expect(errorOf(() => evaluate("hashFiles('a')", host())).message).toContain("Unrecognized function");
  });

  test("evaluation failures are errors of kind evaluation", () => {
    const e = errorOf(() => evaluate("fromJSON('{nope')", host()));
    expect(e.kind).toBe("evaluation");
    expect(e.expression).toBe("fromJSON('{nope')");
  });
});

describe("evaluateCondition", () => {
  test("implicit success() guards a plain expression", () => {
    expect(evaluateCondition("github.event_name == 'push'", host(ok))).toBe(true);
    expect(evaluateCondition("github.event_name == 'push'", host(failed))).toBe(false);
    expect(evaluateCondition("github.event_name == 'pull_request'", host(ok))).toBe(false);
  });

  test("explicit status functions replace the implicit success()", () => {
    expect(evaluateCondition("always()", host(failed))).toBe(true);
    expect(evaluateCondition("failure()", host(failed))).toBe(true);
    expect(evaluateCondition("failure()", host(ok))).toBe(false);
    expect(evaluateCondition("failure() && env.FLAG == '1'", host(failed))).toBe(true);
    expect(evaluateCondition("!cancelled()", host(failed))).toBe(true);
    expect(evaluateCondition("cancelled()", host(cancelled))).toBe(true);
    // A status function name inside a string does not count.
    expect(evaluateCondition("'always()' != ''", host(failed))).toBe(false);
  });

  test("the ${{ }} wrapped form means the same", () => {
    expect(evaluateCondition("${{ github.ref == 'refs/heads/main' }}", host(ok))).toBe(true);
    expect(evaluateCondition("  ${{ github.ref == 'refs/heads/dev' }} ", host(ok))).toBe(false);
    expect(evaluateCondition("${{ always() }}", host(failed))).toBe(true);
    expect(evaluateCondition("${{ github.ref == 'refs/heads/main' }}", host(failed))).toBe(false);
  });

  test("text mixed with ${{ }} is a non-empty string, so truthy", () => {
    expect(evaluateCondition("${{ false }} && false", host(ok))).toBe(true);
  });

  test("absent or empty condition means success()", () => {
    expect(evaluateCondition(undefined, host(ok))).toBe(true);
    expect(evaluateCondition(undefined, host(failed))).toBe(false);
    expect(evaluateCondition("  ", host(failed))).toBe(false);
    expect(evaluateCondition(undefined, host())).toBe(true);
  });

  test("truthiness follows GitHub's coercion", () => {
    expect(evaluateCondition("''", host(ok))).toBe(false);
    expect(evaluateCondition("0", host(ok))).toBe(false);
    expect(evaluateCondition("'false'", host(ok))).toBe(true);
    expect(evaluateCondition("fromJSON('[]')", host(ok))).toBe(true);
    expect(evaluateCondition("null", host(ok))).toBe(false);
  });

  test("a condition that does not parse is an ExprError with its kind", () => {
    expect(errorOf(() => evaluateCondition("github.ref ==", host(ok))).kind).toBe("parsing");
    expect(errorOf(() => evaluateCondition("github.ref = 'x'", host(ok))).kind).toBe("lexing");
  });
});

describe("parseCheck", () => {
  test("accepts known contexts and functions, reports the rest", () => {
    expect(parseCheck("success() && hashFiles('a') != '' && matrix.os")).toBeUndefined();
    expect(parseCheck("foo.bar")?.kind).toBe("parsing");
    expect(parseCheck("1 2")?.message).toContain("Unexpected symbol: '2'");
    expect(parseCheck("'open")?.kind).toBe("lexing");
    expect(parseCheck("foo.bar", ["foo"])).toBeUndefined();
  });
});

test("every '' in a string literal is one quote (the package unescapes only the first)", () => {
  expect(evaluate("format('echo ''{0}'' | grep ''x''', 'a')", { contexts: {} })).toBe("echo 'a' | grep 'x'");
  expect(evaluate("'a''b''c'", { contexts: {} })).toBe("a'b'c");
});
