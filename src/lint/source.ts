// A linted file: raw text plus a position-keeping YAML tree. Rules walk this tree rather than
// the workflow parser's model because they need exact offsets inside scalars.
import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node, type Scalar } from "yaml";
import { parseYaml } from "../workflow/fast-yaml.js";

export type FileKind = "workflow" | "action";

export interface SourceFile {
  /** Path relative to the repository root, as shown to the user. */
  file: string;
  path: string;
  kind: FileKind;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

export interface Pos {
  line: number;
  col: number;
}

export function parseSource(text: string, file: string, path: string, kind: FileKind): SourceFile {
  // The workflow loader reads this same document (loadWorkflowDocument), so it is parsed the way
  // the workflow parser parses: with source tokens, duplicate keys left to its template reader.
  const { doc, lines } = parseYaml(text);
  return { file, path, kind, text, doc, lines };
}

export function posAt(src: SourceFile, offset: number): Pos {
  const p = src.lines.linePos(offset);
  return { line: p.line, col: p.col };
}

export function nodePos(src: SourceFile, node: Node | null | undefined): Pos {
  return node?.range ? posAt(src, node.range[0]) : { line: 1, col: 1 };
}

/** Value of `key` in a mapping node; undefined for anything else. */
export function get(node: unknown, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    const k = (pair.key as { value?: unknown } | null)?.value;
    // Most keys are strings: compare first, convert only the others (numbers, booleans).
    if (k === key || (typeof k !== "string" && isScalar(pair.key) && String(k) === key))
      return (pair.value as Node | null) ?? undefined;
  }
  return undefined;
}

/** Key node for `key`, for pointing at `needs:` rather than its value. */
export function keyNode(node: unknown, key: string): Scalar | undefined {
  if (!isMap(node)) return undefined;
  for (const pair of node.items) if (isScalar(pair.key) && String(pair.key.value) === key) return pair.key;
  return undefined;
}

export interface Entry {
  key: string;
  keyNode: Scalar;
  value: Node | undefined;
}

export function entries(node: unknown): Entry[] {
  if (!isMap(node)) return [];
  const out: Entry[] = [];
  for (const pair of node.items) {
    if (!isScalar(pair.key)) continue;
    out.push({
      key: String(pair.key.value),
      keyNode: pair.key,
      value: (pair.value as Node | null) ?? undefined,
    });
  }
  return out;
}

export function items(node: unknown): Node[] {
  return isSeq(node) ? (node.items as Node[]) : [];
}

export function str(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null && typeof node.value !== "object"
    ? String(node.value)
    : undefined;
}

/** A scalar or a sequence of scalars, as a list (for `needs: a` and `needs: [a, b]`). */
export function scalarList(node: unknown): Scalar[] {
  if (isScalar(node)) return [node];
  return items(node).filter((n): n is Scalar => isScalar(n));
}

export function isExpression(s: string): boolean {
  return s.includes("${{");
}
