// Bar charts drawn on the server as inline SVG: a series per day needs no chart library, no
// script and nothing the page's strict CSP would refuse (presentation attributes, no styles).
// Each bar has a <title>, which browsers show on hover and screen readers read.
import { escapeHtml as e } from "../web/html.js";

export interface Bar {
  label: string;
  value: number;
  /** A part of the value drawn in the alert colour (failures of the day). */
  alert?: number;
  /** The hover text. */
  title: string;
}

export interface ChartOptions {
  title: string;
  /** The y axis' top value as text. */
  format: (v: number) => string;
  width?: number;
  height?: number;
}

const BLUE = "#3a6ea5";
const RED = "#c0392b";
const GRID = "#ccc";
const INK = "#555";

export function barChart(bars: Bar[], o: ChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 160;
  const left = 48;
  const bottom = 20;
  const top = 8;
  const plotH = height - top - bottom;
  const plotW = width - left - 4;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const slot = bars.length ? plotW / bars.length : plotW;
  const barW = Math.max(1, slot * 0.8);
  const y = (v: number) => top + plotH - (max > 0 ? (v / max) * plotH : 0);
  const parts: string[] = [];
  parts.push(
    `<line x1="${left}" y1="${top + plotH}" x2="${width - 4}" y2="${top + plotH}" stroke="${GRID}"/>`,
    `<line x1="${left}" y1="${top}" x2="${width - 4}" y2="${top}" stroke="${GRID}" stroke-dasharray="2,3"/>`,
    `<text x="${left - 4}" y="${top + 4}" text-anchor="end" font-size="10" fill="${INK}">${e(o.format(max))}</text>`,
    `<text x="${left - 4}" y="${top + plotH}" text-anchor="end" font-size="10" fill="${INK}">0</text>`,
  );
  // About six labels along the x axis, whatever the number of bars.
  const every = Math.max(1, Math.ceil(bars.length / 6));
  bars.forEach((b, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    if (b.value > 0) {
      const h = top + plotH - y(b.value);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${BLUE}"><title>${e(b.title)}</title></rect>`,
      );
      if (b.alert) {
        const ah = top + plotH - y(b.alert);
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${(top + plotH - ah).toFixed(1)}" width="${barW.toFixed(1)}" height="${ah.toFixed(1)}" fill="${RED}"><title>${e(b.title)}</title></rect>`,
        );
      }
    }
    if (i % every === 0)
      parts.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${height - 5}" text-anchor="middle" font-size="10" fill="${INK}">${e(b.label)}</text>`,
      );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${e(o.title)}"><title>${e(o.title)}</title>${parts.join("")}</svg>`;
}

/** A duration as people say it: 45s, 12m, 3.2h, 2.1d. */
export function human(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  const s = ms / 1000;
  if (s < 10) return `${Number(s.toFixed(1))}s`;
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86_400) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86_400).toFixed(1)}d`;
}
