/** A piece of a template string: literal text, or the inside of one `${{ }}` (trimmed). */
export interface Segment {
  text: string;
  expr: boolean;
}

/**
 * Split text on `${{ ... }}`. The closing `}}` is the first one outside a single-quoted string
 * literal, so `${{ format('}}') }}` works. An unclosed `${{` is left as literal text.
 */
export function splitTemplate(text: string): Segment[] {
  const out: Segment[] = [];
  let lit = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("${{", i);
    if (open < 0) break;
    let j = open + 3;
    let inString = false;
    let close = -1;
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === "'") inString = !inString;
      else if (!inString && c === "}" && text[j + 1] === "}") {
        close = j;
        break;
      }
    }
    if (close < 0) break;
    lit += text.slice(i, open);
    if (lit) out.push({ text: lit, expr: false });
    lit = "";
    out.push({ text: text.slice(open + 3, close).trim(), expr: true });
    i = close + 2;
  }
  lit += text.slice(i);
  if (lit) out.push({ text: lit, expr: false });
  return out;
}
