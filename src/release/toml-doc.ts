// TOML read for surgical edits: toml-eslint-parser gives every key and value with its byte
// range, so a version is changed by replacing its string literal and nothing else — comments,
// spacing, key order and quoting style of the rest stay byte-for-byte.
import { type AST, getStaticTOMLValue, ParseError, parseTOML } from "toml-eslint-parser";
import type { BadFile, Span } from "./span.js";

export interface TomlEntry {
  /** Full key path, tables and dotted keys resolved (`["workspace", "package", "version"]`). */
  path: (string | number)[];
  node: AST.TOMLContentNode;
}

export interface TomlDoc {
  file: string;
  text: string;
  data: Record<string, unknown>;
  entries: TomlEntry[];
}

export function parseToml(file: string, text: string): TomlDoc | BadFile {
  let ast: AST.TOMLProgram;
  try {
    ast = parseTOML(text);
  } catch (e) {
    if (e instanceof ParseError) return { file, line: e.lineNumber, col: e.column + 1, message: e.message };
    throw e;
  }
  const entries: TomlEntry[] = [];
  const walk = (prefix: (string | number)[], kv: AST.TOMLKeyValue) => {
    const path = [...prefix, ...kv.key.keys.map((k) => (k.type === "TOMLBare" ? k.name : k.value))];
    entries.push({ path, node: kv.value });
    if (kv.value.type === "TOMLInlineTable") for (const inner of kv.value.body) walk(path, inner);
  };
  for (const item of ast.body[0].body) {
    if (item.type === "TOMLKeyValue") walk([], item);
    else for (const kv of item.body) walk(item.resolvedKey, kv);
  }
  return { file, text, data: getStaticTOMLValue(ast) as Record<string, unknown>, entries };
}

/** The string value at exactly `path`, with where it is written. */
export function tomlString(
  doc: TomlDoc,
  ...path: (string | number)[]
): (Span & { value: string }) | undefined {
  const e = doc.entries.find((x) => same(x.path, path));
  if (e?.node.type !== "TOMLValue" || e.node.kind !== "string") return undefined;
  return {
    file: doc.file,
    start: e.node.range[0],
    end: e.node.range[1],
    value: e.node.value,
    ...lineOf(e.node),
  };
}

function lineOf(n: AST.TOMLNode): { line: number; col: number } {
  return { line: n.loc.start.line, col: n.loc.start.column + 1 };
}

function same(a: (string | number)[], b: (string | number)[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
