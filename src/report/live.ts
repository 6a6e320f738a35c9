import type { RunEvent } from "../run/events.js";
import { fmtMs, PlainReporter, testsText, type Write } from "./console.js";

const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const ICON: Record<string, string> = { success: "✓", failure: "✗", cancelled: "⊘", skipped: "-" };

/** What the live view draws on: process.stdout, or a fake in tests. */
export interface Terminal {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
}

/**
 * TTY view: log lines scroll as in the plain view, and a block at the bottom shows the
 * jobs — running ones with their current step and time, then queued and finished ones
 * while they fit — and a count line, so a 500-job run still fits the screen.
 */
export class LiveReporter extends PlainReporter {
  private drawn = 0;
  private started = new Map<string, number>();
  private tick = 0;
  private timer?: NodeJS.Timeout;
  private readonly term: Terminal;

  constructor(out: Write, term: Terminal = process.stdout, animate = true) {
    super((t) => this.print(t));
    this.term = term;
    this.raw = out;
    if (animate) {
      this.timer = setInterval(() => this.redraw(), 120);
      this.timer.unref();
    }
  }

  private raw: Write;

  private print(text: string): void {
    this.clear();
    this.raw(text);
    this.redraw();
  }

  private clear(): void {
    if (this.drawn) this.term.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  /** The block's lines, at most `rows - 2` of them. */
  block(now = Date.now()): string[] {
    const running: string[] = [];
    const queued: string[] = [];
    const done: string[] = [];
    const count: Record<string, number> = {};
    for (const key of this.order) {
      const r = this.jobs.get(key)!;
      if (r.result) {
        count[r.result] = (count[r.result] ?? 0) + 1;
        done.push(
          `  ${ICON[r.result]} ${r.name}  ${r.result}${r.durationMs ? ` ${fmtMs(r.durationMs)}` : ""}${r.tests ? `  (tests: ${testsText(r.tests)})` : ""}`,
        );
      } else if (this.groups.has(key)) {
        // A matrix job or a reusable-workflow caller: its legs and called jobs show instead.
      } else if (this.started.has(key)) {
        const t = fmtMs(now - this.started.get(key)!);
        running.push(`  ${SPIN[this.tick % SPIN.length]} ${r.name}  ${r.step ?? "starting"}  ${t}`);
      } else queued.push(`  · ${r.name}  queued`);
    }
    const finished = Object.entries(count).map(([k, n]) => `${n} ${k}`);
    const footer = `  ${running.length} running, ${queued.length} queued${finished.length ? `, ${finished.join(", ")}` : ""}`;
    const room = Math.max(3, (this.term.rows || 24) - 2) - 1;
    const lines = [...running, ...queued, ...done];
    const shown = lines.length > room ? lines.slice(0, room) : lines;
    const cols = this.term.columns || 100;
    return [...shown, footer].map((l) => (l.length > cols - 1 ? `${l.slice(0, cols - 2)}…` : l));
  }

  private paused = false;

  override pause(): void {
    this.clear();
    this.paused = true;
  }

  override resume(): void {
    this.paused = false;
    this.redraw();
  }

  private redraw(): void {
    if (this.paused) return;
    this.clear();
    this.tick++;
    const out = this.block();
    this.term.write(`${out.join("\n")}\n`);
    this.drawn = out.length;
  }

  override on(e: RunEvent): void {
    if (e.type === "job-start") this.started.set(e.job, Date.now());
    super.on(e);
    if (e.type === "job-queued" || e.type === "step-start" || e.type === "job-end") this.redraw();
  }

  override finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }
}
