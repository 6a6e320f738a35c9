import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { TestCase, TestOutcome } from "../run/events.js";

export type { TestCase, TestOutcome };

/** A report that is not XML, or not JUnit XML: the message has the file:line:col. */
export class JUnitError extends Error {}

type Node = Record<string, unknown>;

const ARRAYS = new Set(["testsuites", "testsuite", "testcase", "failure", "error", "skipped", "system-out"]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  textNodeName: "#text",
  parseAttributeValue: false,
  parseTagValue: false,
  // Numeric character references (pytest writes '&#10;' in message attributes).
  htmlEntities: true,
  trimValues: false,
  isArray: (name) => ARRAYS.has(name),
});

const MESSAGE_MAX = 4000;

const str = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;

/** An element's text, whether the parser made it a string or an object with attributes. */
function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(textOf).join("\n");
  if (v && typeof v === "object") return str((v as Node)["#text"]) ?? "";
  return "";
}

function seconds(v: unknown): number {
  const n = Number((str(v) ?? "").replace(/,/g, ""));
  return Number.isFinite(n) && n > 0 ? Math.round(n * 1000) : 0;
}

function clip(s: string): string {
  const t = s.trim();
  return t.length > MESSAGE_MAX ? `${t.slice(0, MESSAGE_MAX)}…` : t;
}

/** 'thread 'tests::fails' (9923) panicked at src/lib.rs:16:9:' and the message after it. */
const PANIC = /panicked at ([^\n:]+):(\d+):(\d+):\n([\s\S]*)/;

/** '    sample_test.go:13: math is broken' (t.Error's output). */
const GO_LINE = /^\s+([\w.-]+_test\.go):(\d+): (.*)$/gm;

const LOCATION = /([\w./\\@+-]+\.[A-Za-z]\w*):(\d+)(?::\d+)?/g;

/**
 * Where a failure happened, from its text: pytest ends with 'test_x.py:7: AssertionError',
 * vitest and jest show 'sample.test.ts:8:19'. A location in the test's own file wins (the
 * file attribute, or the classname as a path: pytest's 'pkg.test_x' is pkg/test_x.py).
 */
function locate(
  text: string,
  file: string | undefined,
  classname: string,
): { file: string; line: number } | undefined {
  const want = [file, `${classname.replace(/\./g, "/")}.py`, classname].filter(Boolean) as string[];
  const found: { file: string; line: number }[] = [];
  for (const m of text.matchAll(LOCATION)) {
    const f = m[1]!;
    if (/node_modules|site-packages|\/usr\/lib/.test(f)) continue;
    found.push({ file: f, line: Number(m[2]) });
  }
  const own = found.filter((l) =>
    want.some((w) => l.file === w || l.file.endsWith(`/${w}`) || w.endsWith(`/${l.file}`)),
  );
  // pytest names the failing line last; a stack trace names the test's own frame first.
  if (own.length) return /\.py$/.test(own[0]!.file) ? own[own.length - 1] : own[0];
  return undefined;
}

function readCase(c: Node, suite: string, pytest: boolean): TestCase {
  const classname = str(c["@classname"]) ?? "";
  const name = str(c["@name"]) ?? "(unnamed)";
  const failure = (c.failure as unknown[] | undefined)?.[0];
  const error = (c.error as unknown[] | undefined)?.[0];
  const skipped = (c.skipped as unknown[] | undefined)?.[0];
  const outcome: TestOutcome =
    failure !== undefined
      ? "failed"
      : error !== undefined
        ? "error"
        : skipped !== undefined
          ? "skipped"
          : "passed";
  const bad = failure ?? error ?? skipped;
  let message: string | undefined;
  let body = "";
  if (bad !== undefined) {
    body = textOf(bad);
    const attr = typeof bad === "object" && bad ? str((bad as Node)["@message"]) : undefined;
    message = clip(attr || body.trim().split("\n").slice(0, 5).join("\n")) || undefined;
  }
  // Go (gotestsum, go-junit-report): message="Failed", the t.Error lines in the body.
  const goLines = [...body.matchAll(GO_LINE)];
  if (goLines.length && (!message || message === "Failed" || /^=== RUN/.test(message)))
    message = clip(goLines.map((m) => `${m[1]}:${m[2]}: ${m[3]}`).join("\n"));
  // Rust's libtest puts the panic in the case's system-out, not in <failure>.
  const panic = outcome === "failed" || outcome === "error" ? PANIC.exec(textOf(c["system-out"])) : null;
  if (panic && !message) message = clip(panic[4]!.split(/\n(?:stack backtrace:|note: )/)[0]!) || undefined;
  let file = str(c["@file"]) || str(c["@filepath"]) || undefined;
  const lineAttr = Number(str(c["@line"]) || Number.NaN);
  // pytest (xunit1) writes the 0-based line of the test's def.
  const fromAttr = pytest ? lineAttr + 1 : lineAttr;
  let line = Number.isInteger(fromAttr) && fromAttr > 0 ? fromAttr : undefined;
  if (outcome === "failed" || outcome === "error") {
    const at = locate(`${body}\n${message ?? ""}`, file, classname);
    if (at) {
      file ??= at.file;
      line = at.line;
    } else if (panic && !file) {
      file = panic[1]!;
      line = Number(panic[2]);
    } else if (goLines.length && !file) {
      // Named as in its package's folder.
      file = goLines[0]![1]!;
      line = Number(goLines[0]![2]);
    }
  }
  const out: TestCase = {
    suite: suite || classname,
    name: classname && classname !== suite && !suite.endsWith(classname) ? `${classname}.${name}` : name,
    durationMs: seconds(c["@time"]),
    outcome,
  };
  if (file) out.file = file;
  if (line) out.line = line;
  if (message) out.message = message;
  return out;
}

/** Test suites nest (jest, go-junit-report, Maven): a case belongs to its nearest named suite. */
function walkSuite(s: Node, parent: string, out: TestCase[], pytest = false): void {
  const name = str(s["@name"]) || parent;
  const py = pytest || name === "pytest";
  for (const c of (s.testcase as Node[] | undefined) ?? []) out.push(readCase(c, name, py));
  for (const inner of (s.testsuite as Node[] | undefined) ?? []) walkSuite(inner, name, out, py);
}

/**
 * The test cases of a JUnit XML report, as cargo-nextest, pytest --junitxml, vitest and jest's
 * junit reporters, go-junit-report and Maven write it: <testsuites> or a lone <testsuite>,
 * suites nested or not, attributes missing or not. `source` names the file in errors.
 */
export function readJUnit(xml: string, source: string): TestCase[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new JUnitError(`${source}:${valid.err.line}:${valid.err.col}: not valid XML: ${valid.err.msg}`);
  const doc = parser.parse(xml) as Node;
  const out: TestCase[] = [];
  const lists = (doc.testsuites as Node[] | undefined) ?? [];
  // The <testsuites> wrapper's name ('pytest tests') is the tool's, not a suite's.
  for (const list of lists) walkSuite({ ...list, "@name": "" }, "", out);
  for (const s of (doc.testsuite as Node[] | undefined) ?? []) walkSuite(s, "", out);
  if (!lists.length && !doc.testsuite) {
    const top = Object.keys(doc).find((k) => !k.startsWith("?")) ?? "nothing";
    throw new JUnitError(
      `${source}: not a JUnit XML report (its root element is <${top}>, not <testsuites> or <testsuite>)`,
    );
  }
  return out;
}
