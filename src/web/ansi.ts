import { e } from "./html.js";

/**
 * A log line's ANSI colours (SGR) as spans with classes; every other escape sequence is
 * dropped. Classes, not style attributes: the page's CSP allows no inline style. Colours
 * do not carry over to the next line (each line is rendered on its own, as GitHub does).
 */
export function ansiToHtml(line: string): string {
  let out = "";
  let open = false;
  let fg: number | undefined;
  let bg: number | undefined;
  let bold = false;
  let italic = false;
  let underline = false;
  const re = /\x1b\[([0-9;]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b./g;
  let last = 0;
  const text = (t: string) => {
    out += e(t);
  };
  for (let m = re.exec(line); m; m = re.exec(line)) {
    text(line.slice(last, m.index));
    last = re.lastIndex;
    if (m[2] !== "m") continue;
    const codes = (m[1] || "0").split(";").map((c) => Number(c || 0));
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c === 0) [fg, bg, bold, italic, underline] = [undefined, undefined, false, false, false];
      else if (c === 1) bold = true;
      else if (c === 3) italic = true;
      else if (c === 4) underline = true;
      else if (c === 22) bold = false;
      else if (c === 23) italic = false;
      else if (c === 24) underline = false;
      else if (c >= 30 && c <= 37) fg = c - 30;
      else if (c >= 90 && c <= 97) fg = c - 90 + 8;
      else if (c === 39) fg = undefined;
      else if (c >= 40 && c <= 47) bg = c - 40;
      else if (c >= 100 && c <= 107) bg = c - 100 + 8;
      else if (c === 49) bg = undefined;
      else if (c === 38 || c === 48) {
        // 256 colours: the first 16 map to the classes; others and 24-bit colours are dropped.
        const mode = codes[i + 1];
        const n = mode === 5 ? codes[i + 2] : undefined;
        i += mode === 5 ? 2 : mode === 2 ? 4 : 1;
        const v = n !== undefined && n < 16 ? n : undefined;
        if (c === 38) fg = v;
        else bg = v;
      }
    }
    if (open) out += "</span>";
    const cls = [
      fg !== undefined ? `f${fg}` : "",
      bg !== undefined ? `b${bg}` : "",
      bold ? "ab" : "",
      italic ? "ai" : "",
      underline ? "au" : "",
    ].filter(Boolean);
    open = cls.length > 0;
    if (open) out += `<span class="${cls.join(" ")}">`;
  }
  text(line.slice(last));
  if (open) out += "</span>";
  return out;
}
