// Every `${{ }}` of a file (and every implicit `if:` condition), found once and shared by the
// rules that read expressions wherever they are.
import { isMap, isScalar, isSeq, type Node, type Scalar } from "yaml";
import { expressionsIn, type FoundExpr } from "../expr-scan.js";
import type { SourceFile } from "../source.js";

export interface FileExpr {
  found: FoundExpr;
  scalar: Scalar;
  /** The scalar is the value of an `if:` key. */
  inIf: boolean;
}

const cache = new WeakMap<SourceFile, FileExpr[]>();

export function fileExpressions(src: SourceFile): FileExpr[] {
  let out = cache.get(src);
  if (out) return out;
  out = [];
  const acc = out;
  const visit = (node: Node | null | undefined, inIf: boolean): void => {
    if (isScalar(node)) {
      for (const found of expressionsIn(src.text, node, inIf)) acc.push({ found, scalar: node, inIf });
    } else if (isMap(node)) {
      for (const p of node.items) visit(p.value as Node, isScalar(p.key) && p.key.value === "if");
    } else if (isSeq(node)) {
      for (const n of node.items) visit(n as Node, false);
    }
  };
  // Without `${{` only implicit `if:` conditions can hold an expression.
  if (src.text.includes("${{") || src.text.includes("if:")) visit(src.doc.contents as Node, false);
  cache.set(src, out);
  return out;
}
