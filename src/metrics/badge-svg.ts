// A shields-style badge: a grey label and a coloured message, each as wide as its text in
// 11px Verdana (the font badges are drawn in; Geneva and DejaVu Sans stand in for it).

/**
 * Verdana's advance widths in font units (2048 per em) for ASCII 32..126: the widths of a
 * badge's text are these × 11 / 2048. Other characters count as 1400 (a capital letter's width).
 */
const VERDANA = [
  720, 823, 1038, 1636, 1303, 2215, 1493, 548, 1071, 1071, 1303, 1636, 748, 864, 748, 1071, 1303, 1303, 1303,
  1303, 1303, 1303, 1303, 1303, 1303, 1303, 1071, 1071, 1636, 1636, 1636, 1118, 2048, 1401, 1405, 1434, 1577,
  1294, 1178, 1587, 1540, 860, 1001, 1431, 1149, 1776, 1533, 1613, 1239, 1613, 1432, 1398, 1240, 1525, 1401,
  2066, 1402, 1240, 1400, 1071, 1071, 1071, 1636, 1303, 1303, 1229, 1272, 1069, 1272, 1217, 719, 1272, 1296,
  562, 705, 1186, 562, 1992, 1296, 1248, 1272, 1272, 874, 1064, 807, 1296, 1186, 1665, 1186, 1186, 1049, 1302,
  1071, 1302, 1636,
];
const OTHER = 1400;

/** The width of `text` in 11px Verdana, px. */
export function textWidth(text: string): number {
  let units = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    units += c >= 32 && c <= 126 ? VERDANA[c - 32]! : OTHER;
  }
  return (units * 11) / 2048;
}

export const COLORS = {
  brightgreen: "#4c1",
  green: "#97ca00",
  yellowgreen: "#a4a61d",
  yellow: "#dfb317",
  orange: "#fe7d37",
  red: "#e05d44",
  grey: "#555",
  lightgrey: "#9f9f9f",
  blue: "#007ec6",
} as const;

export type Color = keyof typeof COLORS;

const xml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string,
  );

/** The badge's SVG: `label` on grey, `message` on `color`, 20px high. */
export function badge(label: string, message: string, color: Color): string {
  const pad = 10;
  const lw = Math.round(textWidth(label) + pad);
  const mw = Math.round(textWidth(message) + pad);
  const w = lw + mw;
  const text = (s: string, x: number) =>
    `<text x="${x}" y="15" fill="#010101" fill-opacity=".3">${xml(s)}</text><text x="${x}" y="14">${xml(s)}</text>`;
  const title = xml(`${label}: ${message}`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${title}"><title>${title}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="${lw}" height="20" fill="${COLORS.grey}"/><rect x="${lw}" width="${mw}" height="20" fill="${COLORS[color]}"/><rect width="${w}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">${text(label, lw / 2)}${text(message, lw + mw / 2)}</g></svg>\n`;
}

/** A percentage's colour: 90+ bright green down to red below 50. */
export function percentColor(p: number): Color {
  return p >= 90
    ? "brightgreen"
    : p >= 80
      ? "green"
      : p >= 70
        ? "yellowgreen"
        : p >= 60
          ? "yellow"
          : p >= 50
            ? "orange"
            : "red";
}
