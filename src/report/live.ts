import type { RunEvent } from "../run/events.js";
import { fmtMs, PlainReporter, type Write } from "./console.js";

const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * TTY view: log lines scroll as in the plain view, and a block at the bottom shows
 * every job (queued, running with its current step, done with time and result).
 */
export class LiveReporter extends PlainReporter {
  private drawn = 0;
  private started = new Map<string, number>();
  private tick = 0;
  private timer: NodeJS.Timeout;

  constructor(out: Write) {
    super((t) => this?.print(t) ?? out(t));
    this.raw = out;
    this.timer = setInterval(() => this.redraw(), 120);
    this.timer.unref();
  }

  private raw: Write;

  private print(text: string): void {
    this.clear();
    this.raw(text);
    this.redraw();
  }

  private clear(): void {
    if (this.drawn) process.stdout.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    this.tick++;
    const lines: string[] = [];
    for (const key of this.order) {
      const r = this.jobs.get(key)!;
      if (r.result) {
        lines.push(
          `  ${r.result === "success" ? "✓" : r.result === "skipped" ? "-" : "✗"} ${r.name}  ${r.result}${r.durationMs ? ` ${fmtMs(r.durationMs)}` : ""}`,
        );
      } else if (this.started.has(key)) {
        const t = fmtMs(Date.now() - this.started.get(key)!);
        lines.push(`  ${SPIN[this.tick % SPIN.length]} ${r.name}  ${r.step ?? "starting"}  ${t}`);
      } else lines.push(`  · ${r.name}  queued`);
    }
    const cols = process.stdout.columns || 100;
    const out = lines.map((l) => (l.length > cols - 1 ? `${l.slice(0, cols - 2)}…` : l));
    if (out.length) process.stdout.write(`${out.join("\n")}\n`);
    this.drawn = out.length;
  }

  override on(e: RunEvent): void {
    if (e.type === "job-start") this.started.set(e.job, Date.now());
    super.on(e);
    if (e.type === "job-queued" || e.type === "step-start" || e.type === "job-end") this.redraw();
  }

  finish(): void {
    clearInterval(this.timer);
    this.clear();
  }
}
