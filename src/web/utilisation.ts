// Agent utilisation over time: every few seconds, how many job slots of the registered agents
// are busy, kept in memory for the last hour and drawn as a small SVG line (server-rendered:
// the CSP allows no script but ours, and a chart library would be most of the page).
import type { AgentInfo } from "../server/dispatch.js";

export interface Sample {
  at: number;
  busy: number;
  total: number;
}

export class Utilisation {
  readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly agents: () => AgentInfo[],
    readonly everyMs = 10_000,
    private readonly keep = 360,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  now(): Sample {
    let busy = 0;
    let total = 0;
    for (const a of this.agents()) {
      busy += a.leases.size;
      total += a.capacity;
    }
    return { at: Date.now(), busy, total };
  }

  sample(): void {
    this.samples.push(this.now());
    if (this.samples.length > this.keep) this.samples.shift();
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** A sparkline of busy/total (0–100 %) over the samples, oldest left; the latest point is `now`. */
export function sparkline(samples: Sample[], width = 360, height = 48): string {
  const pts = samples.map((s) => (s.total ? s.busy / s.total : 0));
  const n = pts.length;
  // Placed by time: the last point (now) may come right after a sample.
  const t0 = samples[0]?.at ?? 0;
  const span = (samples[n - 1]?.at ?? 0) - t0;
  const x = (i: number) =>
    (span <= 0 ? (n <= 1 ? width : (i / (n - 1)) * width) : ((samples[i]!.at - t0) / span) * width).toFixed(
      1,
    );
  const y = (v: number) => (height - 2 - v * (height - 4)).toFixed(1);
  const line = pts.map((v, i) => `${x(i)},${y(v)}`).join(" ");
  const area = n ? `0,${height} ${n === 1 ? `0,${y(pts[0]!)} ` : ""}${line} ${width},${height}` : "";
  const last = n ? Math.round(pts[n - 1]! * 100) : 0;
  const over = span < 120_000 ? `${Math.round(span / 1000)} s` : `${Math.round(span / 60_000)} min`;
  return `<figure class="spark"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="agent utilisation, now ${last}%">
<rect width="${width}" height="${height}" fill="#f6f8fa"/>${n ? `<polygon points="${area}" fill="#54aeff44"/><polyline points="${line}" fill="none" stroke="#0969da" stroke-width="1.5"/>` : ""}
</svg><figcaption>busy job slots: now ${last} %, over the last ${over} (${n} samples)</figcaption></figure>`;
}
