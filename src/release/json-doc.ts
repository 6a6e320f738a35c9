// JSON read for surgical edits: jsonc-parser's tree gives each value's offset, so a version is
// changed by replacing its string literal, keeping indentation, key order and the final newline.
import { findNodeAtLocation, type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import type { BadFile, Span } from "./span.js";

export interface JsonDoc {
  file: string;
  text: string;
  data: Record<string, unknown>;
  root: Node;
}

export function parseJson(file: string, text: string): JsonDoc | BadFile {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const first = errors[0];
  if (first || !root) {
    const at = first?.offset ?? 0;
    const before = text.slice(0, at).split("\n");
    // PropertyNameExpected → property name expected
    const code = first ? printParseErrorCode(first.error) : "EmptyFile";
    const message = code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    return { file, line: before.length, col: before.at(-1)!.length + 1, message };
  }
  if (root.type !== "object") return { file, line: 1, col: 1, message: "expected an object" };
  return { file, text, data: JSON.parse(text), root };
}

/** The string value at `path`, with where it is written. */
export function jsonString(doc: JsonDoc, ...path: string[]): (Span & { value: string }) | undefined {
  const n = findNodeAtLocation(doc.root, path);
  if (n?.type !== "string") return undefined;
  const before = doc.text.slice(0, n.offset).split("\n");
  return {
    file: doc.file,
    start: n.offset,
    end: n.offset + n.length,
    value: n.value as string,
    line: before.length,
    col: before.at(-1)!.length + 1,
  };
}
