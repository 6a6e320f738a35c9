// A YAML anchor (`&name`) that no alias (`*name`) uses: usually a copy-paste left over, or an
// alias that names another anchor by mistake.
import { isAlias, isNode, visit } from "yaml";
import { type LintContext, report } from "../context.js";

/** An anchor starts a value: `&name` after a space, '[', '{' or ','; scripts' `2>&1` and `&&` are not. */
function mayHoldAnchor(text: string): boolean {
  for (let i = text.indexOf("&"); i >= 0; i = text.indexOf("&", i + 1)) {
    const before = i === 0 ? " " : text[i - 1]!;
    const after = text[i + 1] ?? " ";
    if (" \t\n[{,".includes(before) && !" \t\r\n&>".includes(after)) return true;
  }
  return false;
}

export function checkAnchors(ctx: LintContext): void {
  const { text, doc } = ctx.src;
  if (!mayHoldAnchor(text)) return;
  const anchors: { name: string; start: number }[] = [];
  const used = new Set<string>();
  visit(doc, (_key, node) => {
    if (isAlias(node)) used.add(node.source);
    else if (isNode(node) && node.anchor && node.range)
      anchors.push({ name: node.anchor, start: node.range[0] });
  });
  for (const a of anchors) {
    if (used.has(a.name)) continue;
    const at = text.lastIndexOf(`&${a.name}`, a.start);
    report(
      ctx,
      "unused-anchor",
      at >= 0 ? at : a.start,
      `anchor '&${a.name}' is never used by an alias '*${a.name}'`,
      {
        fix: `remove '&${a.name}', or use it with '*${a.name}'`,
        ...(at >= 0 ? { end: at + a.name.length + 1 } : {}),
      },
    );
  }
}
